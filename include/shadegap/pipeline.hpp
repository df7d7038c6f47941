// The whole run: load → align → overlay → allocate → model → rank → write.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/progress.hpp"

#include <optional>
#include <string>
#include <vector>

namespace shadegap {

struct StageTiming {
    std::string stage;
    double seconds = 0;
};

struct RunResult {
    std::vector<std::string> outputs;  ///< files written
    std::optional<double> city_score;
    std::size_t unit_count = 0;          ///< census units
    std::size_t ranking_unit_count = 0;  ///< ranked units
    std::string model;                   ///< the model's name
    std::size_t model_variables = 0;     ///< variables the model names
    std::vector<std::string> variables_used;  ///< those that had a column
    /// `shadegap walks`: agents walked, of them without a destination, and everyone's share
    /// of the walk in shade (percent).
    std::size_t walk_agents = 0;
    std::size_t walk_no_destination = 0;
    std::optional<double> walk_shade_pct;
    std::int64_t plan_trees_asked = 0;    ///< `shadegap plan`: trees asked for
    std::int64_t plan_trees_planted = 0;  ///< and planted
    std::vector<StageTiming> timings;
    Diagnostics diagnostics;
};

/// Checks, before the overlay reads any pixel, that every file opens, layers and fields
/// exist, CRSs are usable, the canopy kind fits a bounded sample of the raster's values
/// (check_canopy_kind in sample.hpp), the model parses and the output folder can be
/// written. Throws the first problem; returns the warnings. `shadegap check` runs exactly this.
Diagnostics validate(const RunConfig& config);

/// Runs the whole pipeline and writes priority.geojson, priority.csv, units.csv and
/// run.json into config.out. Outputs are written under temporary names and renamed at
/// the end: on any error nothing is left behind. Throws an Error subclass. The same as
/// compute() then write_outputs() (outcome.hpp), which keep the tables in memory between.
RunResult run_pipeline(const RunConfig& config, const ProgressFn& progress = {});

}  // namespace shadegap
