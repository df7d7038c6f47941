// Regression against the published Tree Equity Score v2 data (../shared/tes-oracle/).
// SPDX-License-Identifier: MIT
#include "shadegap/model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

const std::string oracle_dir = SHADEGAP_ORACLE_DIR;
const std::string boston_csv = oracle_dir + "/tes_v2_boston_blockgroups.csv";
const std::string massachusetts_csv = oracle_dir + "/tes_v2_massachusetts_blockgroups.csv";

/// A CSV file read whole: RFC 4180 quoting ("Boston, MA--NH", "" for a quote), CRLF or LF.
class CsvTable {
public:
    explicit CsvTable(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        REQUIRE(in.good());
        std::ostringstream text;
        text << in.rdbuf();
        std::vector<std::vector<std::string>> records = parse(text.str());
        REQUIRE(!records.empty());
        m_header = std::move(records.front());
        m_rows.assign(std::make_move_iterator(records.begin() + 1),
                      std::make_move_iterator(records.end()));
        for (std::size_t i = 0; i < m_rows.size(); ++i)
            if (m_rows[i].size() != m_header.size())
                FAIL(path << ": record " << i + 2 << " has " << m_rows[i].size()
                          << " fields, the header " << m_header.size());
    }

    std::size_t size() const { return m_rows.size(); }

    std::size_t column(const std::string& name) const {
        const auto it = std::find(m_header.begin(), m_header.end(), name);
        if (it == m_header.end()) FAIL("no column " << name);
        return static_cast<std::size_t>(it - m_header.begin());
    }
    const std::string& text(std::size_t row, std::size_t column) const {
        return m_rows[row][column];
    }
    double number(std::size_t row, std::size_t column) const {
        const std::string& field = m_rows[row][column];
        char* end = nullptr;
        const double value = std::strtod(field.c_str(), &end);
        if (field.empty() || end != field.c_str() + field.size())
            FAIL("row " << row + 1 << ", column " << m_header[column] << ": '" << field
                        << "' is not a number");
        return value;
    }

private:
    static std::vector<std::vector<std::string>> parse(const std::string& text) {
        std::vector<std::vector<std::string>> records;
        std::vector<std::string> record;
        std::string field;
        bool quoted = false;
        bool pending = false;  // a record has begun
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (quoted) {
                if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field += c;
                }
                continue;
            }
            if (c == '"') {
                quoted = true;
                pending = true;
            } else if (c == ',') {
                record.push_back(std::move(field));
                field.clear();
                pending = true;
            } else if (c == '\n') {
                if (pending || !field.empty()) {
                    record.push_back(std::move(field));
                    records.push_back(std::move(record));
                }
                field.clear();
                record.clear();
                pending = false;
            } else if (c != '\r') {
                field += c;
                pending = true;
            }
        }
        if (pending || !field.empty()) {
            record.push_back(std::move(field));
            records.push_back(std::move(record));
        }
        return records;
    }

    std::vector<std::string> m_header;
    std::vector<std::vector<std::string>> m_rows;
};

/// The oracle lives beside the checkout, not in it. CI must have it; a developer
/// without it is warned and the test is skipped.
bool oracle_present() {
    if (std::ifstream(boston_csv).good() && std::ifstream(massachusetts_csv).good()) return true;
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true")
        FAIL("Tree Equity Score oracle not found in " << oracle_dir << " (CI must provide it)");
    WARN("Tree Equity Score oracle not found in " << oracle_dir << ": oracle test skipped");
    return false;
}

}  // namespace

