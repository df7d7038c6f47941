// The Tree Equity Score formulas (DESIGN.md): goal, normalisation, priority, score, city score.
// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// Upper bound of a population-density band (people/km² of land) and its goal factor.
struct DensityBand {
    double max_density_km2;  ///< band holds densities < this; the last band may be +inf
    double factor;
};

/// How a priority variable is normalised across its scope (a model's `normalise`): MinMax,
/// (x − min) / (max − min); Max, x / max; None, x as it is (already 0–1).
enum class Normalisation { MinMax, Max, None };

/// How a score or a tree count is rounded (a model's `score.rounding`, `trees.rounding`).
enum class Rounding { Floor, Round, None };

/// The model file's text of a choice: "min-max", "max", "none"; "floor", "round", "none".
std::string to_string(Normalisation normalisation);
std::string to_string(Rounding rounding);

/// The formulas of the Tree Equity Score, one function each (DESIGN.md), for tests and reuse.
/// Pure functions: safe from any thread.
namespace tes {
/// goal = min(baseline × factor(density), cap_factor × baseline).
double density_goal(double baseline, double density_km2, const std::vector<DensityBand>& table,
                    double cap_factor);
/// Min–max (or max) normalisation within each scope; nullopt inputs stay nullopt.
/// Where max == min the result is 0.
std::vector<std::optional<double>> normalise(const std::vector<std::optional<double>>& values,
                                             const std::vector<std::string>& scopes,
                                             Normalisation method);
/// floor + (1 − floor) × Σ w_k N_k / Σ w_k over the components that have a value.
std::optional<double> priority_index(const std::vector<std::optional<double>>& components,
                                     const std::vector<double>& weights, double floor);
/// min(score_max, round(score_max × (1 − gap/gap_max × priority))); gap/gap_max = 0 if gap_max = 0.
double score(double gap, double gap_max, double priority, double score_max, Rounding rounding);
/// (Σ score over units < max + max × Σ priority over units at max) /
/// (count of units < max + Σ priority over units at max).
std::optional<double> city_score(const std::vector<double>& scores,
                                 const std::vector<double>& priorities, double score_max);
/// Rounds as a model says: Floor (forgiving a relative 1e-9, so that 100 × (1 − 0.34),
/// 65.99999999999999 in binary, floors to 66), Round or None.
double round_as(double value, Rounding rounding);
}  // namespace tes

}  // namespace shadegap
