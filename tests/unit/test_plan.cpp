// The planting plan's allocation against exhaustive search, and crowns of the stated area.
// SPDX-License-Identifier: MIT
#include "shadegap/plan.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

using shadegap::plan::UnitNeed;

/// The objective of giving trees[u] to each unit, summed tree by tree from the definition:
/// priority × population × min(crown / land, the gap left), trees beyond the sites worth 0.
double objective(const std::vector<UnitNeed>& units, const std::vector<std::int64_t>& trees, double crown) {
    double total = 0;
    for (std::size_t u = 0; u < units.size(); ++u) {
        double left = units[u].gap;
        for (std::int64_t t = 0; t < trees[u] && t < units[u].sites; ++t) {
            const double gain = std::min(crown / units[u].land_m2, std::max(0.0, left));
            total += units[u].priority * units[u].population * gain;
            left -= crown / units[u].land_m2;
        }
    }
    return total;
}

}  // namespace

// Unit A: priority 0.8, 100 people, 1000 m² of land, gap 0.15: a tree of 100 m² adds 0.1,
// worth 0.8·100·0.1 = 8, the second only the 0.05 left: 4. Unit B: 0.5, 100 people, 500 m²,
// gap 0.5, 2 sites: 0.5·100·0.2 = 10 per tree. Three trees: B (10), B (10), A (8) = 28.
TEST_CASE("the allocation by hand", "[plan]") {
    const std::vector<UnitNeed> units = {{"A", 0.8, 100, 1000, 0.15, 10}, {"B", 0.5, 100, 500, 0.5, 2}};
    const auto allocation = shadegap::plan::allocate_trees(units, 3, 100);
    CHECK(allocation.trees == std::vector<std::int64_t>{1, 2});
    CHECK(allocation.objective == Approx(28).epsilon(1e-12));
    CHECK(allocation.order == std::vector<std::uint32_t>{1, 1, 0});
    // Ten trees: B's 2 sites, A's 2 trees until its gap closes; 6 left unplanted.
    const auto all = shadegap::plan::allocate_trees(units, 10, 100);
    CHECK(all.trees == std::vector<std::int64_t>{2, 2});
    CHECK(all.objective == Approx(20 + 8 + 4).epsilon(1e-12));
    // Equal values: the smaller id first.
    const std::vector<UnitNeed> twins = {{"B", 1, 10, 100, 1, 5}, {"A", 1, 10, 100, 1, 5}};
    CHECK(shadegap::plan::allocate_trees(twins, 1, 10).trees == std::vector<std::int64_t>{0, 1});
}

TEST_CASE("the greedy allocation reaches the exhaustive optimum on small cases", "[plan]") {
    std::mt19937 random(7);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<UnitNeed> units(3);
        for (std::size_t u = 0; u < 3; ++u)
            units[u] = {std::string(1, static_cast<char>('A' + u)), unit(random), 10 + 990 * unit(random),
                        200 + 2000 * unit(random), 0.4 * unit(random), static_cast<std::int64_t>(random() % 6)};
        const double crown = 55.74;
        const std::int64_t trees = random() % 11;
        const auto allocation = shadegap::plan::allocate_trees(units, trees, crown);
        double best = 0;
        for (std::int64_t a = 0; a <= trees; ++a)
            for (std::int64_t b = 0; a + b <= trees; ++b)
                best = std::max(best, objective(units, {a, b, trees - a - b}, crown));
        INFO("trial " << trial);
        CHECK(allocation.objective == Approx(best).epsilon(1e-9).margin(1e-12));
        CHECK(objective(units, allocation.trees, crown) == Approx(allocation.objective).epsilon(1e-12).margin(1e-12));
        std::int64_t given = 0;
        for (std::size_t u = 0; u < 3; ++u) {
            CHECK(allocation.trees[u] <= units[u].sites);
            given += allocation.trees[u];
        }
        CHECK(given <= trees);
    }
}

TEST_CASE("a crown has the stated area", "[plan]") {
    const auto polygon = shadegap::plan::crown(100, 200, 55.74, 1.0);
    double twice = 0;
    for (std::size_t k = 0; k + 1 < polygon.shell.size(); ++k)
        twice += polygon.shell[k].x * polygon.shell[k + 1].y - polygon.shell[k + 1].x * polygon.shell[k].y;
    CHECK(twice / 2 == Approx(55.74).epsilon(1e-12));
    // In US survey feet (1200/3937 m per foot) the same crown covers 55.74 m² / 0.3048006² ft².
    const auto feet = shadegap::plan::crown(0, 0, 55.74, 1200.0 / 3937.0);
    double twice_feet = 0;
    for (std::size_t k = 0; k + 1 < feet.shell.size(); ++k)
        twice_feet += feet.shell[k].x * feet.shell[k + 1].y - feet.shell[k + 1].x * feet.shell[k].y;
    CHECK(twice_feet / 2 * (1200.0 / 3937.0) * (1200.0 / 3937.0) == Approx(55.74).epsilon(1e-12));
}

// The two simple rules on the hand case: by rank (B then A) B's 2 sites then A's 2 trees to
// its goal; in proportion to the gaps' canopy (A 150 m², B 250 m²: 3 trees → 1.125 and
// 1.875 → 1 and 1, the last to B's larger remainder).
TEST_CASE("the simple rules by hand", "[plan]") {
    const std::vector<UnitNeed> units = {{"A", 0.8, 100, 1000, 0.15, 10}, {"B", 0.5, 100, 500, 0.5, 2}};
    CHECK(shadegap::plan::trees_to_close(units[0], 100) == 2);
    CHECK(shadegap::plan::trees_to_close(units[1], 100) == 2);  // 3 to close it, 2 sites
    const auto by_rank = shadegap::plan::allocate_by_rank(units, {1, 0}, 3, 100);
    CHECK(by_rank.trees == std::vector<std::int64_t>{1, 2});
    CHECK(by_rank.objective == Approx(28).epsilon(1e-12));
    const auto by_rank_a = shadegap::plan::allocate_by_rank(units, {0, 1}, 3, 100);
    CHECK(by_rank_a.trees == std::vector<std::int64_t>{2, 1});
    CHECK(by_rank_a.objective == Approx(8 + 4 + 10).epsilon(1e-12));
    const auto proportional = shadegap::plan::allocate_in_proportion(units, 3, 100);
    CHECK(proportional.trees == std::vector<std::int64_t>{1, 2});
    CHECK(proportional.objective == Approx(28).epsilon(1e-12));
    // The greedy allocation is never below either rule.
    const auto greedy = shadegap::plan::allocate_trees(units, 3, 100);
    CHECK(greedy.objective >= by_rank_a.objective);
}
