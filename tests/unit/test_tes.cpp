// The Tree Equity Score formulas, one at a time, against hand computation.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/model_file.hpp"
#include "shadegap/tes.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace shadegap;

TEST_CASE("density goal: band edges and the cap", "[model]") {
    const Model model = Model::builtin("tree-equity");
    const auto goal = [&](double density) {
        return tes::density_goal(0.40, density, model.density_table, 1.5);
    };
    // A density on a bound falls in the upper band (DESIGN.md: 2,000–4,000 → 1.0).
    CHECK(goal(0) == Approx(0.48));
    CHECK(goal(1999) == Approx(0.48));    // 0.40 × 1.2
    CHECK(goal(2000) == Approx(0.40));    // 0.40 × 1.0
    CHECK(goal(3999.9) == Approx(0.40));
    CHECK(goal(4000) == Approx(0.32));    // 0.40 × 0.8
    CHECK(goal(8000) == Approx(0.20));    // 0.40 × 0.5
    CHECK(goal(9000) == Approx(0.20));
    CHECK(tes::density_goal(0.20, 1000, model.density_table, 1.5) == Approx(0.24));  // grassland
    // A factor of 2 is capped at 150 % of the baseline: min(0.80, 0.60).
    const std::vector<DensityBand> steep{{1000, 2.0}, {INFINITY, 1.0}};
    CHECK(tes::density_goal(0.40, 500, steep, 1.5) == Approx(0.60));
    CHECK(tes::density_goal(0.40, 5000, steep, 1.5) == Approx(0.40));
}

TEST_CASE("normalisation within scopes", "[model]") {
    const std::vector<std::optional<double>> values{1.0, 2.0, 3.0, std::nullopt, 10.0, 20.0,
                                                    5.0, 5.0};
    const std::vector<std::string> scopes{"x", "x", "x", "x", "y", "y", "z", "z"};
    const auto minmax = tes::normalise(values, scopes, Normalisation::MinMax);
    const std::vector<std::optional<double>> expected{0.0, 0.5, 1.0, std::nullopt, 0.0, 1.0,
                                                      0.0, 0.0};  // z: max == min → 0
    REQUIRE(minmax.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("value " << i << ": expected "
                      << (expected[i] ? std::to_string(*expected[i]) : "null") << ", got "
                      << (minmax[i] ? std::to_string(*minmax[i]) : "null"));
        CHECK(minmax[i].has_value() == expected[i].has_value());
        if (expected[i] && minmax[i]) CHECK(*minmax[i] == Approx(*expected[i]));
    }
    // Without scopes, the whole run is one scope: min 1, max 20.
    const auto whole = tes::normalise(values, {}, Normalisation::MinMax);
    CHECK(*whole[1] == Approx(1.0 / 19.0));
    CHECK(*whole[5] == Approx(1.0));
    const auto by_max = tes::normalise(values, scopes, Normalisation::Max);
    CHECK(*by_max[0] == Approx(1.0 / 3.0));
    CHECK(*by_max[4] == Approx(0.5));
    CHECK(*by_max[6] == Approx(1.0));
    CHECK_FALSE(by_max[3].has_value());
    CHECK(tes::normalise({0.0, 0.0}, {}, Normalisation::Max) == std::vector<std::optional<double>>{0.0, 0.0});
    CHECK(tes::normalise(values, scopes, Normalisation::None) == values);
}

TEST_CASE("priority index: floor, weights, missing components", "[model]") {
    CHECK(*tes::priority_index({0.0, 0.0}, {1, 1}, 0.1) == Approx(0.1));   // never below floor
    CHECK(*tes::priority_index({1.0, 1.0}, {1, 1}, 0.1) == Approx(1.0));
    CHECK(*tes::priority_index({0.5, 1.0}, {1, 1}, 0.1) == Approx(0.775));  // 0.1 + 0.9 × 0.75
    CHECK(*tes::priority_index({1.0, 0.0}, {1, 3}, 0.1) == Approx(0.325));  // 0.1 + 0.9 × 1/4
    CHECK(*tes::priority_index({0.5, 1.0}, {1, 1}, 0.0) == Approx(0.75));
    // The null component is skipped and the weights renormalised: (0.5 + 1) / 2.
    CHECK(*tes::priority_index({0.5, std::nullopt, 1.0}, {1, 5, 1}, 0.1) == Approx(0.775));
    CHECK_FALSE(tes::priority_index({std::nullopt}, {1}, 0.1).has_value());
}

TEST_CASE("score: floor, round and the maximum", "[model]") {
    // gap_score × priority = 0.25 × 0.5 = 0.125 → raw 87.5.
    CHECK(tes::score(0.1, 0.4, 0.5, 100, Rounding::Floor) == 87.0);
    CHECK(tes::score(0.1, 0.4, 0.5, 100, Rounding::Round) == 88.0);
    CHECK(tes::score(0.1, 0.4, 0.5, 100, Rounding::None) == 87.5);
    // 100 × (1 − 0.34) is 65.99999999999999 in binary; the score is 66.
    CHECK(tes::score(0.34, 1.0, 1.0, 100, Rounding::Floor) == 66.0);
    CHECK(tes::score(0.0, 0.0, 1.0, 100, Rounding::Floor) == 100.0);  // gap_max 0: goal met
    CHECK(tes::score(0.4, 0.4, 0.0, 100, Rounding::Floor) == 100.0);
    CHECK(tes::score(0.4, 0.4, 1.0, 100, Rounding::Floor) == 0.0);
    CHECK(tes::score(0.2, 0.4, 1.0, 10, Rounding::Floor) == 5.0);
    CHECK(to_string(Rounding::None) == "none");
    CHECK(to_string(Normalisation::MinMax) == "min-max");
}

TEST_CASE("city score weighs units at 100 by their priority", "[model]") {
    CHECK(*tes::city_score({22, 85, 100}, {0.775, 0.2125, 1.0}, 100) == Approx(69.0));
    // (50 + 100 × 0.5) / (1 + 0.5) = 66.67
    CHECK(*tes::city_score({50, 100}, {0.9, 0.5}, 100) == Approx(100.0 / 1.5));
    CHECK(*tes::city_score({100, 100}, {0.3, 0.7}, 100) == Approx(100.0));
    CHECK_FALSE(tes::city_score({}, {}, 100).has_value());
}