TEST_CASE("Boston: gap = max(0, goal - canopy) for every block group", "[tes-oracle]") {
    if (!oracle_present()) return;
    const CsvTable boston(boston_csv);
    REQUIRE(boston.size() == 580);
    const std::size_t goal = boston.column("tc_goal");
    const std::size_t canopy = boston.column("treecanopy");
    const std::size_t gap = boston.column("tc_gap");
    // The file rounds canopy to 4 decimals, but its tc_gap is computed from the rounded
    // values, so the only difference is binary rounding (observed < 1e-16); 1e-9 leaves room.
    double worst = 0;
    std::size_t matches = 0;
    for (std::size_t row = 0; row < boston.size(); ++row) {
        const double computed =
            std::max(0.0, boston.number(row, goal) - boston.number(row, canopy));
        const double difference = std::abs(computed - boston.number(row, gap));
        worst = std::max(worst, difference);
        if (difference <= 1e-9) ++matches;
    }
    INFO("largest |max(0, tc_goal - treecanopy) - tc_gap| = " << worst);
    CHECK(matches == 580);
}

TEST_CASE("Boston: published scores are floored, never rounded", "[tes-oracle]") {
    if (!oracle_present()) return;
    const CsvTable boston(boston_csv);
    REQUIRE(boston.size() == 580);
    const std::size_t gap = boston.column("tc_gap");
    const std::size_t priority = boston.column("priority_i");
    const std::size_t tes = boston.column("tes");
    const std::size_t city = boston.column("tesctyscor");

    double gap_max = 0;
    for (std::size_t row = 0; row < boston.size(); ++row)
        gap_max = std::max(gap_max, boston.number(row, gap));
    CHECK(gap_max == 0.4924);

    std::size_t floor_matches = 0;
    std::size_t round_mismatches = 0;
    std::ostringstream mismatches;
    std::vector<double> scores;
    std::vector<double> priorities;
    for (std::size_t row = 0; row < boston.size(); ++row) {
        const double published = boston.number(row, tes);
        const double floored = tes::score(boston.number(row, gap), gap_max,
                                          boston.number(row, priority), 100, Rounding::Floor);
        const double rounded = tes::score(boston.number(row, gap), gap_max,
                                          boston.number(row, priority), 100, Rounding::Round);
        if (floored == published)
            ++floor_matches;
        else
            mismatches << "row " << row + 1 << ": expected " << published << ", got " << floored
                       << "; ";
        if (rounded != published) ++round_mismatches;
        scores.push_back(published);
        priorities.push_back(boston.number(row, priority));
    }
    INFO(mismatches.str());
    CHECK(floor_matches == 580);
    INFO("rounding disagrees on " << round_mismatches << " rows (the oracle's README: 248)");
    CHECK(round_mismatches >= 200);

    const std::optional<double> city_score = tes::city_score(scores, priorities, 100);
    REQUIRE(city_score.has_value());
    INFO("city score: expected 89.06, got " << *city_score);
    CHECK(*city_score == Approx(89.06).margin(0.01));
    for (std::size_t row = 0; row < boston.size(); ++row)
        REQUIRE(boston.number(row, city) == std::round(*city_score));
}

