// The planting plan (`shadegap plan`): how many trees each ranking unit gets, and the crowns
// they make. docs/plan.md.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/geometry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shadegap::plan {

/// What the allocation knows of a ranking unit.
struct UnitNeed {
    std::string id;
    double priority = 0;    ///< the model's priority index (0–1)
    double population = 0;
    double land_m2 = 0;     ///< the area canopy is a share of
    double gap = 0;         ///< goal − canopy, fraction 0–1 (0: at or above the goal)
    std::int64_t sites = 0; ///< planting sites: the most trees the unit can take
};

/// The value of one more tree in a unit that already has `trees`: priority × population ×
/// canopy gain, the gain a crown's share of the land (crown_m2 / land_m2) but no more than
/// what is left of the gap. 0 once the gap is closed, the sites used, or without land.
double marginal_value(const UnitNeed& unit, std::int64_t trees, double crown_m2);

/// The allocation: trees per unit (in the order of `units`) and the order they were given
/// in (each entry a unit index, one per tree).
struct Allocation {
    std::vector<std::int64_t> trees;
    std::vector<std::uint32_t> order;
    double objective = 0;  ///< Σ of the trees' marginal values
};

/// Gives `trees` trees one at a time to the unit whose next tree has the highest marginal
/// value (ties: the smaller id), until the trees run out or no unit's next tree has a value
/// above 0 (every gap closed or every site used). The objective Σ priority × population ×
/// min(gain, gap) is concave and separable in each unit's trees, so this greedy order
/// reaches its maximum (checked against exhaustive search in the tests). `crown_m2` is the
/// canopy one tree adds (at maturity, times survival).
Allocation allocate_trees(const std::vector<UnitNeed>& units, std::int64_t trees, double crown_m2);

/// The simple rules plan.md compares the allocation with. By rank: the units in `order`
/// (most need first) each take trees until its gap closes or its sites are used, while
/// trees last. In proportion to the gap: each unit gets trees in proportion to the canopy
/// its gap lacks (gap × land), rounded down, the trees left one each by the largest
/// remainder (ties: the smaller id), never more than closes its gap or its sites hold.
/// Their `objective` is the allocation's objective of the same trees.
Allocation allocate_by_rank(const std::vector<UnitNeed>& units, const std::vector<std::size_t>& order,
                            std::int64_t trees, double crown_m2);
Allocation allocate_in_proportion(const std::vector<UnitNeed>& units, std::int64_t trees, double crown_m2);

/// Σ over the units' trees of their marginal values: the objective of any allocation.
double objective_of(const std::vector<UnitNeed>& units, const std::vector<std::int64_t>& trees, double crown_m2);

/// The trees that close a unit's gap (the last one may close it only in part), or its
/// sites if fewer.
std::int64_t trees_to_close(const UnitNeed& unit, double crown_m2);

/// A crown at maturity drawn as a polygon of `sides` vertices around (x, y) whose area is
/// exactly `crown_m2` (its circumradius a little larger than the disc's), in CRS units of
/// `metres_per_unit` metres.
Polygon crown(double x, double y, double crown_m2, double metres_per_unit, int sides = 64);

}  // namespace shadegap::plan
