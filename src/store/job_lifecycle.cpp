#include "riskbridge/store/job_lifecycle.hpp"

#include <array>
#include <cstddef>

namespace riskbridge::store {

namespace {

constexpr unsigned bits(std::initializer_list<job_state> states) {
    unsigned out = 0;
    for (auto s : states)
        out |= state_bit(s);
    return out;
}

using enum job_state;

// The one place the state machine is decided; indexed by job_op.
constexpr job_transition table[] = {
    {.op = job_op::claim,
     .from = bits({queued, retry_wait}),
     .to = running,
     .lease = lease_effect::take,
     .attempts = attempts_effect::increment},
    {.op = job_op::take_over,
     .from = bits({running}),
     .to = running,
     .lease = lease_effect::take,
     .attempts = attempts_effect::increment,
     .attempt_outcome = "lease_expired"},
    {.op = job_op::extend_lease,
     .from = bits({running}),
     .to = std::nullopt,
     .needs_lease_holder = true},
    {.op = job_op::save_checkpoint,
     .from = bits({running}),
     .to = std::nullopt,
     .needs_lease_holder = true},
    {.op = job_op::mark_done,
     .from = bits({running}),
     .to = done,
     .needs_lease_holder = true,
     .lease = lease_effect::clear,
     .finishes = true,
     .attempt_outcome = "done"},
    {.op = job_op::mark_retry,
     .from = bits({running}),
     .to = retry_wait,
     .needs_lease_holder = true,
     .lease = lease_effect::clear,
     .attempt_outcome = "retry"},
    {.op = job_op::mark_dead,
     .from = bits({running}),
     .to = dead,
     .needs_lease_holder = true,
     .lease = lease_effect::clear,
     .finishes = true,
     .attempt_outcome = "dead"},
    {.op = job_op::release,
     .from = bits({running}),
     .to = queued,
     .lease = lease_effect::clear,
     .attempt_outcome = "lease_expired"},
    {.op = job_op::retry_dead,
     .from = bits({dead}),
     .to = queued,
     .lease = lease_effect::clear,
     .attempts = attempts_effect::reset,
     .reopens = true},
    {.op = job_op::cancel,
     .from = bits({queued, running, retry_wait, dead}),
     .to = cancelled,
     .lease = lease_effect::clear,
     .finishes = true},
};
static_assert(std::size(table) == std::size(all_job_ops));

constexpr bool table_in_op_order() {
    for (std::size_t i = 0; i < std::size(table); ++i) {
        if (static_cast<std::size_t>(table[i].op) != i)
            return false;
    }
    return true;
}
static_assert(table_in_op_order(), "the transition table is indexed by job_op");

std::string states_in(unsigned set) {
    std::string out = "state IN (";
    bool first = true;
    for (auto s : all_job_states) {
        if ((set & state_bit(s)) == 0)
            continue;
        if (!first)
            out += ", ";
        out += state_sql(s);
        first = false;
    }
    return out + ")";
}

}  // namespace

const char* to_string(job_op op) noexcept {
    switch (op) {
        case job_op::claim:
            return "claim";
        case job_op::take_over:
            return "take_over";
        case job_op::extend_lease:
            return "extend_lease";
        case job_op::save_checkpoint:
            return "save_checkpoint";
        case job_op::mark_done:
            return "mark_done";
        case job_op::mark_retry:
            return "mark_retry";
        case job_op::mark_dead:
            return "mark_dead";
        case job_op::release:
            return "release";
        case job_op::retry_dead:
            return "retry_dead";
        case job_op::cancel:
            return "cancel";
    }
    return "unknown";
}

const job_transition& transition(job_op op) noexcept {
    return table[static_cast<std::size_t>(op)];
}

bool allowed(job_op op, job_state from) noexcept {
    return (transition(op).from & state_bit(from)) != 0;
}

std::optional<job_state> next_state(job_op op, job_state from) noexcept {
    if (!allowed(op, from))
        return std::nullopt;
    return transition(op).to.value_or(from);
}

bool is_finished(job_state s) noexcept {
    return s == done || s == dead || s == cancelled;
}

std::string guard_sql(job_op op) {
    return states_in(transition(op).from);
}

std::string effects_sql(job_op op) {
    const auto& t = transition(op);
    std::string out;
    auto add = [&out](const std::string& assignment) {
        if (!out.empty())
            out += ", ";
        out += assignment;
    };
    if (t.to)
        add("state = " + state_sql(*t.to));
    if (t.lease == lease_effect::clear)
        add("lease_owner = '', lease_until = 0");
    if (t.attempts == attempts_effect::increment)
        add("attempts = attempts + 1");
    if (t.attempts == attempts_effect::reset)
        add("attempts = 0");
    if (t.reopens)
        add("outcome = '', finished_at = NULL");
    return out;
}

std::string finished_states_sql() {
    unsigned set = 0;
    for (auto s : all_job_states) {
        if (is_finished(s))
            set |= state_bit(s);
    }
    return states_in(set);
}

std::string state_sql(job_state s) {
    return std::string("'") + to_string(s) + "'";
}

}  // namespace riskbridge::store
