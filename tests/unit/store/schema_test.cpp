// Each backend's schema, read back from a freshly migrated database, is the one
// store/schema_description.hpp describes: same tables, columns, types, nullability, primary
// keys and indexes.

#include "riskbridge/store/schema_description.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "unit/store/store_test_support.hpp"

namespace riskbridge::store::testing {
namespace {

class schema_test : public store_test {
protected:
    /// "name:type:notnull:pk" per column, in the database's words, normalised to the
    /// description's (types as column_type names; a primary key column is not null).
    std::vector<std::string> columns(raw_connection& db, std::string_view table) {
        const std::string t(table);
        if (is_postgres()) {
            return db.column(
                "SELECT c.column_name || ':' || CASE c.data_type WHEN 'bigint' THEN 'integer' "
                "WHEN 'integer' THEN 'integer' WHEN 'text' THEN 'text' WHEN 'bytea' THEN 'blob' "
                "ELSE c.data_type END || ':' || CASE WHEN c.is_nullable = 'NO' THEN '1' ELSE "
                "'0' END || ':' || CASE WHEN EXISTS (SELECT 1 FROM "
                "information_schema.table_constraints tc JOIN "
                "information_schema.key_column_usage k ON k.constraint_name = "
                "tc.constraint_name AND k.table_schema = tc.table_schema WHERE "
                "tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() AND "
                "tc.table_name = c.table_name AND k.column_name = c.column_name) THEN '1' ELSE "
                "'0' END FROM information_schema.columns c WHERE c.table_schema = "
                "current_schema() AND c.table_name = '" +
                t + "' ORDER BY c.ordinal_position");
        }
        return db.column(
            "SELECT name || ':' || CASE upper(type) WHEN 'INTEGER' THEN 'integer' "
            "WHEN 'TEXT' THEN 'text' WHEN 'BLOB' THEN 'blob' ELSE type END || ':' "
            "|| CASE WHEN \"notnull\" OR pk > 0 THEN '1' ELSE '0' END || ':' || "
            "CASE WHEN pk > 0 THEN '1' ELSE '0' END FROM pragma_table_info('" +
            t + "') ORDER BY cid");
    }

    std::vector<std::string> tables(raw_connection& db) {
        auto out = is_postgres() ? db.column(
                                       "SELECT table_name FROM information_schema.tables WHERE "
                                       "table_schema = current_schema()")
                                 : db.column(
                                       "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                       "name NOT LIKE 'sqlite_%'");
        std::sort(out.begin(), out.end());
        return out;
    }

    std::vector<std::string> indexes(raw_connection& db) {
        auto out = is_postgres()
                       ? db.column(
                             "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = "
                             "x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
                             "WHERE n.nspname = current_schema() AND NOT x.indisprimary "
                             "AND NOT x.indisunique")
                       : db.column(
                             "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                             "sql IS NOT NULL");
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::string describe(const column_description& c) {
    return std::string(c.name) + ":" + to_string(c.type) + ":" + (c.not_null ? "1" : "0") + ":" +
           (c.primary_key ? "1" : "0");
}

TEST_P(schema_test, AFreshlyMigratedDatabaseHasTheDescribedSchema) {
    auto store = open();
    ASSERT_TRUE(store);
    auto db = raw();
    const auto& expected = expected_schema();

    std::vector<std::string> expected_tables;
    for (const auto& t : expected.tables)
        expected_tables.emplace_back(t.name);
    std::sort(expected_tables.begin(), expected_tables.end());
    EXPECT_EQ(tables(*db), expected_tables);

    for (const auto& t : expected.tables) {
        std::vector<std::string> want;
        for (const auto& c : t.columns) {
            if (c.sqlite_rowid && !is_postgres())
                continue;
            want.push_back(describe(c));
        }
        EXPECT_EQ(columns(*db, t.name), want) << "table " << t.name;
        for (const auto& c : t.columns) {
            if (c.sqlite_rowid && !is_postgres()) {
                // The implicit rowid answers to the column's name.
                EXPECT_TRUE(db->exec("SELECT rowid FROM " + std::string(t.name) + " LIMIT 1"));
            }
        }
    }

    std::vector<std::string> want_indexes(expected.indexes.begin(), expected.indexes.end());
    std::sort(want_indexes.begin(), want_indexes.end());
    EXPECT_EQ(indexes(*db), want_indexes);

    EXPECT_EQ(db->scalar("SELECT max(version) FROM schema_version"),
              std::to_string(expected.version));
}

TEST(SchemaDescriptionTest, NamesEveryTableOnceAndEveryTableHasAPrimaryKey) {
    const auto& s = expected_schema();
    std::vector<std::string_view> names;
    for (const auto& t : s.tables) {
        names.push_back(t.name);
        EXPECT_TRUE(std::any_of(t.columns.begin(), t.columns.end(),
                                [](const column_description& c) { return c.primary_key; }))
            << t.name;
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

RB_STORE_BACKENDS(schema_test);

}  // namespace
}  // namespace riskbridge::store::testing
