#pragma once

// `riskbridge demo`'s output: terminal colours, text helpers, the notes riskbridge wrote (HTML)
// as plain text, and the result table.

#include <cstddef>
#include <string>
#include <vector>

#include "app/demo_scenario.hpp"
#include "riskbridge/sim/riskos_sim.hpp"

namespace riskbridge::app::demo {

struct term {
    bool color = false;
    std::string paint(const std::string& text, const char* code) const {
        return color ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
    }
    std::string bold(const std::string& t) const { return paint(t, "1"); }
    std::string green(const std::string& t) const { return paint(t, "32"); }
    std::string red(const std::string& t) const { return paint(t, "31"); }
    std::string dim(const std::string& t) const { return paint(t, "2"); }
};

/// Colours when stdout is a terminal, NO_COLOR is unset and TERM is not "dumb".
term make_term();

/// "1.2 s".
std::string seconds_text(steady::duration d);

/// `s`, padded with spaces to `width`.
std::string pad(const std::string& s, std::size_t width);

/// riskbridge::join, or `empty` when there are no items ("none", "-", "no tag").
std::string join_or(const std::vector<std::string>& items, const char* sep, const char* empty);

/// The note's first bold text (its headline), as plain text; else its first 80 characters.
std::string headline(const std::string& html);

/// The RiskOS case link in the row's notes (the last one that has one), or empty.
std::string case_link_of(const row& r);

/// RiskOS's webhooks to the daemon since delivery `seen` (which it advances), one line each,
/// naming the applicant whose evaluation it is (rows learn their eval_id here). True when it
/// printed a line.
bool print_riskos_webhooks(std::vector<row>& rows, const sim::riskos_simulator& riskos,
                           std::size_t& seen, std::size_t name_width, const term& t);

/// What riskbridge wrote to Ashby for each applicant: decision, tags, notes, case link, time.
void print_table(const std::vector<row>& rows, const term& t);

/// "[3/7] <name>: screening -> ACCEPT, tags LOW_RISK_IDENTITY (1.2 s)": a flow that finished.
std::string finished_text(const row& r, std::size_t done, std::size_t total);

/// The table, the verdict per applicant, the summary and how to go live; `name_width` aligns
/// the names. True when every outcome matched.
bool print_report(const std::vector<row>& rows, const term& t, std::size_t name_width,
                  steady::duration elapsed);

/// The steps to run the same daemon on real Ashby and RiskOS.
void print_going_live(const term& t);

}  // namespace riskbridge::app::demo
