#include "riskbridge/flows/docv_state.hpp"

#include <cctype>
#include <string>

namespace riskbridge::flows {

namespace {

/// Lower case, letters and digits only: "Capture App Opened" and "CAPTURE_APP_OPENED" meet.
std::string squash(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    return out;
}

}  // namespace

store::evaluation_record new_evaluation_record(std::string_view eval_id, config::flow_kind flow,
                                               std::string_view application_id,
                                               std::string_view candidate_id, store::job_id job) {
    store::evaluation_record rec;
    rec.eval_id = std::string(eval_id);
    rec.flow = config::to_string(flow);
    rec.application_id = std::string(application_id);
    rec.candidate_id = std::string(candidate_id);
    rec.job = job;
    return rec;
}

bool is_waiting_state(store::evaluation_state state) noexcept {
    return state == store::evaluation_state::pending || state == store::evaluation_state::requested;
}

bool is_final_state(store::evaluation_state state) noexcept {
    return state == store::evaluation_state::completed ||
           state == store::evaluation_state::declined ||
           state == store::evaluation_state::expired || state == store::evaluation_state::failed;
}

case_note parse_case_note(std::string_view text) noexcept {
    struct known {
        const char* name;
        case_note note;
    };
    // RiskOS's note texts first, then the older envelope's event types.
    static constexpr known names[] = {
        {"processinitiated", case_note::process_initiated},
        {"waitingforusertoredirect", case_note::process_initiated},
        {"captureappopened", case_note::app_opened},
        {"appopened", case_note::app_opened},
        {"documentfrontuploaded", case_note::front_uploaded},
        {"documentfrontupload", case_note::front_uploaded},
        {"frontuploaded", case_note::front_uploaded},
        {"documentbackuploaded", case_note::back_uploaded},
        {"documentbackupload", case_note::back_uploaded},
        {"backuploaded", case_note::back_uploaded},
        {"documentselfieuploaded", case_note::selfie_uploaded},
        {"selfieuploaded", case_note::selfie_uploaded},
        {"selfieupload", case_note::selfie_uploaded},
        {"documentsuploadsuccessful", case_note::upload_successful},
        {"uploadsuccessful", case_note::upload_successful},
        {"documentsuploaded", case_note::upload_successful},
        {"sessioncomplete", case_note::session_complete},
        {"verificationcomplete", case_note::session_complete},
        {"consentdeclined", case_note::consent_declined},
        {"sessionexpired", case_note::session_expired},
    };
    std::string key;
    try {
        key = squash(text);
    } catch (...) {
        return case_note::other;
    }
    for (const auto& k : names) {
        if (key == k.name) {
            return k.note;
        }
    }
    return case_note::other;
}

const char* to_string(case_note n) noexcept {
    switch (n) {
        case case_note::process_initiated:
            return "Process Initiated";
        case case_note::app_opened:
            return "Capture App Opened";
        case case_note::front_uploaded:
            return "Document Front Uploaded";
        case case_note::back_uploaded:
            return "Document Back Uploaded";
        case case_note::selfie_uploaded:
            return "Document Selfie Uploaded";
        case case_note::upload_successful:
            return "Documents Upload Successful";
        case case_note::session_complete:
            return "Session Complete";
        case case_note::consent_declined:
            return "Consent Declined";
        case case_note::session_expired:
            return "Session Expired";
        case case_note::other:
            break;
    }
    return "other";
}

bool is_terminal_negative(case_note n) noexcept {
    return n == case_note::consent_declined || n == case_note::session_expired;
}

const char* to_string(verification_status s) noexcept {
    switch (s) {
        case verification_status::requested:
            return "requested";
        case verification_status::in_progress:
            return "in progress";
        case verification_status::passed:
            return "passed";
        case verification_status::failed:
            return "failed";
        case verification_status::review:
            return "review";
    }
    return "review";
}

bool is_final_status(verification_status s) noexcept {
    return s == verification_status::passed || s == verification_status::failed ||
           s == verification_status::review;
}

verification_status status_for_decision(std::string_view decision) noexcept {
    if (decision == "ACCEPT") {
        return verification_status::passed;
    }
    if (decision == "REJECT") {
        return verification_status::failed;
    }
    return verification_status::review;
}

std::optional<verification_status> status_for_record(const store::evaluation_record& r) noexcept {
    if (r.state == store::evaluation_state::requested ||
        r.state == store::evaluation_state::pending) {
        return verification_status::requested;
    }
    if (r.state == store::evaluation_state::declined ||
        r.state == store::evaluation_state::expired || r.state == store::evaluation_state::failed) {
        return verification_status::failed;
    }
    if (r.state == store::evaluation_state::completed) {
        return status_for_decision(r.decision);
    }
    return std::nullopt;
}

const char* to_string(finish_outcome o) noexcept {
    switch (o) {
        case finish_outcome::decision:
            return "decision";
        case finish_outcome::declined:
            return "declined";
        case finish_outcome::expired:
            return "expired";
        case finish_outcome::failed:
            return "failed";
    }
    return "decision";
}

store::evaluation_state final_state_for(finish_outcome o) noexcept {
    switch (o) {
        case finish_outcome::decision:
            return store::evaluation_state::completed;
        case finish_outcome::declined:
            return store::evaluation_state::declined;
        case finish_outcome::expired:
            return store::evaluation_state::expired;
        case finish_outcome::failed:
            return store::evaluation_state::failed;
    }
    return store::evaluation_state::completed;
}

}  // namespace riskbridge::flows
