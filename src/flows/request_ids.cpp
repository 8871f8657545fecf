#include "riskbridge/flows/request_ids.hpp"

namespace riskbridge::flows {

std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id) {
    return std::string("rb-") + config::to_string(flow) + "-" + std::string(application_id);
}

std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step) {
    return evaluation_request_id(flow, application_id) + "/" + std::string(step);
}

}  // namespace riskbridge::flows
