#include "riskbridge/observability/log.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace riskbridge::log {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

class LogTest : public ::testing::Test {
protected:
    void SetUp() override { init_to_stream(out_, level::info); }
    // Detach from out_ before it is destroyed, and leave a quiet logger for later tests.
    void TearDown() override { init(level::off); }

    std::vector<std::string> lines() const { return lines_of(out_.str()); }

    /// Every line parses as one JSON object; returns them.
    std::vector<json> objects() const {
        std::vector<json> out;
        for (const auto& line : lines()) {
            json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
            EXPECT_TRUE(j.is_object()) << line;
            out.push_back(std::move(j));
        }
        return out;
    }

    std::ostringstream out_;
};

TEST_F(LogTest, OneJsonObjectPerLineWithTsLevelEvent) {
    info("job_enqueued", {{"job_id", "j-1"}});
    warn("upstream_slow", {{"attempt", 2}});
    error("job_failed");
    flush();
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 3u);
    const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
    const char* levels[] = {"info", "warn", "error"};
    const char* events[] = {"job_enqueued", "upstream_slow", "job_failed"};
    for (std::size_t i = 0; i < objs.size(); ++i) {
        auto& o = objs[i];
        ASSERT_TRUE(o.contains("ts") && o["ts"].is_string());
        EXPECT_TRUE(std::regex_match(o["ts"].get<std::string>(), rfc3339)) << o["ts"];
        EXPECT_EQ(o["level"], levels[i]);
        EXPECT_EQ(o["event"], events[i]);
    }
    EXPECT_EQ(objs[0]["job_id"], "j-1");
    EXPECT_EQ(objs[1]["attempt"], 2);
    EXPECT_EQ(objs[2].size(), 3u);  // no fields beyond ts, level, event
}

TEST_F(LogTest, KeysComeInOrderTsLevelEventThenFields) {
    info("ordered", {{"b", 1}, {"a", 2}});
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].find(R"({"ts":")"), 0u) << l[0];
    const auto level_pos = l[0].find(R"("level":)");
    const auto event_pos = l[0].find(R"("event":)");
    const auto b_pos = l[0].find(R"("b":)");
    const auto a_pos = l[0].find(R"("a":)");
    EXPECT_LT(level_pos, event_pos);
    EXPECT_LT(event_pos, b_pos);
    EXPECT_LT(b_pos, a_pos);
}

TEST_F(LogTest, FieldsKeepTheirTypes) {
    const std::string id = "cand-42";
    info("typed", {{"s", id},
                   {"sv", std::string_view("view")},
                   {"neg", -7},
                   {"i64", std::int64_t{-9'000'000'000}},
                   {"u64", std::numeric_limits<std::uint64_t>::max()},
                   {"size", std::size_t{3}},
                   {"ratio", 0.25},
                   {"flag", true},
                   {"off", false}});
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 1u);
    auto& o = objs[0];
    EXPECT_TRUE(o["s"].is_string());
    EXPECT_EQ(o["s"], "cand-42");
    EXPECT_EQ(o["sv"], "view");
    ASSERT_TRUE(o["neg"].is_number_integer());
    EXPECT_EQ(o["neg"].get<long long>(), -7);
    EXPECT_EQ(o["i64"].get<std::int64_t>(), -9'000'000'000);
    ASSERT_TRUE(o["u64"].is_number_unsigned());
    EXPECT_EQ(o["u64"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(o["size"].get<std::size_t>(), 3u);
    ASSERT_TRUE(o["ratio"].is_number_float());
    EXPECT_DOUBLE_EQ(o["ratio"].get<double>(), 0.25);
    ASSERT_TRUE(o["flag"].is_boolean());
    EXPECT_TRUE(o["flag"].get<bool>());
    EXPECT_FALSE(o["off"].get<bool>());
}

TEST_F(LogTest, AwkwardStringsStayOneValidLine) {
    info("escaped", {{"reason", "line1\nline2 \"quoted\"\t\\"},
                     {"bad_utf8", std::string_view("a\xff\xfe"
                                                   "b")}});
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u) << out_.str();
    auto o = json::parse(l[0]);
    EXPECT_EQ(o["reason"], "line1\nline2 \"quoted\"\t\\");
    EXPECT_TRUE(o["bad_utf8"].is_string());
}

TEST_F(LogTest, ScopedContextAddsFieldsOnlyWhileAlive) {
    {
        scoped_context job("job_id", "j-7");
        info("inside_outer");
        {
            scoped_context cand("candidate_id", "c-9");
            info("inside_inner", {{"step", "fetch"}});
        }
        info("after_inner");
    }
    info("after_outer");
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 4u);
    EXPECT_EQ(objs[0]["job_id"], "j-7");
    EXPECT_FALSE(objs[0].contains("candidate_id"));
    EXPECT_EQ(objs[1]["job_id"], "j-7");
    EXPECT_EQ(objs[1]["candidate_id"], "c-9");
    EXPECT_EQ(objs[1]["step"], "fetch");
    EXPECT_EQ(objs[2]["job_id"], "j-7");
    EXPECT_FALSE(objs[2].contains("candidate_id"));
    EXPECT_FALSE(objs[3].contains("job_id"));
    EXPECT_FALSE(objs[3].contains("candidate_id"));
}

TEST_F(LogTest, InnerScopeShadowsOuterWithTheSameKey) {
    {
        scoped_context outer("job_id", "outer");
        {
            scoped_context inner("job_id", "inner");
            info("shadowed");
        }
        info("restored");
    }
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 2u);
    EXPECT_EQ(objs[0]["job_id"], "inner");
    EXPECT_EQ(objs[1]["job_id"], "outer");
}

TEST_F(LogTest, ScopeEndingOutOfOrderRemovesOnlyItsOwnField) {
    // A job's ids are held by an object that outlives the handler's own scopes: the
    // handler's scope ends first, though it was opened before the job's id was added.
    auto job_ids = std::make_unique<std::vector<std::unique_ptr<scoped_context>>>();
    {
        scoped_context handler("event_id", "e-1");
        job_ids->push_back(std::make_unique<scoped_context>("candidate_id", "c-1"));
        info("both");
    }
    info("job_ids_only");
    job_ids.reset();
    info("none");
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 3u);
    EXPECT_EQ(objs[0]["event_id"], "e-1");
    EXPECT_EQ(objs[0]["candidate_id"], "c-1");
    EXPECT_FALSE(objs[1].contains("event_id"));
    EXPECT_EQ(objs[1]["candidate_id"], "c-1");
    EXPECT_FALSE(objs[2].contains("event_id"));
    EXPECT_FALSE(objs[2].contains("candidate_id"));
}

