// Applying a model to the ranking table: goals, gaps, priorities, scores, trees and the city score.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/model_file.hpp"
#include "shadegap/table.hpp"
#include "shadegap/tes.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// Model results for one ranking unit. nullopt where a value does not exist (no valid
/// cell, no population data).
struct ScoredUnit {
    std::optional<double> coverage;    ///< canopy or shade fraction 0–1 (Model::coverage)
    std::optional<double> goal;        ///< fraction 0–1
    std::optional<double> gap;         ///< max(0, goal − coverage)
    std::optional<double> gap_score;   ///< gap / gap_max
    std::optional<double> priority;    ///< floor + (1−floor) Σ w N / Σ w
    std::optional<double> score_raw;   ///< score_max × (1 − gap_score × priority), unrounded
    std::optional<double> score;       ///< rounded as the model says, ≤ score_max
    std::optional<double> trees_needed;
    std::optional<double> density_km2;
    std::optional<double> target_coverage;  ///< coverage fraction to reach target_score
    std::optional<double> target_plant_m2;  ///< canopy (or shaded) area to add to reach it
    std::map<std::string, std::optional<double>> components;  ///< N_k, 0–1
};

struct ScoredTable {
    std::vector<ScoredUnit> units;  ///< same order as RankingTable::units
    std::vector<std::string> variables_used;
    double gap_max = 0;
    std::optional<double> city_score;
};

/// Applies the model: goal, gap, priority, score, trees, city score. Variables of the
/// model missing from `table.variables` are dropped with a warning and the remaining
/// weights renormalised. Throws ModelError when no variable is left and the model has some.
/// A variable whose column is the population column takes RankingUnit::population.
/// A model without variables gives every unit priority 1. gap_max is the largest gap of
/// the run; the target inversion holds it fixed and clamps target_coverage at 0.
/// The coverage is RankingUnit::canopy_fraction() or, for coverage "shade",
/// shade_fraction(); trees_needed and target_plant_m2 multiply a gap by the area the
/// coverage is measured on: land_m2() for canopy, sums.shade_mask_m2 for shade.
ScoredTable apply_model(const Model& model, const RankingTable& table, Diagnostics& diagnostics);

}  // namespace shadegap
