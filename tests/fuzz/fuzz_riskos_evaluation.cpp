// RiskOS evaluation documents (POST/GET /api/evaluation answers and evaluation_completed data):
// parse_evaluation and what the flows derive from it (reason codes, the decision note, the
// finish request).

#include "fuzz_common.hpp"
#include "riskbridge/clients/riskos/evaluation.hpp"
#include "riskbridge/flows/finish_request.hpp"
#include "riskbridge/flows/notes.hpp"

using namespace riskbridge;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = (fuzz::quiet_logs(), true);
    (void)quiet;
    const auto eval = clients::riskos::parse_evaluation(fuzz::as_text(data, size));
    if (!eval) {
        return 0;
    }
    fuzz::check(!eval->eval_id.empty(), "an evaluation without eval_id");
    (void)eval->reason_codes();
    (void)eval->needs_documents();
    for (const auto& e : eval->enrichments) {
        (void)e.reason_codes();
        (void)e.failed();
        (void)eval->find_by_name(e.name);
    }
    flows::decision_note note;
    note.decision = eval->decision_text;
    note.reasons = flows::top_reasons(*eval);
    note.eval_id = eval->eval_id;
    note.case_link = flows::case_url("https://riskos.example/cases", eval->workflow, eval->eval_id);
    (void)flows::render_decision_note(note);
    const auto f = flows::finish_from_evaluation(*eval, "fuzz");
    (void)flows::finish_note_details(f, std::chrono::hours(24));
    return 0;
}
