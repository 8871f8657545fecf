#include "store/checks.hpp"

#include <string>

namespace riskbridge::store::detail {

result<void> check_claim(std::string_view owner) {
    if (owner.empty()) {
        return make_error(errc::invalid_argument, "claim needs an owner");
    }
    return {};
}

result<void> check_new_job(const new_job& j) {
    if (j.kind.empty()) {
        return make_error(errc::invalid_argument, "job without a kind");
    }
    return {};
}

result<void> check_singleton(std::string_view name, std::string_view owner) {
    if (name.empty() || owner.empty()) {
        return make_error(errc::invalid_argument, "a singleton needs a name and an owner");
    }
    return {};
}

result<void> check_evaluation(const evaluation_record& e) {
    if (e.eval_id.empty()) {
        return make_error(errc::invalid_argument, "evaluation without an eval_id");
    }
    return {};
}

error lease_not_held(std::string_view what) {
    return make_error(errc::conflict, std::string(what) + ": the lease is not held");
}

}  // namespace riskbridge::store::detail
