#include "riskbridge/flows/request_ids.hpp"

namespace riskbridge::flows {

std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id) {
    return std::string("rb-") + config::to_string(flow) + "-" + std::string(application_id);
}

std::string capture_request_id(std::string_view application_id, int attempt) {
    if (attempt <= 1) {
        return evaluation_request_id(config::flow_kind::document_verification, application_id);
    }
    return std::string(reissued_capture_prefix) + std::string(application_id) + "-" +
           std::to_string(attempt);
}

std::optional<request_id_parts> parse_evaluation_request_id(std::string_view id) {
    if (id.size() > reissued_capture_prefix.size() &&
        id.substr(0, reissued_capture_prefix.size()) == reissued_capture_prefix) {
        // rb-docv-<application_id>-<attempt>
        const std::string_view rest = id.substr(reissued_capture_prefix.size());
        const auto dash = rest.rfind('-');
        if (dash != std::string_view::npos && dash > 0 && dash + 1 < rest.size() &&
            rest.find_first_not_of("0123456789", dash + 1) == std::string_view::npos) {
            return request_id_parts{config::flow_kind::document_verification,
                                    std::string(rest.substr(0, dash))};
        }
        return std::nullopt;
    }
    for (const config::flow_kind flow :
         {config::flow_kind::screening, config::flow_kind::document_verification}) {
        const std::string prefix = std::string("rb-") + config::to_string(flow) + "-";
        if (id.size() > prefix.size() && id.substr(0, prefix.size()) == prefix) {
            return request_id_parts{flow, std::string(id.substr(prefix.size()))};
        }
    }
    return std::nullopt;
}

std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step) {
    return evaluation_request_id(flow, application_id) + "/" + std::string(step);
}

}  // namespace riskbridge::flows
