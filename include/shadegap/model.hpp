// Models: TOML files that turn the ranking table into goals, gaps, priorities and scores.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/table.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shadegap {

/// One priority variable of a model (a column of the data, normalised across the scope).
struct ModelVariable {
    std::string name;         ///< role name, mapped to a column with --field NAME=COLUMN
    std::string column;       ///< default column name in the data
    std::string description;
    double weight = 1;
    std::optional<double> cap;      ///< values above are set to the cap before normalising
    /// "min-max": (x−min)/(max−min); "max": x/max; "none": x as it is (already 0–1)
    std::string normalise = "min-max";
    double scale = 1;         ///< multiplies the column's values (e.g. 0.01 for percents)
};

/// Upper bound of a population-density band (people/km² of land) and its goal factor.
struct DensityBand {
    double max_density_km2;  ///< band holds densities < this; the last band may be +inf
    double factor;
};

/// Every choice of the Tree Equity Score method, stated in the model file.
struct Model {
    std::string name;
    std::string description;
    std::string source;  ///< file path, or "built-in:NAME"

    // goal
    /// What the goal, gap and score measure: "canopy" (canopy share of land, canopy_pct) or
    /// "shade" (mean shade fraction over the shade mask, shade_pct; needs a shade raster).
    std::string coverage = "canopy";
    std::string goal_method = "density-table";  ///< "density-table" | "column" | "constant"
    double goal_baseline = 0.40;                ///< fraction 0–1
    std::string goal_column;                    ///< role name of the goal column ("goal")
    std::vector<DensityBand> density_table;
    double goal_cap_factor = 1.5;               ///< goal ≤ cap_factor × baseline

    // population
    std::string population_column = "population";

    // priority
    std::vector<ModelVariable> variables;
    double priority_floor = 0.1;  ///< priority = floor + (1 − floor) × Σ w N / Σ w
    std::string scope_column;     ///< role name of the scope column; empty: whole run

    // score
    double score_max = 100;
    std::string score_rounding = "floor";  ///< "floor" | "round" | "none"

    // trees
    double crown_area_m2 = 55.74;           ///< 600 ft², one medium tree
    std::string trees_rounding = "floor";

    // target inversion: coverage (canopy or shade) needed to reach this score
    std::optional<double> target_score;

    /// Parses model TOML. `source` names the file in errors. Throws ModelError
    /// "FILE: key 'a.b': expected ..." on any malformed or unknown key.
    static Model parse(const std::string& toml_text, const std::string& source);
    static Model load_file(const std::string& path);
    /// A built-in model by name; throws ModelError with the list of names.
    static Model builtin(const std::string& name);
    /// A built-in name, or else a path to a TOML file.
    static Model resolve(const std::string& name_or_path);

    /// Every role the model reads from a RankingUnit's `variables`, with its default
    /// column: each priority variable, then the goal column (goal.method = "column").
    /// Population (`population_column`), a variable reading the population column (it
    /// takes RankingUnit::population) and the scope (`scope_column`) are not listed.
    std::vector<std::pair<std::string, std::string>> fields() const;
};

std::vector<std::string> builtin_model_names();
/// The TOML text of a built-in model (shipped in models/, compiled in).
std::string builtin_model_text(const std::string& name);

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

/// The formulas of the Tree Equity Score, one function each (DESIGN.md), for tests and reuse.
namespace tes {
/// goal = min(baseline × factor(density), cap_factor × baseline).
double density_goal(double baseline, double density_km2, const std::vector<DensityBand>& table,
                    double cap_factor);
/// Min–max (or max) normalisation within each scope; nullopt inputs stay nullopt.
/// Where max == min the result is 0.
std::vector<std::optional<double>> normalise(const std::vector<std::optional<double>>& values,
                                             const std::vector<std::string>& scopes,
                                             const std::string& method);
/// floor + (1 − floor) × Σ w_k N_k / Σ w_k over the components that have a value.
std::optional<double> priority_index(const std::vector<std::optional<double>>& components,
                                     const std::vector<double>& weights, double floor);
/// min(score_max, round(score_max × (1 − gap/gap_max × priority))); gap/gap_max = 0 if gap_max = 0.
double score(double gap, double gap_max, double priority, double score_max,
             const std::string& rounding);
/// (Σ score over units < max + max × Σ priority over units at max) /
/// (count of units < max + Σ priority over units at max).
std::optional<double> city_score(const std::vector<double>& scores,
                                 const std::vector<double>& priorities, double score_max);
}  // namespace tes

}  // namespace shadegap
