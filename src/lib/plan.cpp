// The planting plan's allocation (greedy on marginal values) and crown polygons.
// SPDX-License-Identifier: MIT
#include "shadegap/plan.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

namespace shadegap::plan {

double marginal_value(const UnitNeed& unit, std::int64_t trees, double crown_m2) {
    if (trees >= unit.sites || !(unit.land_m2 > 0) || !(unit.gap > 0) || !(crown_m2 > 0)) return 0;
    const double gain = crown_m2 / unit.land_m2;
    const double left = unit.gap - static_cast<double>(trees) * gain;
    if (!(left > 0)) return 0;
    return unit.priority * unit.population * std::min(gain, left);
}

Allocation allocate_trees(const std::vector<UnitNeed>& units, std::int64_t trees, double crown_m2) {
    Allocation out;
    out.trees.assign(units.size(), 0);
    // The unit whose next tree is worth most on top; equal values: the smaller id first.
    struct Next {
        double value;
        std::uint32_t unit;
    };
    const auto later = [&units](const Next& a, const Next& b) {
        if (a.value != b.value) return a.value < b.value;
        return units[a.unit].id > units[b.unit].id;
    };
    std::priority_queue<Next, std::vector<Next>, decltype(later)> queue(later);
    for (std::uint32_t u = 0; u < units.size(); ++u) {
        const double value = marginal_value(units[u], 0, crown_m2);
        if (value > 0) queue.push({value, u});
    }
    while (trees > 0 && !queue.empty()) {
        const Next next = queue.top();
        queue.pop();
        out.order.push_back(next.unit);
        out.objective += next.value;
        ++out.trees[next.unit];
        --trees;
        const double value = marginal_value(units[next.unit], out.trees[next.unit], crown_m2);
        if (value > 0) queue.push({value, next.unit});
    }
    return out;
}

std::int64_t trees_to_close(const UnitNeed& unit, double crown_m2) {
    if (!(unit.land_m2 > 0) || !(unit.gap > 0) || !(crown_m2 > 0)) return 0;
    const auto needed = static_cast<std::int64_t>(std::ceil(unit.gap * unit.land_m2 / crown_m2 - 1e-12));
    return std::min(needed, unit.sites);
}

double objective_of(const std::vector<UnitNeed>& units, const std::vector<std::int64_t>& trees, double crown_m2) {
    double total = 0;
    for (std::size_t u = 0; u < units.size(); ++u)
        for (std::int64_t t = 0; t < trees[u]; ++t) total += marginal_value(units[u], t, crown_m2);
    return total;
}

Allocation allocate_by_rank(const std::vector<UnitNeed>& units, const std::vector<std::size_t>& order,
                            std::int64_t trees, double crown_m2) {
    Allocation out;
    out.trees.assign(units.size(), 0);
    for (const std::size_t u : order) {
        const std::int64_t given = std::min(trees, trees_to_close(units[u], crown_m2));
        out.trees[u] = given;
        for (std::int64_t t = 0; t < given; ++t) out.order.push_back(static_cast<std::uint32_t>(u));
        trees -= given;
        if (trees == 0) break;
    }
    out.objective = objective_of(units, out.trees, crown_m2);
    return out;
}

Allocation allocate_in_proportion(const std::vector<UnitNeed>& units, std::int64_t trees, double crown_m2) {
    Allocation out;
    out.trees.assign(units.size(), 0);
    double total = 0;
    for (const UnitNeed& unit : units) total += std::max(0.0, unit.gap) * unit.land_m2;
    if (!(total > 0) || trees <= 0) return out;
    std::vector<std::pair<double, std::size_t>> remainders;
    std::int64_t given = 0;
    for (std::size_t u = 0; u < units.size(); ++u) {
        const double share = static_cast<double>(trees) * std::max(0.0, units[u].gap) * units[u].land_m2 / total;
        const std::int64_t cap = trees_to_close(units[u], crown_m2);
        out.trees[u] = std::min(cap, static_cast<std::int64_t>(std::floor(share)));
        given += out.trees[u];
        if (out.trees[u] < cap) remainders.emplace_back(share - std::floor(share), u);
    }
    std::sort(remainders.begin(), remainders.end(), [&units](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return units[a.second].id < units[b.second].id;
    });
    for (const auto& remainder : remainders) {
        if (given >= trees) break;
        ++out.trees[remainder.second];
        ++given;
    }
    for (std::size_t u = 0; u < units.size(); ++u)
        for (std::int64_t t = 0; t < out.trees[u]; ++t) out.order.push_back(static_cast<std::uint32_t>(u));
    out.objective = objective_of(units, out.trees, crown_m2);
    return out;
}

Polygon crown(double x, double y, double crown_m2, double metres_per_unit, int sides) {
    // A regular polygon of n sides and circumradius R has area n/2 · R² · sin(2π/n).
    const double pi = 3.14159265358979323846;
    const double area = crown_m2 / (metres_per_unit * metres_per_unit);
    const double radius = std::sqrt(2 * area / (sides * std::sin(2 * pi / sides)));
    Polygon polygon;
    for (int k = 0; k <= sides; ++k) {
        const double angle = 2 * pi * (k % sides) / sides;
        polygon.shell.push_back({x + radius * std::cos(angle), y + radius * std::sin(angle)});
    }
    return polygon;
}

}  // namespace shadegap::plan
