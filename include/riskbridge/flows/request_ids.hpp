#pragma once

// The ids riskbridge derives from an application: the RiskOS request id of a flow's
// evaluation and the note marker references of its steps (notes.hpp).

#include <optional>
#include <string>
#include <string_view>

#include "riskbridge/config/config.hpp"

namespace riskbridge::flows {

/// The request id of a flow's evaluation for an application: reusing it makes RiskOS re-run
/// the same evaluation, so at most one evaluation exists per application and flow.
std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id);

/// The request ids of the new capture sessions started after one expires
/// (riskos.docv.reissue_on_expiry): rb-docv-<application_id>-<attempt>, attempt >= 2.
inline constexpr std::string_view reissued_capture_prefix = "rb-docv-";
/// The most capture sessions of one application: the first and riskos.docv.reissue_on_expiry
/// (at most 10) new ones.
inline constexpr int max_capture_attempts = 11;
/// The request id of the `attempt`th DocV evaluation of an application: the flow's own
/// (evaluation_request_id) for the first, rb-docv-<application_id>-<attempt> after.
std::string capture_request_id(std::string_view application_id, int attempt);

/// What a request id riskbridge made says: the flow and the application.
struct request_id_parts {
    config::flow_kind flow = config::flow_kind::screening;
    std::string application_id;
};
/// The parts of evaluation_request_id()'s result; nullopt for any other id (someone else's).
std::optional<request_id_parts> parse_evaluation_request_id(std::string_view id);

/// The note marker reference of a flow's step for an application, e.g.
/// "rb-screening-<application_id>/decision" (step: decision, consent, missing). The
/// riskos_event handler uses the same reference when it finishes a paused evaluation, so the
/// decision note is written once whichever job writes it.
std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step);

}  // namespace riskbridge::flows
