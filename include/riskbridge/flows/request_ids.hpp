#pragma once

// The ids riskbridge derives from an application: the RiskOS request id of a flow's
// evaluation and the note marker references of its steps (notes.hpp).

#include <string>
#include <string_view>

#include "riskbridge/config/config.hpp"

namespace riskbridge::flows {

/// The request id of a flow's evaluation for an application: reusing it makes RiskOS re-run
/// the same evaluation, so at most one evaluation exists per application and flow.
std::string evaluation_request_id(config::flow_kind flow, std::string_view application_id);

/// The note marker reference of a flow's step for an application, e.g.
/// "rb-screening-<application_id>/decision" (step: decision, consent, missing). The
/// riskos_event handler uses the same reference when it finishes a paused evaluation, so the
/// decision note is written once whichever job writes it.
std::string note_ref(config::flow_kind flow, std::string_view application_id,
                     std::string_view step);

}  // namespace riskbridge::flows
