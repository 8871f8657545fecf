#include "app/commands.hpp"

int main(int argc, char** argv) {
    return riskbridge::app::run_cli(argc, argv);
}
