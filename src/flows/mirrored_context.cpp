#include "mirrored_context.hpp"

namespace riskbridge::flows::detail {

void mirrored_context::audit(std::string_view step, std::string_view outcome,
                             std::string_view detail) {
    inner_.audit(step, outcome, detail);
    if (mirror_ != 0 && mirror_ != inner_.current().id) {
        store::audit_entry e;
        e.job = mirror_;
        e.at = inner_.now_source().now();
        e.step = std::string(step);
        e.outcome = std::string(outcome);
        e.detail = "[" + inner_.current().kind + " job " + std::to_string(inner_.current().id) +
                   "]" + (detail.empty() ? std::string{} : " " + std::string(detail));
        (void)inner_.audit_trail().append_audit(e);  // the job's own line is the one that counts
    }
}

}  // namespace riskbridge::flows::detail
