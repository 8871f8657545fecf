#include "riskbridge/store/schema_description.hpp"

namespace riskbridge::store {

namespace {

constexpr auto integer = column_type::integer;
constexpr auto text = column_type::text;
constexpr auto blob = column_type::blob;

column_description key(std::string_view name, column_type type) {
    return {.name = name, .type = type, .not_null = true, .primary_key = true};
}
column_description required(std::string_view name, column_type type) {
    return {.name = name, .type = type, .not_null = true};
}
column_description optional(std::string_view name, column_type type) {
    return {.name = name, .type = type};
}

schema_description describe() {
    schema_description s;
    s.version = 4;
    s.tables = {
        {"jobs",
         {key("id", integer), required("kind", text), required("payload", text),
          required("state", text), required("attempts", integer), required("next_run_at", integer),
          required("lease_owner", text), required("lease_until", integer),
          required("last_error", text), required("checkpoint", text),
          required("correlation_id", text), optional("unique_key", text), required("outcome", text),
          required("created_at", integer), required("updated_at", integer),
          optional("finished_at", integer), optional("subject", text)}},
        {"deliveries",
         {key("source", text), key("key", text), optional("job_id", integer),
          required("received_at", integer)}},
        {"job_attempts",
         {{.name = "id",
           .type = integer,
           .not_null = true,
           .primary_key = true,
           .sqlite_rowid = true},
          required("job_id", integer),
          required("attempt", integer),
          required("finished_at", integer),
          required("outcome", text),
          required("error", text)}},
        {"evaluations",
         {key("eval_id", text), required("flow", text), required("application_id", text),
          required("candidate_id", text), required("job_id", integer), required("state", text),
          required("decision", text), required("docv_token", text), required("created_at", integer),
          required("updated_at", integer), required("expires_at", integer)}},
        {"quarantine",
         {key("id", integer), required("source", text), required("reason", text),
          required("request_id", text), optional("body", blob), required("body_bytes", integer),
          required("received_at", integer)}},
        {"audit",
         {key("id", integer), required("job_id", integer), required("at", integer),
          required("step", text), required("outcome", text), required("detail", text)}},
        {"singletons",
         {key("name", text), required("owner", text), required("lease_until", integer),
          required("acquired_at", integer)}},
        {"schema_version", {key("version", integer), required("applied_at", integer)}},
    };
    s.indexes = {"audit_at",
                 "audit_job",
                 "deliveries_received",
                 "evaluations_candidate",
                 "evaluations_docv_token",
                 "evaluations_state",
                 "job_attempts_finished",
                 "job_attempts_job",
                 "jobs_due",
                 "jobs_ended",
                 "jobs_finished",
                 "jobs_lease",
                 "jobs_state",
                 "jobs_subject",
                 "quarantine_received"};
    return s;
}

}  // namespace

const char* to_string(column_type t) noexcept {
    switch (t) {
        case column_type::integer:
            return "integer";
        case column_type::text:
            return "text";
        case column_type::blob:
            return "blob";
    }
    return "unknown";
}

const schema_description& expected_schema() {
    static const schema_description schema = describe();
    return schema;
}

}  // namespace riskbridge::store
