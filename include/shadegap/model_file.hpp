// Model files: TOML that states every choice of a model (goal, priority variables, score, trees).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/tes.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace shadegap {

/// What a model's goal, gap and score measure (model.coverage): the canopy share of land
/// (canopy_pct) or the mean shade fraction over the shade mask (shade_pct; needs a shade raster).
enum class CoverageKind { Canopy, Shade };

/// How a model gives each unit its goal (goal.method): from the density table, from a
/// column, or the baseline for every unit.
enum class GoalMethod { DensityTable, Column, Constant };

/// The model file's text of a choice: "canopy", "shade"; "density-table", "column", "constant".
std::string to_string(CoverageKind coverage);
std::string to_string(GoalMethod method);

/// One priority variable of a model (a column of the data, normalised across the scope).
struct ModelVariable {
    std::string name;         ///< role name, mapped to a column with --field NAME=COLUMN
    std::string column;       ///< default column name in the data
    std::string description;
    double weight = 1;
    std::optional<double> cap;      ///< values above are set to the cap before normalising
    Normalisation normalise = Normalisation::MinMax;
    double scale = 1;         ///< multiplies the column's values (e.g. 0.01 for percents)
};
/// Every choice of the Tree Equity Score method, stated in the model file.
struct Model {
    std::string name;
    std::string description;
    std::string source;  ///< file path, or "built-in:NAME"

    // goal
    CoverageKind coverage = CoverageKind::Canopy;  ///< what the goal, gap and score measure
    GoalMethod goal_method = GoalMethod::DensityTable;
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
    Rounding score_rounding = Rounding::Floor;

    // trees
    double crown_area_m2 = 55.74;           ///< 600 ft², one medium tree
    Rounding trees_rounding = Rounding::Floor;

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

}  // namespace shadegap
