// Model files and applying a model to a ranking table, checked against hand computation.
// SPDX-License-Identifier: MIT
#include "shadegap/model.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace shadegap;
using Catch::Matchers::Contains;

namespace {

/// A unit of `area_m2` land, wholly valid, with the given canopy share.
RankingUnit make_unit(const std::string& id, double area_m2, double canopy, double population,
                      std::map<std::string, std::optional<double>> variables,
                      const std::string& scope = "") {
    RankingUnit unit;
    unit.id = id;
    unit.name = "unit " + id;
    unit.area_m2 = area_m2;
    unit.sums.valid_m2 = area_m2;
    unit.sums.covered_m2 = area_m2;
    unit.sums.canopy_m2 = canopy * area_m2;
    unit.population = population;
    unit.variables = std::move(variables);
    unit.scope = scope;
    return unit;
}

/// The message of the ModelError that parsing `text` as "bad.toml" throws.
std::string parse_error(const std::string& text) {
    try {
        Model::parse(text, "bad.toml");
    } catch (const ModelError& error) {
        CHECK(error.subject() == "bad.toml");
        return error.what();
    }
    return "(no error)";
}

// One variable: the only table a model must have.
const std::string variables_only = "[[priority.variables]]\nname = \"x\"\n";

// The smallest valid model: every other key takes its default.
const std::string minimal_model = "[goal]\nmethod = \"constant\"\n" + variables_only;

// Two variables with weights 1 and 3; b is capped at 3.
const std::string hand_model = R"(
[model]
name = "hand"
[goal]
method = "density-table"
baseline = 0.4
cap_factor = 1.5
[[goal.density]]
max_density_km2 = 2000
factor = 1.2
[[goal.density]]
max_density_km2 = 4000
factor = 1.0
[[goal.density]]
max_density_km2 = 8000
factor = 0.8
[[goal.density]]
factor = 0.5
[priority]
floor = 0.1
[[priority.variables]]
name = "a"
column = "col_a"
weight = 1
[[priority.variables]]
name = "b"
column = "col_b"
weight = 3
cap = 3
[score]
max = 100
rounding = "floor"
[trees]
crown_area_m2 = 55.74
rounding = "floor"
[target]
score = 90
)";

// Three units worked out by hand (all land, no water):
//   unit  area   pop     density/km²  goal          canopy  gap
//   u1    1 km²  1,000   1,000        0.4×1.2=0.48  0.18    0.30
//   u2    1 km²  5,000   5,000        0.4×0.8=0.32  0.12    0.20
//   u3    2 km²  20,000  10,000       0.4×0.5=0.20  0.25    0 (canopy above goal)
// gap_max = 0.30; gap_score = 1, 2/3, 0.
// a = 0.2, 0.6, 1.0            → N_a = 0, 0.5, 1
// b = 4→3 (cap), 2, 3          → N_b = 1, 0, 1
// priority = 0.1 + 0.9 × (N_a + 3 N_b) / 4 = 0.775, 0.2125, 1.0
// score_raw = 100 × (1 − gap_score × priority) = 22.5, 85.8333…, 100 → score 22, 85, 100
// trees = gap × land / 55.74 = 300,000/55.74 = 5,382.13 → 5,382; 200,000/55.74 = 3,588.09
//         → 3,588; 0
// target 90: canopy_T = goal − 0.1/priority × 0.30 = 0.48 − 0.038710 = 0.441290,
//         0.32 − 0.141176 = 0.178824, 0.20 − 0.03 = 0.17; plant = (canopy_T − canopy) × land
//         = 261,290.32 m², 58,823.53 m², 0 (u3 has more canopy than 0.17)
// city = (22 + 85 + 100 × 1.0) / (2 + 1.0) = 69
RankingTable hand_table() {
    RankingTable table;
    table.units.push_back(make_unit("u1", 1e6, 0.18, 1000, {{"a", 0.2}, {"b", 4.0}}));
    table.units.push_back(make_unit("u2", 1e6, 0.12, 5000, {{"a", 0.6}, {"b", 2.0}}));
    table.units.push_back(make_unit("u3", 2e6, 0.25, 20000, {{"a", 1.0}, {"b", 3.0}}));
    table.variables = {"a", "b"};
    return table;
}

}  // namespace

