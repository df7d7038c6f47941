// Reading rows of shadegap's CSV outputs in tests: a row by its values, a cell as a number.
// SPDX-License-Identifier: MIT
#pragma once

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <map>
#include <string>
#include <utility>

namespace shadegap::test {

using CsvRow = std::map<std::string, std::string>;

/// The cell of `key` in `row` as a number; fails the test when the column is missing or empty.
inline double number(const CsvRow& row, const std::string& key) {
    const auto it = row.find(key);
    REQUIRE(it != row.end());
    REQUIRE_FALSE(it->second.empty());
    return std::stod(it->second);
}

/// The first row whose columns hold all the given values; fails the test when none does.
inline CsvRow row_where(const CsvTable& table, std::initializer_list<std::pair<std::string, std::string>> match) {
    for (const auto& row : table.rows) {
        bool all = true;
        for (const auto& [key, value] : match) all = all && row.count(key) == 1 && row.at(key) == value;
        if (all) return row;
    }
    std::string wanted;
    for (const auto& [key, value] : match) wanted += (wanted.empty() ? "" : ", ") + key + " = " + value;
    FAIL("no row with " << wanted);
    return {};
}

/// The first row whose `key` column holds `value`.
inline CsvRow row_where(const CsvTable& table, const std::string& key, const std::string& value) {
    return row_where(table, {{key, value}});
}

}  // namespace shadegap::test
