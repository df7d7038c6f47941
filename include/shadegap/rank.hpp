// Ranking: the order in which to plant.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/model.hpp"
#include "shadegap/table.hpp"

#include <cstddef>
#include <vector>

namespace shadegap {

struct Ranking {
    std::vector<std::size_t> order;  ///< unit indices, highest planting priority first
    /// rank (1 = plant first) of each unit, by unit index; 0 for a unit without a score
    std::vector<int> rank;
};

/// Orders units by score ascending, then unrounded score ascending, then population
/// descending, then id ascending (deterministic). Units without a score come last.
Ranking rank_units(const RankingTable& table, const ScoredTable& scored);

}  // namespace shadegap