TEST_CASE("the shipped tree-equity model states the published method", "[model]") {
    const Model model = Model::builtin("tree-equity");
    CHECK(model.name == "tree-equity");
    CHECK(model.source == "built-in:tree-equity");
    CHECK(model.goal_method == GoalMethod::DensityTable);
    CHECK(model.goal_baseline == 0.40);
    CHECK(model.goal_cap_factor == 1.5);
    REQUIRE(model.density_table.size() == 4);
    const std::vector<double> bounds{2000, 4000, 8000, INFINITY};
    const std::vector<double> factors{1.2, 1.0, 0.8, 0.5};
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("band " << i + 1);
        CHECK(model.density_table[i].max_density_km2 == bounds[i]);
        CHECK(model.density_table[i].factor == factors[i]);
    }
    CHECK(model.population_column == "population");
    CHECK(model.priority_floor == 0.1);
    CHECK(model.scope_column.empty());
    const std::vector<std::pair<std::string, std::string>> expected{
        {"poverty", "pctpov"},   {"poc", "pctpoc"},         {"unemployment", "unemplrate"},
        {"dependency", "dep_ratio"}, {"linguistic", "linguistic"}, {"health", "health"},
        {"heat", "temp_diff"}};
    REQUIRE(model.variables.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const ModelVariable& variable = model.variables[i];
        INFO("variable " << variable.name);
        CHECK(variable.name == expected[i].first);
        CHECK(variable.column == expected[i].second);
        CHECK(variable.weight == 1.0);
        CHECK(variable.normalise == Normalisation::MinMax);
        CHECK(variable.scale == 1.0);
        CHECK(variable.cap.has_value() == (variable.name == "dependency"));
        CHECK_FALSE(variable.description.empty());
    }
    CHECK(model.variables[3].cap == 2.0);
    CHECK(model.fields() == expected);
    CHECK(model.score_max == 100);
    CHECK(model.score_rounding == Rounding::Floor);
    CHECK(model.crown_area_m2 == 55.74);
    CHECK(model.trees_rounding == Rounding::Floor);
    CHECK(model.target_score == 90.0);

    // The file in models/ is the text compiled in.
    const Model from_file =
        Model::load_file(std::string(SHADEGAP_SOURCE_DIR) + "/models/tree-equity.toml");
    CHECK(from_file.name == "tree-equity");
    CHECK(from_file.variables.size() == model.variables.size());
    CHECK(Model::resolve("tree-equity").source == "built-in:tree-equity");
}

TEST_CASE("the shipped canopy-gap model needs population only", "[model]") {
    CHECK(builtin_model_names() == std::vector<std::string>{"canopy-gap", "shade-equity", "tree-equity"});
    const Model model = Model::builtin("canopy-gap");
    CHECK(model.name == "canopy-gap");
    CHECK(model.goal_method == GoalMethod::DensityTable);
    CHECK(model.density_table.size() == 4);
    CHECK(model.priority_floor == 0.0);
    REQUIRE(model.variables.size() == 1);
    CHECK(model.variables[0].name == "population");
    CHECK(model.variables[0].column == "population");
    CHECK(model.variables[0].normalise == Normalisation::Max);

    // score = 100 × (1 − gap/gap_max × pop/pop_max). Both units 1 km², 1,000 and 250
    // people/km² → goal 0.48. Canopy 0.28 and 0.08 → gap 0.20 and 0.40, gap_max 0.40.
    // u1: 100 × (1 − 0.5 × 1) = 50; u2: 100 × (1 − 1 × 0.25) = 75.
    // The variable reads the population column, so it takes RankingUnit::population and
    // needs no entry in `variables`.
    CHECK(model.fields().empty());
    RankingTable table;
    table.units.push_back(make_unit("u1", 1e6, 0.28, 1000, {}));
    table.units.push_back(make_unit("u2", 1e6, 0.08, 250, {}));
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, table, diagnostics);
    CHECK(diagnostics.warnings().empty());
    CHECK(scored.gap_max == Approx(0.40));
    CHECK(scored.units[0].priority == Approx(1.0));
    CHECK(scored.units[1].priority == Approx(0.25));
    CHECK(scored.units[0].score == 50.0);
    CHECK(scored.units[1].score == 75.0);
    CHECK(scored.variables_used == std::vector<std::string>{"population"});
    CHECK(*scored.units[1].components.at("population") == Approx(0.25));
}

