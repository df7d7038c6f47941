// Ranking order and its tie-breaks.
// SPDX-License-Identifier: MIT
#include "shadegap/rank.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

struct Row {
    std::string id;
    double population;
    std::optional<double> score;
    std::optional<double> score_raw;
};

void build(const std::vector<Row>& rows, RankingTable& table, ScoredTable& scored) {
    for (const Row& row : rows) {
        RankingUnit unit;
        unit.id = row.id;
        unit.population = row.population;
        table.units.push_back(unit);
        ScoredUnit scored_unit;
        scored_unit.score = row.score;
        scored_unit.score_raw = row.score_raw;
        scored.units.push_back(scored_unit);
    }
}

std::string ids_in_order(const RankingTable& table, const Ranking& ranking) {
    std::ostringstream out;
    for (const std::size_t index : ranking.order) out << table.units[index].id << ' ';
    return out.str();
}

}  // namespace

TEST_CASE("ties are broken by unrounded score, population, then id, unscored last",
          "[rank]") {
    // Index: 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G.
    const std::vector<Row> rows{
        {"A", 100, 50.0, 50.7},
        {"B", 100, 50.0, 50.2},                // same score as A, lower unrounded score
        {"D", 300, 50.0, 50.2},                // same as C but a later id
        {"C", 300, 50.0, 50.2},                // as B with more people
        {"E", 10, 20.0, 20.9},                 // lowest score: plant first
        {"F", 10, std::nullopt, std::nullopt}, // no score
        {"G", 900, std::nullopt, std::nullopt},
    };
    RankingTable table;
    ScoredTable scored;
    build(rows, table, scored);
    const Ranking ranking = rank_units(table, scored);
    const std::string expected = "E C D B A G F ";
    INFO("expected " << expected << "got " << ids_in_order(table, ranking));
    CHECK(ids_in_order(table, ranking) == expected);
    // Ranks by unit index; units without a score have none (0).
    CHECK(ranking.rank == std::vector<int>{5, 4, 3, 2, 1, 0, 0});
}

TEST_CASE("ranking does not depend on the input order", "[rank]") {
    const std::vector<Row> rows{
        {"x2", 50, 80.0, 80.5}, {"x1", 50, 80.0, 80.5}, {"x3", 60, 80.0, 80.5},
        {"x0", 1, 10.0, 10.0}};
    std::vector<Row> reversed(rows.rbegin(), rows.rend());
    RankingTable t1, t2;
    ScoredTable s1, s2;
    build(rows, t1, s1);
    build(reversed, t2, s2);
    const std::string order1 = ids_in_order(t1, rank_units(t1, s1));
    const std::string order2 = ids_in_order(t2, rank_units(t2, s2));
    CHECK(order1 == "x0 x3 x1 x2 ");
    CHECK(order2 == order1);
}

TEST_CASE("rank_units rejects tables of different lengths", "[rank]") {
    RankingTable table;
    ScoredTable scored;
    build({{"a", 1, 1.0, 1.0}}, table, scored);
    scored.units.clear();
    CHECK_THROWS_AS(rank_units(table, scored), ModelError);
}
