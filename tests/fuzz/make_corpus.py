#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ from tests/fixtures and config/.

Run it from anywhere after a fixture changes; it replaces the corpus directories whole. The
seeds are small on purpose: libFuzzer grows its own corpus in a temporary directory.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import shutil

here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
fixtures = root / "tests" / "fixtures"
corpus = here / "corpus"


def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


shutil.rmtree(corpus, ignore_errors=True)

# RiskOS evaluations: the `body` of a few real sandbox answers, and a webhook's data.
for name in ["happy_path__accept", "sigma_identity_fraud__reject",
             "digital_intelligence__step_up_to_docv", "verify__ssn_does_not_match__reject",
             "digital_intelligence_error__di_session_token_not_entered__reject"]:
    doc = json.loads((fixtures / "riskos" / f"{name}.json").read_text())
    write("fuzz_riskos_evaluation", f"{name}.json", compact(doc["body"]))
completed = json.loads((fixtures / "riskos_webhooks" / "evaluation_completed_accept.json").read_text())
write("fuzz_riskos_evaluation", "evaluation_completed_data.json", compact(completed["data"]))
write("fuzz_riskos_evaluation", "string_response.json", compact({
    "eval_id": "e-1", "decision": "REVIEW", "eval_status": "evaluation_completed",
    "data_enrichments": [{"enrichment_name": "Socure Email Risk", "enrichment_provider": "Socure",
                          "status_code": 200,
                          "response": json.dumps({"emailRisk": {"reasonCodes": ["R520"],
                                                                "score": 0.9}})}]}))

# RiskOS webhooks: every fixture, as sent.
for f in sorted((fixtures / "riskos_webhooks").glob("*.json")):
    write("fuzz_riskos_webhook", f.name, f.read_bytes())

# Ashby webhooks: a variant byte (0 unsigned, 1 wrong signature, 2+ signed), then the body.
app = {"id": "app-1", "status": "Active",
       "candidate": {"id": "cand-1", "name": "Ada Lovelace"},
       "currentInterviewStage": {"id": "s-1", "title": "Offer", "type": "Offer"}}
envelopes = {
    "submit": {"action": "applicationSubmit", "webhookActionId": "w-1",
               "data": {"application": app}},
    "hire": {"action": "candidateHire", "webhookActionId": "w-2",
             "data": {"application": app, "candidate": app["candidate"]}},
    "stage": {"action": "candidateStageChange", "webhookActionId": "w-3",
              "data": {"application": app}},
    "no_action_id": {"action": "applicationSubmit", "data": {"application": app}},
    "ignored": {"action": "offerCreate", "webhookActionId": "w-4", "data": {"offer": {}}},
    "delete": {"action": "candidateDelete", "webhookActionId": "w-5",
               "data": {"candidate": {"id": "cand-1"}}},
    "delete_no_id": {"action": "candidateDelete", "webhookActionId": "w-6",
                     "data": {"candidate": {}}},
    "merge": {"action": "candidateMerge", "webhookActionId": "w-7",
              "data": {"deletedCandidate": {"id": "cand-1"},
                       "mergedCandidate": {"id": "cand-2"}}},
    "ping": {"action": "ping", "data": {"webhook": {"id": "wh-1"}}},
}
for name, env in envelopes.items():
    write("fuzz_ashby_webhook", f"{name}.json", b"\x02" + compact(env).encode())
write("fuzz_ashby_webhook", "unsigned_ping.json", b"\x00" + compact(envelopes["ping"]).encode())

# Ashby API payloads: candidate.info answer, NUL, application.info answer.
candidate = {
    "id": "cand-1", "name": "Ada Lovelace",
    "primaryEmailAddress": {"value": "ada@example.com", "type": "Personal", "isPrimary": True},
    "emailAddresses": [{"value": "ada@example.com", "type": "Personal", "isPrimary": True}],
    "primaryPhoneNumber": {"value": "+1 415 555 0101", "type": "Mobile", "isPrimary": True},
    "phoneNumbers": [{"value": "(415) 555-0199", "type": "Work", "isPrimary": False}],
    "tags": [{"id": "t-1", "title": "VIP", "isArchived": False}],
    "customFields": [{"id": "cf-1", "title": "Postal Code", "value": "94105"},
                     {"id": "cf-2", "title": "State", "value": "California"},
                     {"id": "cf-3", "title": "Remote", "value": True}],
    "location": {"locationSummary": "San Francisco, California, United States",
                 "locationComponents": [{"type": "Country", "name": "United States"},
                                        {"type": "Region", "name": "California"},
                                        {"type": "City", "name": "San Francisco"}]},
    "applicationIds": ["app-1"]}