TEST_CASE("model files: every error names the file and the key", "[model]") {
    CHECK(Model::parse(minimal_model, "ok.toml").name == "ok");
    CHECK(Model::parse(minimal_model, "ok.toml").goal_column == "goal");

    SECTION("unknown keys") {
        CHECK_THAT(parse_error(minimal_model + "[goals]\n"),
                   Contains("bad.toml: unknown key 'goals'"));
        CHECK_THAT(parse_error("[goal]\nmethod = \"constant\"\nbasline = 0.4\n" + variables_only),
                   Contains("bad.toml: unknown key 'goal.basline'"));
        CHECK_THAT(parse_error(minimal_model + "wieght = 2\n"),
                   Contains("bad.toml: unknown key 'priority.variables[1].wieght'"));
        CHECK_THAT(parse_error(hand_model + "[score.extra]\n"),
                   Contains("bad.toml: unknown key 'score.extra'"));
    }
    SECTION("wrong types and ranges") {
        CHECK_THAT(parse_error("[goal]\nbaseline = \"abc\"\n" + variables_only),
                   Contains("bad.toml: key 'goal.baseline': expected a number between 0 and 1, "
                            "got \"abc\""));
        CHECK_THAT(parse_error("[goal]\nbaseline = 1.5\n" + variables_only),
                   Contains("bad.toml: key 'goal.baseline': expected a number between 0 and 1, "
                            "got 1.5"));
        CHECK_THAT(parse_error(minimal_model + "weight = -1\n"),
                   Contains("key 'priority.variables[1].weight': expected a number ≥ 0, got -1"));
        CHECK_THAT(parse_error(minimal_model + "[priority.x]\n"),
                   Contains("unknown key 'priority.x'"));
        CHECK_THAT(parse_error(minimal_model + "[trees]\ncrown_area_m2 = 0\n"),
                   Contains("key 'trees.crown_area_m2': expected a positive number, got 0"));
        CHECK_THAT(parse_error(minimal_model + "[target]\nscore = 120\n"),
                   Contains("key 'target.score': expected a number between 0 and 100"));
        CHECK_THAT(parse_error("goal = 3\n" + variables_only),
                   Contains("key 'goal': expected a table [goal], got 3"));
        CHECK_THAT(parse_error(minimal_model + "normalise = \"z\"\n"),
                   Contains("key 'priority.variables[1].normalise': expected one of "
                            "\"min-max\", \"max\", \"none\", got \"z\""));
    }
    SECTION("empty or broken variables") {
        CHECK_THAT(parse_error("[goal]\nmethod = \"constant\"\n"),
                   Contains("bad.toml: key 'priority.variables': expected at least one "
                            "[[priority.variables]] table, got nothing"));
        CHECK_THAT(parse_error("[goal]\nmethod = \"constant\"\n[priority]\nvariables = []\n"),
                   Contains("key 'priority.variables': expected at least one "
                            "[[priority.variables]] table, got an empty array"));
        CHECK_THAT(parse_error("[goal]\nmethod = \"constant\"\n"
                               "[[priority.variables]]\ncolumn = \"c\"\n"),
                   Contains("key 'priority.variables[1].name': expected a name"));
        CHECK_THAT(parse_error(minimal_model + "[[priority.variables]]\nname = \"x\"\n"),
                   Contains("key 'priority.variables[2].name': the variable \"x\" is "
                            "defined twice"));
        CHECK_THAT(parse_error(minimal_model + "weight = 0\n"),
                   Contains("key 'priority.variables': the weights sum to 0"));
    }
    SECTION("bad rounding") {
        CHECK_THAT(parse_error(minimal_model + "[score]\nrounding = \"ceil\"\n"),
                   Contains("bad.toml: key 'score.rounding': expected one of \"floor\", "
                            "\"round\", \"none\", got \"ceil\""));
        CHECK_THAT(parse_error(minimal_model + "[trees]\nrounding = 1\n"),
                   Contains("bad.toml: key 'trees.rounding': expected one of \"floor\", "
                            "\"round\", \"none\", got 1"));
    }
    SECTION("density bands") {
        CHECK_THAT(parse_error(variables_only),
                   Contains("key 'goal.density': expected at least one [[goal.density]] band"));
        const std::string head = variables_only + "[[goal.density]]\n";
        CHECK_THAT(parse_error(head + "max_density_km2 = 2000\nfactor = 1.2\n"),
                   Contains("key 'goal.density[1].max_density_km2': expected \"inf\" or no value "
                            "in the last band"));
        CHECK_THAT(parse_error(head + "max_density_km2 = 4000\nfactor = 1\n[[goal.density]]\n"
                                      "max_density_km2 = 2000\nfactor = 1\n[[goal.density]]\n"
                                      "factor = 1\n"),
                   Contains("key 'goal.density[2].max_density_km2': expected a number above 4000"));
        CHECK_THAT(parse_error(head + "max_density_km2 = \"inf\"\n"),
                   Contains("key 'goal.density[1].factor': expected a number ≥ 0, got nothing"));
    }
    SECTION("TOML syntax") {
        CHECK_THAT(parse_error("[goal\n"), Contains("bad.toml: line 1"));
    }
    SECTION("files and names") {
        try {
            Model::resolve("no-such-model");
            FAIL("no error");
        } catch (const ModelError& error) {
            CHECK_THAT(error.what(), Contains("no-such-model: neither a built-in model "
                                              "(canopy-gap, shade-equity, tree-equity) nor a model file"));
            CHECK(error.hint() == "see shadegap models");
        }
        CHECK_THROWS_AS(Model::load_file("/nonexistent/model.toml"), ModelError);
        CHECK_THROWS_AS(builtin_model_text("nope"), ModelError);
    }
}