TEST_CASE("Boston: apply_model with the built-in tree-equity model reproduces the scores",
          "[tes-oracle]") {
    if (!oracle_present()) return;
    const CsvTable boston(boston_csv);
    // The published v2 goals cannot be rebuilt from density (oracle README), so the goal
    // comes from tc_goal; the variables come already normalised over the whole urban area,
    // which the Boston rows alone cannot rebuild, so they enter with normalise = "none".
    Model model = Model::builtin("tree-equity");
    model.goal_method = GoalMethod::Column;
    const std::map<std::string, std::string> normalised_columns{
        {"poverty", "pctpovnorm"},  {"poc", "pctpocnorm"},      {"unemployment", "unemplnorm"},
        {"dependency", "depratnorm"}, {"linguistic", "lingnorm"}, {"health", "health_nor"},
        {"heat", "temp_norm"}};
    RankingTable table;
    for (ModelVariable& variable : model.variables) {
        variable.normalise = Normalisation::None;
        table.variables.push_back(variable.name);
    }
    REQUIRE(table.variables.size() == normalised_columns.size());
    const std::size_t land = boston.column("land_area");
    const std::size_t canopy = boston.column("treecanopy");
    const std::size_t goal = boston.column("tc_goal");
    for (std::size_t row = 0; row < boston.size(); ++row) {
        RankingUnit unit;
        unit.id = boston.text(row, boston.column("GEOID"));
        unit.area_m2 = boston.number(row, land) * 1e6;
        unit.sums.valid_m2 = unit.area_m2;
        unit.sums.canopy_m2 = boston.number(row, canopy) * unit.area_m2;
        unit.population = boston.number(row, boston.column("acs_pop"));
        unit.variables["goal"] = boston.number(row, goal);
        for (const auto& [name, column] : normalised_columns)
            unit.variables[name] = boston.number(row, boston.column(column));
        table.units.push_back(unit);
    }
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, table, diagnostics);
    CHECK(diagnostics.warnings().empty());
    CHECK(scored.gap_max == Approx(0.4924).margin(1e-12));

    const std::size_t gap = boston.column("tc_gap");
    const std::size_t priority = boston.column("priority_i");
    const std::size_t tes = boston.column("tes");
    std::size_t matches = 0;
    double worst_priority = 0;
    double worst_gap = 0;
    std::ostringstream mismatches;
    for (std::size_t row = 0; row < boston.size(); ++row) {
        const ScoredUnit& unit = scored.units[row];
        REQUIRE(unit.score.has_value());
        worst_priority =
            std::max(worst_priority, std::abs(*unit.priority - boston.number(row, priority)));
        worst_gap = std::max(worst_gap, std::abs(*unit.gap - boston.number(row, gap)));
        if (*unit.score == boston.number(row, tes))
            ++matches;
        else
            mismatches << table.units[row].id << ": expected " << boston.number(row, tes)
                       << ", got " << *unit.score << "; ";
        // trees_needed is gap × land / 55.74 rounded down to a whole tree.
        const double trees = *unit.gap * table.units[row].area_m2 / 55.74;
        if (!(*unit.trees_needed == std::floor(*unit.trees_needed) &&
              *unit.trees_needed <= trees + 1e-6 && *unit.trees_needed > trees - 1))
            FAIL(table.units[row].id << ": trees_needed " << *unit.trees_needed << " for "
                                     << trees << " crowns");
    }
    INFO("largest priority error " << worst_priority << ", largest gap error " << worst_gap);
    INFO(mismatches.str());
    CHECK(worst_priority < 1e-6);
    CHECK(worst_gap < 1e-9);
    CHECK(matches == 580);
    REQUIRE(scored.city_score.has_value());
    CHECK(*scored.city_score == Approx(89.06).margin(0.01));
}

TEST_CASE("Massachusetts: priority = 0.1 + 0.9 x mean of the seven components",
          "[tes-oracle]") {
    if (!oracle_present()) return;
    const CsvTable ma(massachusetts_csv);
    REQUIRE(ma.size() == 4940);
    std::vector<std::size_t> components;
    for (const char* name : {"pctpocnorm", "pctpovnorm", "unemplnorm", "depratnorm", "lingnorm",
                             "health_nor", "temp_norm"})
        components.push_back(ma.column(name));
    const std::size_t published = ma.column("priority_i");
    const std::vector<double> weights(components.size(), 1.0);
    std::size_t matches = 0;
    double worst = 0;
    for (std::size_t row = 0; row < ma.size(); ++row) {
        std::vector<std::optional<double>> values;
        for (const std::size_t column : components) values.push_back(ma.number(row, column));
        const std::optional<double> priority = tes::priority_index(values, weights, 0.1);
        REQUIRE(priority.has_value());
        const double error = std::abs(*priority - ma.number(row, published));
        worst = std::max(worst, error);
        if (error < 1e-6) ++matches;
    }
    INFO("largest |priority - priority_i| = " << worst);
    CHECK(matches == 4940);
}

