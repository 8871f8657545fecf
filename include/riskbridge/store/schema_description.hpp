#pragma once

// The store's schema at the latest migration, described once: tables, columns (logical type,
// nullability, primary key) and indexes. Each backend writes its own SQL (SQLite and
// PostgreSQL differ in types and DDL), and each backend's tests read the schema back from a
// freshly migrated database and compare it with this description, so the two cannot drift
// apart unnoticed.

#include <string_view>
#include <vector>

namespace riskbridge::store {

enum class column_type {
    integer,  ///< SQLite INTEGER; PostgreSQL bigint (integer for small counters)
    text,     ///< SQLite TEXT; PostgreSQL text
    blob,     ///< SQLite BLOB; PostgreSQL bytea
};
const char* to_string(column_type t) noexcept;

struct column_description {
    std::string_view name;
    column_type type;
    bool not_null = false;
    bool primary_key = false;  ///< part of the table's primary key
    /// SQLite's implicit rowid stands in for this column (PostgreSQL has it explicitly).
    bool sqlite_rowid = false;
};

struct table_description {
    std::string_view name;
    std::vector<column_description> columns;
};

struct schema_description {
    int version = 0;  ///< the latest migration's version
    std::vector<table_description> tables;
    /// Secondary indexes by name (primary keys and UNIQUE constraints not included).
    std::vector<std::string_view> indexes;
};

/// The schema both backends migrate to.
const schema_description& expected_schema();

}  // namespace riskbridge::store
