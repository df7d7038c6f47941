// Equity measures: weighted means, concentration, inequality and dissimilarity indices.
// SPDX-License-Identifier: MIT
#include "shadegap/equity.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

namespace shadegap::equity {

namespace {

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

struct Unit {
    double x = 0;
    double n = 0;
};

void require_same_size(std::size_t first, std::size_t second, const char* what) {
    if (first != second)
        throw std::invalid_argument(std::string("equity: ") + what + ": sizes differ (" +
                                    std::to_string(first) + " and " + std::to_string(second) + ")");
}

bool is_weight(double n) { return std::isfinite(n) && n > 0; }

bool has_value(const std::optional<double>& value) { return value && std::isfinite(*value); }

/// The used units, in unit order.
std::vector<Unit> collect_units(const std::vector<std::optional<double>>& x, const std::vector<double>& n) {
    require_same_size(x.size(), n.size(), "exposures and populations");
    std::vector<Unit> units;
    units.reserve(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        if (has_value(x[i]) && is_weight(n[i])) units.push_back({*x[i], n[i]});
    return units;
}

struct Totals {
    double people = 0;
    double mean = 0;
};

Totals total(const std::vector<Unit>& units) {
    Totals totals;
    double weighted = 0;
    for (const Unit& unit : units) {
        totals.people += unit.n;
        weighted += unit.n * unit.x;
    }
    if (totals.people > 0) totals.mean = weighted / totals.people;
    return totals;
}

bool any_negative(const std::vector<Unit>& units) {
    return std::any_of(units.begin(), units.end(), [](const Unit& unit) { return unit.x < 0; });
}

/// The units and their totals when Gini, Theil and Atkinson are defined for them.
std::optional<Totals> non_negative_totals(const std::vector<Unit>& units) {
    if (units.empty() || any_negative(units)) return std::nullopt;
    const Totals totals = total(units);
    if (!(totals.mean > 0)) return std::nullopt;
    return totals;
}

}  // namespace

std::optional<double> weighted_mean(const std::vector<std::optional<double>>& x, const std::vector<double>& n,
                                    double* people_left_out) {
    require_same_size(x.size(), n.size(), "exposures and populations");
    double people = 0;
    double weighted = 0;
    double left_out = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!is_weight(n[i])) continue;
        if (has_value(x[i])) {
            people += n[i];
            weighted += n[i] * *x[i];
        } else {
            left_out += n[i];
        }
    }
    if (people_left_out) *people_left_out = left_out;
    if (!(people > 0)) return std::nullopt;
    return weighted / people;
}