TEST_CASE("apply_model on three units worked out by hand", "[model]") {
    const Model model = Model::parse(hand_model, "hand.toml");
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, hand_table(), diagnostics);
    CHECK(diagnostics.warnings().empty());
    CHECK(scored.variables_used == std::vector<std::string>{"a", "b"});
    CHECK(scored.gap_max == Approx(0.30));
    REQUIRE(scored.units.size() == 3);

    struct Expected {
        double density, goal, gap, gap_score, n_a, n_b, priority, score_raw, score, trees,
            target_canopy, target_plant_m2;
    };
    const std::vector<Expected> expected{
        {1000, 0.48, 0.30, 1.0, 0.0, 1.0, 0.775, 22.5, 22, 5382, 0.48 - 0.1 / 0.775 * 0.3,
         (0.48 - 0.1 / 0.775 * 0.3 - 0.18) * 1e6},
        {5000, 0.32, 0.20, 2.0 / 3.0, 0.5, 0.0, 0.2125, 100 * (1 - 0.2125 * 2 / 3), 85, 3588,
         0.32 - 0.1 / 0.2125 * 0.3, (0.32 - 0.1 / 0.2125 * 0.3 - 0.12) * 1e6},
        {10000, 0.20, 0.0, 0.0, 1.0, 1.0, 1.0, 100, 100, 0, 0.17, 0.0},
    };
    for (std::size_t i = 0; i < 3; ++i) {
        const ScoredUnit& unit = scored.units[i];
        const Expected& e = expected[i];
        INFO("unit u" << i + 1);
        CHECK(*unit.density_km2 == Approx(e.density));
        CHECK(*unit.goal == Approx(e.goal));
        CHECK(*unit.gap == Approx(e.gap).margin(1e-12));
        CHECK(*unit.gap_score == Approx(e.gap_score).margin(1e-12));
        CHECK(*unit.components.at("a") == Approx(e.n_a).margin(1e-12));
        CHECK(*unit.components.at("b") == Approx(e.n_b).margin(1e-12));
        CHECK(*unit.priority == Approx(e.priority));
        CHECK(*unit.score_raw == Approx(e.score_raw));
        CHECK(*unit.score == e.score);
        CHECK(*unit.trees_needed == e.trees);
        CHECK(*unit.target_coverage == Approx(e.target_canopy));
        CHECK(*unit.target_plant_m2 == Approx(e.target_plant_m2).margin(1e-6));
    }
    CHECK(*scored.units[0].target_plant_m2 == Approx(261290.32));
    CHECK(*scored.units[1].target_plant_m2 == Approx(58823.53));
    CHECK(*scored.city_score == Approx(69.0));
}

