#include "riskbridge/core/error.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace riskbridge {
namespace {

result<int> parse_digit(char c) {
    if (c < '0' || c > '9') {
        return make_error(errc::parse_error, "not a digit");
    }
    return c - '0';
}

result<void> check_positive(int n) {
    if (n <= 0) {
        return error{errc::invalid_argument, "not positive"};
    }
    return {};
}

TEST(Result, HoldsAValue) {
    const auto r = parse_digit('7');
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(static_cast<bool>(r));
    EXPECT_EQ(r.value(), 7);
    EXPECT_EQ(*r, 7);
}

TEST(Result, HoldsAnError) {
    const auto r = parse_digit('x');
    ASSERT_FALSE(r.has_value());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(r.error().code, errc::parse_error);
    EXPECT_EQ(r.error().message, "not a digit");
}

TEST(Result, AccessingTheWrongAlternativeThrowsInsteadOfReadingGarbage) {
    const auto ok = parse_digit('1');
    const auto bad = parse_digit('x');
    EXPECT_THROW((void)ok.error(), std::bad_variant_access);
    EXPECT_THROW((void)bad.value(), std::bad_variant_access);
}

TEST(Result, ValueIsMutableAndArrowWorks) {
    result<std::string> r{std::string("abc")};
    r.value() += "d";
    EXPECT_EQ(*r, "abcd");
    EXPECT_EQ(r->size(), 4u);
    const result<std::string>& cr = r;
    EXPECT_EQ(cr->front(), 'a');
}

TEST(Result, MoveOnlyValueCanBeMovedOut) {
    result<std::unique_ptr<int>> r{std::make_unique<int>(42)};
    ASSERT_TRUE(r);
    std::unique_ptr<int> p = std::move(r).value();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 42);
}

TEST(Result, ErrorCanBeMovedOut) {
    result<std::vector<int>> r{make_error(errc::unavailable, "store down")};
    error e = std::move(r).error();
    EXPECT_EQ(e.code, errc::unavailable);
    EXPECT_EQ(e.message, "store down");
}

TEST(ResultVoid, DefaultIsSuccess) {
    const auto r = check_positive(3);
    EXPECT_TRUE(r.has_value());
    EXPECT_TRUE(static_cast<bool>(r));
    const result<void> plain;
    EXPECT_TRUE(plain.has_value());
}

TEST(ResultVoid, HoldsAnError) {
    const auto r = check_positive(0);
    ASSERT_FALSE(r.has_value());
    EXPECT_FALSE(static_cast<bool>(r));
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_EQ(r.error().message, "not positive");
}

TEST(Error, DefaultIsInternal) {
    const error e;
    EXPECT_EQ(e.code, errc::internal);
    EXPECT_TRUE(e.message.empty());
}

TEST(Errc, ToStringNamesEveryCode) {
    EXPECT_EQ(to_string(errc::invalid_argument), "invalid_argument");
    EXPECT_EQ(to_string(errc::parse_error), "parse_error");
    EXPECT_EQ(to_string(errc::not_found), "not_found");
    EXPECT_EQ(to_string(errc::conflict), "conflict");
    EXPECT_EQ(to_string(errc::unauthorized), "unauthorized");
    EXPECT_EQ(to_string(errc::unavailable), "unavailable");
    EXPECT_EQ(to_string(errc::overloaded), "overloaded");
    EXPECT_EQ(to_string(errc::timeout), "timeout");
    EXPECT_EQ(to_string(errc::io_error), "io_error");
    EXPECT_EQ(to_string(errc::transient), "transient");
    EXPECT_EQ(to_string(errc::permanent), "permanent");
    EXPECT_EQ(to_string(errc::internal), "internal");
    EXPECT_EQ(to_string(static_cast<errc>(999)), "unknown");
}

}  // namespace
}  // namespace riskbridge
