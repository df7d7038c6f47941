// The Tree Equity Score formulas (DESIGN.md), one function each.
// SPDX-License-Identifier: MIT
#include "shadegap/tes.hpp"

#include "model_text.hpp"
#include "shadegap/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace shadegap {

std::string to_string(Normalisation normalisation) {
    switch (normalisation) {
    case Normalisation::MinMax: return "min-max";
    case Normalisation::Max: return "max";
    case Normalisation::None: return "none";
    }
    return "min-max";
}

std::string to_string(Rounding rounding) {
    switch (rounding) {
    case Rounding::Floor: return "floor";
    case Rounding::Round: return "round";
    case Rounding::None: return "none";
    }
    return "floor";
}

}  // namespace shadegap

namespace shadegap::tes {

/// Rounds as a model says. Floor forgives a relative 1e-9: binary arithmetic can land
/// a hair below a whole number that exact arithmetic reaches (100 × (1 − 0.34) gives
/// 65.99999999999999, which must floor to 66).
double round_as(double value, Rounding rounding) {
    switch (rounding) {
    case Rounding::Floor: return std::floor(value + 1e-9 * std::max(1.0, std::abs(value)));
    case Rounding::Round: return std::round(value);
    case Rounding::None: return value;
    }
    return value;
}

double density_goal(double baseline, double density_km2, const std::vector<DensityBand>& table,
                    double cap_factor) {
    if (table.empty()) throw ModelError("goal.density", "the density table has no band");
    double factor = table.back().factor;
    for (const DensityBand& band : table) {
        if (density_km2 < band.max_density_km2) {
            factor = band.factor;
            break;
        }
    }
    return std::min(baseline * factor, cap_factor * baseline);
}

std::vector<std::optional<double>> normalise(const std::vector<std::optional<double>>& values,
                                             const std::vector<std::string>& scopes,
                                             Normalisation method) {
    if (!scopes.empty() && scopes.size() != values.size())
        throw ModelError("normalise", fmt::format("{} values but {} scopes", values.size(),
                                                  scopes.size()));
    if (method == Normalisation::None) return values;
    static const std::string whole_run;
    const auto scope_of = [&](std::size_t i) -> const std::string& {
        return scopes.empty() ? whole_run : scopes[i];
    };
    struct Range {
        double min = std::numeric_limits<double>::infinity();
        double max = -std::numeric_limits<double>::infinity();
    };
    std::map<std::string, Range> ranges;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        Range& range = ranges[scope_of(i)];
        range.min = std::min(range.min, *values[i]);
        range.max = std::max(range.max, *values[i]);
    }
    std::vector<std::optional<double>> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        const Range& range = ranges.at(scope_of(i));
        if (method == Normalisation::Max)
            out[i] = range.max > 0 ? *values[i] / range.max : 0.0;
        else
            out[i] = range.max > range.min ? (*values[i] - range.min) / (range.max - range.min)
                                           : 0.0;
    }
    return out;
}

std::optional<double> priority_index(const std::vector<std::optional<double>>& components,
                                     const std::vector<double>& weights, double floor) {
    if (components.size() != weights.size())
        throw ModelError("priority", fmt::format("{} components but {} weights",
                                                 components.size(), weights.size()));
    double weighted = 0;
    double weight_sum = 0;
    for (std::size_t k = 0; k < components.size(); ++k) {
        if (!components[k]) continue;
        weighted += weights[k] * *components[k];
        weight_sum += weights[k];
    }
    if (!(weight_sum > 0)) return std::nullopt;
    return floor + (1 - floor) * (weighted / weight_sum);
}

double score(double gap, double gap_max, double priority, double score_max,
             Rounding rounding) {
    const double gap_score = gap_max > 0 ? gap / gap_max : 0.0;
    const double raw = score_max * (1 - gap_score * priority);
    return std::min(score_max, round_as(raw, rounding));
}

std::optional<double> city_score(const std::vector<double>& scores,
                                 const std::vector<double>& priorities, double score_max) {
    if (scores.size() != priorities.size())
        throw ModelError("city score", fmt::format("{} scores but {} priorities", scores.size(),
                                                   priorities.size()));
    double numerator = 0;
    double denominator = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (scores[i] < score_max) {
            numerator += scores[i];
            denominator += 1;
        } else {
            numerator += score_max * priorities[i];
            denominator += priorities[i];
        }
    }
    if (!(denominator > 0)) return std::nullopt;
    return numerator / denominator;
}

}  // namespace shadegap::tes