TEST_F(LogTest, ContextIsPerThread) {
    scoped_context mine("job_id", "main-thread");
    std::thread other([] { info("from_other_thread"); });
    other.join();
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 1u);
    EXPECT_EQ(objs[0]["event"], "from_other_thread");
    EXPECT_FALSE(objs[0].contains("job_id"));
}

TEST_F(LogTest, ReservedKeysCannotBeOverwritten) {
    scoped_context ctx("level", "ctx");
    info("real_event", {{"event", "fake"}, {"ts", 5}});
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 1u);
    EXPECT_EQ(objs[0]["event"], "real_event");
    EXPECT_EQ(objs[0]["level"], "info");
    EXPECT_TRUE(objs[0]["ts"].is_string());
    EXPECT_EQ(objs[0]["_event"], "fake");
    EXPECT_EQ(objs[0]["_ts"], 5);
    EXPECT_EQ(objs[0]["_level"], "ctx");
}

TEST_F(LogTest, LevelFiltering) {
    EXPECT_FALSE(enabled(level::debug));
    EXPECT_TRUE(enabled(level::info));
    EXPECT_FALSE(enabled(level::off));
    trace("dropped_trace");
    debug("dropped_debug");
    info("kept_info");
    write(level::critical, "kept_critical");
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 2u);
    EXPECT_EQ(objs[0]["event"], "kept_info");
    EXPECT_EQ(objs[1]["event"], "kept_critical");
    EXPECT_EQ(objs[1]["level"], "critical");
}

TEST_F(LogTest, SetLevelChangesFilteringOnTheFly) {
    set_level(level::debug);
    debug("now_kept");
    set_level(level::error);
    warn("now_dropped");
    error("still_kept");
    set_level(level::off);
    write(level::critical, "off_drops_everything");
    auto objs = objects();  // non-const: a missing key reads as null, not an assert
    ASSERT_EQ(objs.size(), 2u);
    EXPECT_EQ(objs[0]["event"], "now_kept");
    EXPECT_EQ(objs[0]["level"], "debug");
    EXPECT_EQ(objs[1]["event"], "still_kept");
}

TEST_F(LogTest, InitAgainReplacesTheSink) {
    std::ostringstream second;
    init_to_stream(second, level::info);
    info("to_second");
    init_to_stream(out_, level::info);  // second must not be used after this test returns
    EXPECT_TRUE(out_.str().empty());
    EXPECT_NE(second.str().find("to_second"), std::string::npos);
}

TEST_F(LogTest, TextFormat) {
    init_to_stream(out_, level::info, format::text);
    scoped_context ctx("job_id", "j-1");
    info("text_event", {{"count", 3}, {"ok", true}, {"note", "two words"}, {"empty", ""}});
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u);
    const std::regex expected(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info text_event job_id=j-1 count=3 ok=true )"
        R"(note="two words" empty="")");
    EXPECT_TRUE(std::regex_match(l[0], expected)) << l[0];
}

TEST_F(LogTest, TextFormatValuesCannotBreakTheLine) {
    init_to_stream(out_, level::info, format::text);
    info("text_event", {{"reason", "a\nfake_line level=error"}, {"ts", 1}});
    const auto l = lines();
    ASSERT_EQ(l.size(), 1u) << out_.str();
    EXPECT_NE(l[0].find(R"(reason="a\nfake_line level=error")"), std::string::npos) << l[0];
    EXPECT_NE(l[0].find("_ts=1"), std::string::npos) << l[0];
}

TEST(LogLevel, ParseLevel) {
    level l = level::off;
    EXPECT_TRUE(parse_level("trace", l));
    EXPECT_EQ(l, level::trace);
    EXPECT_TRUE(parse_level("debug", l));
    EXPECT_EQ(l, level::debug);
    EXPECT_TRUE(parse_level("info", l));
    EXPECT_EQ(l, level::info);
    EXPECT_TRUE(parse_level("warn", l));
    EXPECT_EQ(l, level::warn);
    EXPECT_TRUE(parse_level("warning", l));
    EXPECT_EQ(l, level::warn);
    EXPECT_TRUE(parse_level("error", l));
    EXPECT_EQ(l, level::error);
    EXPECT_TRUE(parse_level("critical", l));
    EXPECT_EQ(l, level::critical);
    EXPECT_TRUE(parse_level("off", l));
    EXPECT_EQ(l, level::off);
    l = level::info;
    EXPECT_FALSE(parse_level("verbose", l));
    EXPECT_FALSE(parse_level("", l));
    EXPECT_EQ(l, level::info);  // untouched on failure
}

}  // namespace
}  // namespace riskbridge::log