TEST_CASE("Massachusetts: components are the min-max of the raw columns per urban area",
          "[tes-oracle]") {
    if (!oracle_present()) return;
    const CsvTable ma(massachusetts_csv);
    REQUIRE(ma.size() == 4940);
    // Raw column → published component; the dependency ratio is capped at 2.0 first.
    // health_nor has no raw column in the file.
    const std::vector<std::pair<std::string, std::string>> pairs{
        {"pctpoc", "pctpocnorm"}, {"pctpov", "pctpovnorm"}, {"unemplrate", "unemplnorm"},
        {"dep_ratio", "depratnorm"}, {"linguistic", "lingnorm"}, {"temp_diff", "temp_norm"}};
    const std::size_t ua_name = ma.column("ua_name");
    const std::size_t ua_pop = ma.column("ua_pop");

    // Which rows reproduce every component when each urban area is one scope. The file
    // prints 15 significant digits; observed errors are < 1e-13.
    const auto reproduced_rows = [&](const std::vector<std::string>& scopes) {
        std::vector<bool> reproduced(ma.size(), true);
        for (const auto& [raw, published] : pairs) {
            const std::size_t raw_column = ma.column(raw);
            const std::size_t published_column = ma.column(published);
            std::vector<std::optional<double>> values;
            for (std::size_t row = 0; row < ma.size(); ++row) {
                double value = ma.number(row, raw_column);
                if (raw == "dep_ratio") value = std::min(value, 2.0);
                values.push_back(value);
            }
            const auto normalised = tes::normalise(values, scopes, Normalisation::MinMax);
            for (std::size_t row = 0; row < ma.size(); ++row)
                if (!(std::abs(*normalised[row] - ma.number(row, published_column)) < 1e-9))
                    reproduced[row] = false;
        }
        return reproduced;
    };

    std::vector<std::string> by_area;
    for (std::size_t row = 0; row < ma.size(); ++row) by_area.push_back(ma.text(row, ua_name));
    const std::vector<bool> reproduced = reproduced_rows(by_area);
    const auto count = static_cast<std::size_t>(
        std::count(reproduced.begin(), reproduced.end(), true));
    std::set<std::string> failing_areas;
    for (std::size_t row = 0; row < ma.size(); ++row)
        if (!reproduced[row]) failing_areas.insert(ma.text(row, ua_name));
    std::ostringstream failing;
    for (const std::string& area : failing_areas) failing << area << "; ";
    INFO(count << " of 4940 rows reproduce; urban areas that do not: " << failing.str());
    CHECK(count >= 4800);

    // What the data say about the areas that do not reproduce: they are not the areas that
    // cross the state line (Boston MA--NH, Providence RI--MA, Springfield and Worcester
    // MA--CT all reproduce) but the urban areas under 10,000 people (Census ua_pop), which
    // were normalised together as one scope: pooled so, every row reproduces.
    for (std::size_t row = 0; row < ma.size(); ++row) {
        if (reproduced[row]) continue;
        INFO(ma.text(row, ua_name) << " has ua_pop " << ma.text(row, ua_pop));
        REQUIRE(ma.number(row, ua_pop) < 10000);
    }
    for (const char* crossing : {"Boston, MA--NH", "Providence, RI--MA", "Springfield, MA--CT",
                                 "Worcester, MA--CT"}) {
        INFO(crossing << " reproduces");
        CHECK(failing_areas.count(crossing) == 0);
    }
    std::vector<std::string> pooled = by_area;
    for (std::size_t row = 0; row < ma.size(); ++row)
        if (ma.number(row, ua_pop) < 10000) pooled[row] = "urban areas under 10,000 people";
    const std::vector<bool> reproduced_pooled = reproduced_rows(pooled);
    CHECK(std::count(reproduced_pooled.begin(), reproduced_pooled.end(), true) == 4940);
}