TEST_CASE("a variable missing from the data is dropped and the weights renormalised",
          "[model]") {
    const Model model = Model::parse(hand_model, "hand.toml");
    RankingTable table = hand_table();
    table.variables = {"a"};
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, table, diagnostics);
    REQUIRE(diagnostics.warnings().size() == 1);
    CHECK(diagnostics.warnings()[0].code == "variable-missing");
    CHECK(diagnostics.warnings()[0].subject == "b");
    CHECK_THAT(diagnostics.warnings()[0].message, Contains("dropped; weights renormalised"));
    CHECK(scored.variables_used == std::vector<std::string>{"a"});
    // priority = 0.1 + 0.9 × N_a alone: 0.1, 0.55, 1.0.
    // score: 100 × (1 − 1 × 0.1) = 90; 100 × (1 − 2/3 × 0.55) = 63.33 → 63; 100.
    CHECK(*scored.units[0].priority == Approx(0.1));
    CHECK(*scored.units[1].priority == Approx(0.55));
    CHECK(*scored.units[2].priority == Approx(1.0));
    CHECK(*scored.units[0].score == 90.0);
    CHECK(*scored.units[1].score == 63.0);
    CHECK(scored.units[0].components.count("b") == 0);

    table.variables.clear();
    Diagnostics none_left;
    CHECK_THROWS_AS(apply_model(model, table, none_left), ModelError);
}

TEST_CASE("a unit without a value skips that variable, a unit without canopy gets no score",
          "[model]") {
    const Model model = Model::parse(hand_model, "hand.toml");
    RankingTable table = hand_table();
    table.units[1].variables["a"] = std::nullopt;
    table.units.push_back(make_unit("u4", 1e6, 0.0, 100, {{"a", 0.5}, {"b", 2.5}}));
    table.units[3].sums.valid_m2 = 0;  // all nodata
    table.units[3].sums.canopy_m2 = 0;
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, table, diagnostics);
    REQUIRE(diagnostics.warnings().size() == 1);
    CHECK(diagnostics.warnings()[0].code == "variable-null");
    CHECK(diagnostics.warnings()[0].subject == "a");
    // a over u1, u3, u4 = 0.2, 1.0, 0.5 → N_a(u1) = 0; b over 3, 2, 3, 2.5 → N_b(u2) = 0.
    // u2: only b counts, priority = 0.1 + 0.9 × 0 = 0.1.
    CHECK_FALSE(scored.units[1].components.at("a").has_value());
    CHECK(*scored.units[1].priority == Approx(0.1));
    CHECK(*scored.units[0].priority == Approx(0.775));
    // u4: no valid cell → no canopy, gap or score, but it has a priority.
    CHECK_FALSE(scored.units[3].coverage.has_value());
    CHECK_FALSE(scored.units[3].gap.has_value());
    CHECK_FALSE(scored.units[3].score.has_value());
    CHECK_FALSE(scored.units[3].trees_needed.has_value());
    CHECK(scored.units[3].priority.has_value());
    CHECK(scored.gap_max == Approx(0.30));
}

TEST_CASE("goals from a column and from a constant", "[model]") {
    Model model = Model::parse(hand_model, "hand.toml");
    model.goal_method = GoalMethod::Column;
    CHECK(model.fields().back() == std::pair<std::string, std::string>{"goal", "goal"});
    RankingTable table = hand_table();
    table.units[0].variables["goal"] = 0.5;
    table.units[1].variables["goal"] = 0.2;
    table.units[2].variables["goal"] = 0.3;
    Diagnostics diagnostics;
    ScoredTable scored = apply_model(model, table, diagnostics);
    // gaps: 0.5 − 0.18 = 0.32, 0.2 − 0.12 = 0.08, 0.3 − 0.25 = 0.05.
    CHECK(*scored.units[0].gap == Approx(0.32));
    CHECK(*scored.units[1].gap == Approx(0.08));
    CHECK(*scored.units[2].gap == Approx(0.05));
    CHECK(scored.gap_max == Approx(0.32));

    table.units[2].variables["goal"] = 40.0;  // a percentage, not a fraction
    CHECK_THROWS_AS(apply_model(model, table, diagnostics), InputError);

    model.goal_method = GoalMethod::Constant;
    model.goal_baseline = 0.3;
    scored = apply_model(model, hand_table(), diagnostics);
    CHECK(*scored.units[0].goal == Approx(0.3));
    CHECK(*scored.units[2].gap == Approx(0.05));
}

