#pragma once

// Sample applicants for `riskbridge sim` and the demo: one per simulator rule (see
// riskos_sim.hpp), with consent answers, locations and address custom fields. All of it is
// made up (example.com addresses, 555 numbers, documentation IP ranges).

#include <string>
#include <vector>

#include "riskbridge/sim/ashby_sim.hpp"

namespace riskbridge::sim {

struct sample_applicant {
    std::string label;  ///< e.g. "accept", "docv-decline"
    std::string candidate_id;
    std::string application_id;
    std::string expectation;  ///< what riskbridge should end up doing, in words
    // The sample's (fictional) personal data, as the simulator holds it: for the demo's
    // table, and for tests that check none of it reaches a log or the store in clear.
    std::string name;
    std::string email;  ///< "" when the sample has none
    std::string phone;  ///< as typed, e.g. "+1 415 555 0101"; "" when none
    std::string street;
    std::string ip_address;  ///< the application's submitterClientIp
};

/// Custom field ids the samples use for the street address and postal code (for mapping
/// configuration: mapping.custom_fields).
inline constexpr const char* sample_street_field_id = "cf-street-address";
inline constexpr const char* sample_postal_field_id = "cf-postal-code";
inline constexpr const char* sample_consent_path = "_systemfield_consent";

/// Adds the sample candidates and applications to `sim`. `consent_question` is the title of
/// the consent form field (config consent.question).
std::vector<sample_applicant> seed_sample_data(
    ashby_simulator& sim,
    const std::string& consent_question = "I consent to a background and identity check");

}  // namespace riskbridge::sim
