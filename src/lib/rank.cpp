// Ranking: orders scored units for planting, with deterministic tie-breaks.
// SPDX-License-Identifier: MIT
#include "shadegap/rank.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace shadegap {

namespace {

/// -1, 0 or 1 for a before, equal to or after b, ascending, missing values last.
int compare_ascending(const std::optional<double>& a, const std::optional<double>& b) {
    if (a && b) return *a < *b ? -1 : (*b < *a ? 1 : 0);
    if (a) return -1;
    if (b) return 1;
    return 0;
}

}  // namespace

Ranking rank_units(const RankingTable& table, const ScoredTable& scored) {
    const std::size_t n = table.units.size();
    if (scored.units.size() != n)
        throw ModelError("rank", fmt::format("{} ranking units but {} scored units", n,
                                             scored.units.size()));
    Ranking ranking;
    ranking.order.resize(n);
    std::iota(ranking.order.begin(), ranking.order.end(), std::size_t{0});
    const auto plant_before = [&](std::size_t a, std::size_t b) {
        const ScoredUnit& sa = scored.units[a];
        const ScoredUnit& sb = scored.units[b];
        if (const int c = compare_ascending(sa.score, sb.score)) return c < 0;
        if (const int c = compare_ascending(sa.score_raw, sb.score_raw)) return c < 0;
        // Equal scores (all units at 100 among them): the higher priority first.
        if (sa.priority && sb.priority && *sa.priority != *sb.priority) return *sa.priority > *sb.priority;
        const RankingUnit& ua = table.units[a];
        const RankingUnit& ub = table.units[b];
        if (ua.population != ub.population) return ua.population > ub.population;
        if (ua.id != ub.id) return ua.id < ub.id;
        return a < b;
    };
    std::sort(ranking.order.begin(), ranking.order.end(), plant_before);

    ranking.rank.assign(n, 0);
    int next_rank = 1;
    for (const std::size_t index : ranking.order)
        if (scored.units[index].score) ranking.rank[index] = next_rank++;
    return ranking;
}

}  // namespace shadegap