application = {
    "id": "app-1", "status": "Active", "candidate": {"id": "cand-1"},
    "currentInterviewStage": {"id": "s", "title": "Offer", "type": "Offer"},
    "job": {"id": "job-1", "title": "Engineer"},
    "customFields": [{"id": "cf-9", "title": "Street", "value": "1 Market St"}],
    "submitterClientIp": "203.0.113.10",
    "applicationFormSubmissions": [{
        "formDefinition": {"sections": [{"fields": [
            {"field": {"id": "f1", "path": "_systemfield_consent",
                       "title": "I consent to a background and identity check",
                       "type": "Boolean"}},
            {"field": {"id": "f2", "path": "_systemfield_dob", "title": "Date of birth",
                       "type": "Date"}}]}]},
        "submittedValues": {"_systemfield_consent": True, "_systemfield_dob": "1990-12-10"}}]}


def ok(results):
    return compact({"success": True, "results": results})


write("fuzz_ashby_payload", "full.txt", ok(candidate) + "\0" + ok(application))
write("fuzz_ashby_payload", "minimal.txt", ok({"id": "c", "name": "Madonna"}) + "\0" +
      ok({"id": "a", "candidate": {"id": "c"}}))
write("fuzz_ashby_payload", "failure.txt", compact(
    {"success": False, "errorInfo": {"code": "rate_limit_exceeded", "requestId": "r"}}))
uk = dict(candidate, name="Smith Jr., John",
          location={"locationComponents": [{"type": "Country", "name": "GB"}]},
          primaryPhoneNumber={"value": "020 7946 0018", "type": "Mobile", "isPrimary": True})
write("fuzz_ashby_payload", "uk.txt", ok(uk) + "\0" + ok(application))

# Ashby-Signature: header line, then body.
for i, body in enumerate(['{"action":"ping"}', "", compact(envelopes["submit"])]):
    sig = hmac.new(b"second-secret", body.encode(), hashlib.sha256).hexdigest()
    write("fuzz_signature", f"valid_{i}.txt", f"sha256={sig}\n{body}")
write("fuzz_signature", "malformed.txt", "sha256=ABC\n{}")
write("fuzz_signature", "other_scheme.txt", "sha1=" + "0" * 40 + "\nbody")

# Authorization headers.
basic = base64.b64encode(b"riskos:pa:ss word").decode()
for name, value in {"bearer": "Bearer token-one", "bearer_lower": "bearer token-two",
                    "basic": f"Basic {basic}", "basic_wrong": "Basic " +
                    base64.b64encode(b"riskos:nope").decode(),
                    "basic_no_colon": "Basic " + base64.b64encode(b"riskos").decode(),
                    "digest": 'Digest username="x"', "empty_bearer": "Bearer "}.items():
    write("fuzz_credentials", f"{name}.txt", value)

# Transfer-Encoding lines: the first byte sets Content-Length (1) and HTTP/1.0 (2).
for name, value in {"chunked": "\0chunked", "spaces": "\0 Chunked \t", "none": "\0",
                    "gzip_chunked": "\0gzip, chunked", "two_lines": "\0chunked\nchunked",
                    "parameter": "\0chunked;q=1", "with_content_length": "\1chunked",
                    "http10": "\2chunked"}.items():
    write("fuzz_http_framing", f"{name}.txt", value)

# Configuration files.
for f in sorted((root / "config").glob("*.yaml")):
    write("fuzz_config", f.name, f.read_bytes())
write("fuzz_config", "substitution.yaml",
      'ashby:\n  api_key: "${ASHBY_API_KEY}"\n  webhook_secrets: ["${SECRET}", "${NOPE:-x}"]\n'
      'riskos:\n  api_key: "${RISKOS_API_KEY:-}"\n  webhook_auth: {bearer_tokens: ["${EMPTY}"]}\n'
      'triggers:\n  - {action: candidateStageChange, stage: Offer, flow: document_verification}\n')

# Names.
names = ["Ada Lovelace", "Mary Ann Evans", "Lovelace, Ada", "Martin Luther King, Jr.",
         "Jane Doe, PhD, MD", "Ludwig van der Berg", "Dr. Jane Goodall", "Ada\u00a0Lovelace",
         "\u5c71\u7530\u3000\u592a\u90ce", "Zo\u00eb Bj\u00f6rk-Gu\u00f0mundsd\u00f3ttir",
         "Smith Jr., John"]
for i, n in enumerate(names):
    write("fuzz_names", f"name_{i}.txt", n)
