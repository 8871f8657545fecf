// Flow names and the Ashby webhook actions (docs/external-apis.md).

#include "riskbridge/config/config.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace riskbridge::config {

namespace {

constexpr std::array<std::string_view, 22> ashby_actions{
    "applicationSubmit",
    "applicationUpdate",
    "candidateStageChange",
    "candidateHire",
    "candidateDelete",
    "candidateMerge",
    "interviewPlanTransition",
    "interviewScheduleCreate",
    "interviewScheduleUpdate",
    "jobCreate",
    "jobUpdate",
    "jobPostingUpdate",
    "jobPostingPublish",
    "jobPostingUnpublish",
    "offerCreate",
    "offerUpdate",
    "offerDelete",
    "openingCreate",
    "pushToHRIS",
    "signatureRequestUpdate",
    "surveySubmit",
    "ping",
};

}  // namespace

const char* to_string(flow_kind f) noexcept {
    switch (f) {
        case flow_kind::screening:
            return "screening";
        case flow_kind::document_verification:
            return "document_verification";
    }
    return "unknown";
}

std::optional<flow_kind> parse_flow(std::string_view name) noexcept {
    if (name == "screening") {
        return flow_kind::screening;
    }
    if (name == "document_verification") {
        return flow_kind::document_verification;
    }
    return std::nullopt;
}

bool is_known_ashby_action(std::string_view action) noexcept {
    return std::find(ashby_actions.begin(), ashby_actions.end(), action) != ashby_actions.end();
}

}  // namespace riskbridge::config
