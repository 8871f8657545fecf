// The webhooks of a DocV capture: each step becomes a case_notes_added or evaluation_completed
// event, sent to the daemon's /webhooks/riskos with Bearer credentials; automatic captures
// retry a failed event (options.webhook_attempts) and pace their steps on the outbox thread.

#include "riskbridge/observability/log.hpp"
#include "sim/riskos_model.hpp"

namespace riskbridge::sim {

namespace {

using detail::dump;
using detail::json;

std::unique_ptr<clients::http_client> make_sender() {
    return detail::make_webhook_sender("riskbridge-sim-riskos");
}

/// Sends the event once, and notes the attempt and its result in its record.
void deliver(clients::http_client& client, detail::outgoing_event& o) {
    ++o.record.attempts;
    if (o.url.empty()) {
        o.record.error = "no webhook target configured";
        return;
    }
    auto r = client.send(detail::json_post(o.url, o.body, "Authorization", "Bearer " + o.bearer));
    if (r) {
        o.record.http_status = r->status;
        o.record.error = o.record.delivered() ? "" : "HTTP " + std::to_string(r->status);
    } else {
        o.record.http_status = 0;
        o.record.error = r.error().message;
    }
}

}  // namespace

namespace detail {

json case_notes_data(const evaluation& e, const std::string& notes, const std::string& now) {
    return json{{"attachments", nullptr}, {"environment_name", "Sandbox"},
                {"eval_id", e.eval_id},   {"id", e.request_id},
                {"notes", notes},         {"reviewer_id", "Webhook"},
                {"updated_at", now},      {"workflow", e.workflow}};
}

json delivery_json(const webhook_delivery& d) {
    return json{{"event_type", d.event_type},   {"event_id", d.event_id},
                {"eval_id", d.eval_id},         {"notes", d.notes},
                {"http_status", d.http_status}, {"error", d.error},
                {"attempts", d.attempts}};
}

}  // namespace detail

riskos_simulator::impl::outgoing riskos_simulator::impl::event_for(const eval_rec& e,
                                                                   const std::string& event_type,
                                                                   json data) {
    outgoing out;
    out.url = webhook_url;
    out.bearer = webhook_bearer;
    out.record.eval_id = e.eval_id;
    out.record.event_id = ids.next();
    out.record.event_type = event_type;
    out.body = dump(json{{"event_type", event_type},
                         {"event_id", out.record.event_id},
                         {"event_at", now_text()},
                         {"data", std::move(data)}});
    return out;
}

std::optional<riskos_simulator::impl::outgoing> riskos_simulator::impl::claim(
    const std::string& eval_id) {
    std::lock_guard lock(mu);
    auto it = evals.find(eval_id);
    if (it == evals.end() || !it->second.docv || it->second.next_step >= it->second.steps.size()) {
        return std::nullopt;
    }
    eval_rec& e = it->second;
    const detail::docv_step s = e.steps[e.next_step++];
    if (s.completion) {
        complete(e);
        return event_for(e, "evaluation_completed", e.doc);
    }
    outgoing out =
        event_for(e, "case_notes_added", detail::case_notes_data(e, s.notes, now_text()));
    out.record.notes = s.notes;
    return out;
}

void riskos_simulator::impl::record(const outgoing& o) {
    const webhook_delivery& d = o.record;
    log::info("sim_riskos_webhook", {{"eval_id", d.eval_id},
                                     {"event_type", d.event_type},
                                     {"event_id", d.event_id},
                                     {"status", d.http_status},
                                     {"attempts", d.attempts}});
    {
        std::lock_guard lock(mu);
        deliveries.push_back(d);
        bodies.emplace(d.event_id, o.body);  // a redelivery keeps the first (the same) body
    }
    delivered_cv.notify_all();
}

void riskos_simulator::impl::auto_step(const std::string& eval_id, std::optional<outgoing> pending,
                                       int attempt) {
    if (!outbox_client) {
        outbox_client = make_sender();
    }
    std::optional<outgoing> o = pending ? std::move(pending) : claim(eval_id);
    if (!o) {
        return;
    }
    deliver(*outbox_client, *o);
    if (!o->record.delivered() && !o->url.empty() && attempt < opt.webhook_attempts) {
        host.outbox().post_after(opt.webhook_retry_delay,
                                 [this, eval_id, again = std::move(*o), attempt]() mutable {
                                     auto_step(eval_id, std::move(again), attempt + 1);
                                 });
        return;
    }
    record(*o);
    host.outbox().post_after(opt.docv_step_interval,
                             [this, eval_id] { auto_step(eval_id, std::nullopt, 1); });
}

std::vector<webhook_delivery> riskos_simulator::impl::run_now(const std::string& eval_id) {
    std::vector<webhook_delivery> out;
    std::unique_ptr<clients::http_client> client;
    while (auto o = claim(eval_id)) {
        if (!client) {
            client = make_sender();
        }
        deliver(*client, *o);
        record(*o);
        out.push_back(o->record);
    }
    return out;
}

webhook_delivery riskos_simulator::impl::send_now(outgoing o) {
    auto client = make_sender();
    deliver(*client, o);
    record(o);
    return o.record;
}

void riskos_simulator::impl::send_later(outgoing o, const http::respond_fn& respond, json extra) {
    host.outbox().post([this, o = std::move(o), respond, extra = std::move(extra)]() mutable {
        if (!outbox_client) {
            outbox_client = make_sender();
        }
        deliver(*outbox_client, o);
        record(o);
        json answer = std::move(extra);
        answer["delivery"] = detail::delivery_json(o.record);
        respond(detail::json_response(200, answer));
    });
}

}  // namespace riskbridge::sim