TEST_CASE("a model's coverage: canopy by default, shade from the shade sums", "[model]") {
    CHECK(Model::parse(minimal_model, "m.toml").coverage == CoverageKind::Canopy);
    CHECK(Model::parse("[model]\ncoverage = \"shade\"\n" + minimal_model, "m.toml").coverage == CoverageKind::Shade);
    CHECK_THAT(parse_error("[model]\ncoverage = \"sun\"\n" + minimal_model),
               Catch::Matchers::Contains("key 'model.coverage': expected one of \"canopy\", \"shade\", got \"sun\""));

    const Model shipped = Model::builtin("shade-equity");
    CHECK(shipped.coverage == CoverageKind::Shade);
    CHECK(shipped.goal_method == GoalMethod::Constant);
    CHECK(shipped.goal_baseline == 0.50);
    CHECK(shipped.priority_floor == 0.1);
    CHECK(shipped.variables.size() == 7);
    CHECK(shipped.target_score == 90.0);
    CHECK(Model::builtin("tree-equity").coverage == CoverageKind::Canopy);
    CHECK(Model::builtin("canopy-gap").coverage == CoverageKind::Canopy);

    // Two units, goal 0.5: u1 shade 0.1 over 200 m² of mask (gap 0.4), u2 shade 0.3 over
    // 100 m² (gap 0.2); their canopy (0.9) is far above the goal and plays no part.
    // One variable: N = 1 for u1, 0 for u2 → priority 1 and 0.1 (floor 0.1).
    // score = floor(100 × (1 − 0.4/0.4 × 1)) = 0; floor(100 × (1 − 0.2/0.4 × 0.1)) = 95.
    // trees = floor(gap × mask / 55.74) = floor(80 / 55.74) = 1; floor(20 / 55.74) = 0.
    // target 90: shade_T = 0.5 − 0.1/1 × 0.4 = 0.46, plant (0.46 − 0.1) × 200 = 72 m²;
    // 0.5 − 0.1/0.1 × 0.4 = 0.1 → plant 0.
    const Model model = Model::parse(
        "[model]\ncoverage = \"shade\"\n[goal]\nmethod = \"constant\"\nbaseline = 0.5\n"
        "[[priority.variables]]\nname = \"x\"\n[target]\nscore = 90\n",
        "shade.toml");
    RankingTable table;
    table.units.push_back(make_unit("u1", 1000, 0.9, 10, {{"x", 1.0}}));
    table.units.push_back(make_unit("u2", 1000, 0.9, 10, {{"x", 0.0}}));
    table.units[0].sums.shade_mask_m2 = 200;
    table.units[0].sums.shade_m2 = 20;
    table.units[1].sums.shade_mask_m2 = 100;
    table.units[1].sums.shade_m2 = 30;
    table.variables = {"x"};
    Diagnostics diagnostics;
    const ScoredTable scored = apply_model(model, table, diagnostics);
    REQUIRE(scored.units.size() == 2);
    CHECK(*scored.units[0].coverage == Approx(0.1));
    CHECK(*scored.units[1].coverage == Approx(0.3));
    CHECK(scored.gap_max == Approx(0.4));
    CHECK(*scored.units[0].score == 0);
    CHECK(*scored.units[1].score == 95);
    CHECK(*scored.units[0].trees_needed == 1);
    CHECK(*scored.units[1].trees_needed == 0);
    CHECK(*scored.units[0].target_coverage == Approx(0.46));
    CHECK(*scored.units[0].target_plant_m2 == Approx(72.0));
    CHECK(*scored.units[1].target_plant_m2 == Approx(0.0).margin(1e-12));

    // Without shade sums (no --shade), a shade model has no coverage: no gap, no score.
    table.units[0].sums.shade_mask_m2 = 0;
    const ScoredTable without = apply_model(model, table, diagnostics);
    CHECK_FALSE(without.units[0].coverage.has_value());
    CHECK_FALSE(without.units[0].score.has_value());
}