std::optional<Concentration> concentration(const std::vector<std::optional<double>>& x, const std::vector<double>& n,
                                           const std::vector<std::optional<double>>& rank_by, double a, double b) {
    require_same_size(x.size(), n.size(), "exposures and populations");
    require_same_size(x.size(), rank_by.size(), "exposures and rank values");

    struct Ranked {
        double x;
        double n;
        double rank_by;
        double rank = 0;
    };
    std::vector<Ranked> units;
    units.reserve(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
        if (has_value(x[i]) && is_weight(n[i]) && has_value(rank_by[i]))
            units.push_back({*x[i], n[i], *rank_by[i]});
    if (units.size() < 2) return std::nullopt;

    // Stable, so equal rank values keep unit order and the sums below keep their bits.
    std::stable_sort(units.begin(), units.end(),
                     [](const Ranked& left, const Ranked& right) { return left.rank_by < right.rank_by; });

    double people = 0;
    double weighted = 0;
    for (const Ranked& unit : units) {
        people += unit.n;
        weighted += unit.n * unit.x;
    }
    const double mean = weighted / people;

    double before = 0;
    for (std::size_t first = 0; first < units.size();) {
        std::size_t last = first;
        double block = 0;
        while (last < units.size() && units[last].rank_by == units[first].rank_by) block += units[last++].n;
        const double rank = (before + block / 2) / people;
        for (std::size_t i = first; i < last; ++i) units[i].rank = rank;
        before += block;
        first = last;
    }

    // The population-weighted mean of fractional ranks is exactly ½, with or without ties.
    double covariance = 0;
    bool within_bounds = b > a;
    for (const Ranked& unit : units) {
        covariance += unit.n * (unit.x - mean) * (unit.rank - 0.5);
        if (unit.x < a || unit.x > b) within_bounds = false;
    }
    covariance /= people;

    Concentration result;
    result.mean = mean;
    result.index = mean != 0 ? 2 * covariance / mean : not_a_number;
    if (within_bounds) {
        const double range = b - a;
        result.erreygers = 8 * covariance / range;
        const double above = mean - a;
        const double below = b - mean;
        result.wagstaff = above > 0 && below > 0 ? 2 * range * covariance / (above * below) : not_a_number;
    } else {
        result.erreygers = not_a_number;
        result.wagstaff = not_a_number;
    }
    return result;
}

std::optional<double> gini(const std::vector<std::optional<double>>& x, const std::vector<double>& n) {
    std::vector<Unit> units = collect_units(x, n);
    const std::optional<Totals> totals = non_negative_totals(units);
    if (!totals) return std::nullopt;

    std::stable_sort(units.begin(), units.end(), [](const Unit& left, const Unit& right) { return left.x < right.x; });
    // Each unit meets every unit below it once: Σ_{j<i} n_j (x_i − x_j) = x_i W_i − S_i.
    double people_below = 0;
    double exposure_below = 0;
    double differences = 0;
    for (const Unit& unit : units) {
        differences += unit.n * std::max(0.0, unit.x * people_below - exposure_below);
        people_below += unit.n;
        exposure_below += unit.n * unit.x;
    }
    return differences / (totals->people * totals->people * totals->mean);
}

std::optional<double> theil_t(const std::vector<std::optional<double>>& x, const std::vector<double>& n) {
    const std::vector<Unit> units = collect_units(x, n);
    const std::optional<Totals> totals = non_negative_totals(units);
    if (!totals) return std::nullopt;

    double sum = 0;
    for (const Unit& unit : units) {
        if (unit.x == 0) continue;  // 0 ln 0 = 0
        const double relative = unit.x / totals->mean;
        sum += unit.n * relative * std::log(relative);
    }
    return sum / totals->people;
}

std::optional<double> atkinson(const std::vector<std::optional<double>>& x, const std::vector<double>& n,
                               double epsilon) {
    const std::vector<Unit> units = collect_units(x, n);
    if (!std::isfinite(epsilon) || epsilon < 0) return std::nullopt;
    const std::optional<Totals> totals = non_negative_totals(units);
    if (!totals) return std::nullopt;

    const bool someone_without = std::any_of(units.begin(), units.end(), [](const Unit& unit) { return unit.x == 0; });
    // For ε ≥ 1 a zero exposure sends the equally distributed equivalent to 0.
    if (epsilon >= 1 && someone_without) return 1.0;

    double sum = 0;
    if (epsilon == 1) {
        for (const Unit& unit : units) sum += unit.n * std::log(unit.x / totals->mean);
        return 1 - std::exp(sum / totals->people);
    }
    const double power = 1 - epsilon;
    for (const Unit& unit : units) sum += unit.n * std::pow(unit.x / totals->mean, power);
    return 1 - std::pow(sum / totals->people, 1 / power);
}

std::optional<double> dissimilarity(const std::vector<double>& group_a, const std::vector<double>& group_b) {
    require_same_size(group_a.size(), group_b.size(), "two groups");
    double total_a = 0;
    double total_b = 0;
    for (std::size_t i = 0; i < group_a.size(); ++i) {
        if (!std::isfinite(group_a[i]) || !std::isfinite(group_b[i])) continue;
        if (group_a[i] < 0 || group_b[i] < 0) return std::nullopt;
        total_a += group_a[i];
        total_b += group_b[i];
    }
    if (!(total_a > 0) || !(total_b > 0)) return std::nullopt;

    double sum = 0;
    for (std::size_t i = 0; i < group_a.size(); ++i) {
        if (!std::isfinite(group_a[i]) || !std::isfinite(group_b[i])) continue;
        sum += std::abs(group_a[i] / total_a - group_b[i] / total_b);
    }
    return sum / 2;
}

}  // namespace shadegap::equity
