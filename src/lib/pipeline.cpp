// The whole run: load → align → overlay → allocate → model → rank → write, each a stage
// of src/lib/run_stages.hpp that takes the typed value of the stage before; load lives in
// load.cpp, write in write.cpp, the middle stages here.
// SPDX-License-Identifier: MIT
#include "shadegap/pipeline.hpp"

#include "run_stages.hpp"
#include "shadegap/options.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

namespace shadegap {

namespace stages {

namespace {

/// Checks that the units fall on the raster at all: a wrong CRS shows up here.
void check_overlap(const Inputs& inputs, const AlignedZones& units) {
    const Grid& grid = inputs.raster.grid;
    Box all{1e300, 1e300, -1e300, -1e300};
    for (const auto& polygon : units.polygons) {
        const Box b = bounding_box(polygon);
        all = {std::min(all.x_min, b.x_min), std::min(all.y_min, b.y_min), std::max(all.x_max, b.x_max),
               std::max(all.y_max, b.y_max)};
        if (b.x_max > grid.x_min && b.x_min < grid.x_max() && b.y_max > grid.y_min() && b.y_min < grid.y_max)
            return;
    }
    char text[256];
    std::snprintf(text, sizeof text, "units span x %.6g..%.6g, y %.6g..%.6g; the raster spans x %.6g..%.6g, y %.6g..%.6g",
                  all.x_min, all.x_max, all.y_min, all.y_max, grid.x_min, grid.x_max(), grid.y_min(), grid.y_max);
    throw CrsError(inputs.units.path, std::string("no unit overlaps the raster ") + inputs.raster.path + " (" + text +
                                          " in the raster's CRS)")
        .with_hint("check that both files declare the right CRS");
}

/// Census units that lie (almost) wholly off the raster get no canopy, no score and no
/// rank (min_data_share): one warning counts them, before any pixel is read.
void warn_outside(const Inputs& inputs, const AlignedZones& units, Diagnostics& diagnostics) {
    std::vector<std::string> outside;
    for (std::size_t i = 0; i < units.area_m2.size(); ++i)
        if (units.on_raster_m2[i] < min_data_share * units.area_m2[i]) outside.push_back(inputs.units.ids[i]);
    if (outside.empty()) return;
    diagnostics.warn("outside-raster", inputs.units.path,
                     fmt::format("{} of {} census units lie outside the raster {} (less than {:g} % of their area on "
                                 "it): no canopy, no score, no rank ({})",
                                 outside.size(), units.area_m2.size(), inputs.raster.path, 100 * min_data_share,
                                 examples(outside)));
}

Coverage neighbourhood_coverage(const UnitTable& units, const Pieces& pieces, const std::string& path,
                                Diagnostics& diagnostics) {
    Coverage c;
    std::vector<double> pieces_m2(units.size(), 0.0);
    for (std::size_t k = 0; k < pieces.size(); ++k) pieces_m2[pieces.unit[k]] += pieces.area_m2[k];
    std::vector<std::string> several, none;
    for (std::size_t i = 0; i < units.size(); ++i) {
        c.people += units.population[i];
        if (!(units.area_m2[i] > 0)) continue;
        const double twice = units.population[i] * std::max(0.0, pieces_m2[i] - pieces.unit_covered_m2[i]) / units.area_m2[i];
        const double outside = units.population[i] * std::max(0.0, units.area_m2[i] - pieces.unit_covered_m2[i]) / units.area_m2[i];
        c.people_in_several += twice;
        c.people_in_none += outside;
        if (twice >= 0.5) several.push_back(units.ids[i]);
        if (outside >= 0.5) none.push_back(units.ids[i]);
    }
    const auto share = [&](double people) { return c.people > 0 ? 100 * people / c.people : 0.0; };
    if (c.people_in_several >= 0.5)
        diagnostics.warn("neighbourhood-overlap", path,
                         fmt::format("the neighbourhoods overlap: {:.0f} people ({:.1f} % of the census units') are "
                                     "counted in more than one neighbourhood (census units {})",
                                     c.people_in_several, share(c.people_in_several), examples(several)));
    if (c.people_in_none >= 0.5)
        diagnostics.warn("neighbourhood-gap", path,
                         fmt::format("{:.0f} people ({:.1f} % of the census units') live outside every "
                                     "neighbourhood and are in no ranking unit (census units {})",
                                     c.people_in_none, share(c.people_in_none), examples(none)));
    return c;
}

}  // namespace

AlignedInputs align(const Inputs& inputs, Diagnostics& diagnostics) {
    AlignedInputs aligned;
    aligned.units = align_zones(inputs.units, inputs.raster, diagnostics);
    check_overlap(inputs, aligned.units);
    warn_outside(inputs, aligned.units, diagnostics);
    if (inputs.neighbourhoods) {
        aligned.neighbourhoods = align_zones(*inputs.neighbourhoods, inputs.raster, diagnostics);
        aligned.pieces = intersect_zones(aligned.units, *aligned.neighbourhoods, inputs.raster);
        if (aligned.pieces.size() == 0)
            throw CrsError(inputs.neighbourhoods->path, "no neighbourhood overlaps any census unit")
                .with_hint("check that both files declare the right CRS");
    }
    return aligned;
}


Measured overlay(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config, int threads,
                 Diagnostics& diagnostics, const ProgressFn& progress) {
    ZoneMeasures measures = config.merge_shards.empty() ? measure_zones(inputs, aligned, config, threads, {}, progress)
                                                        : read_shard_sums(config, inputs, aligned);

    Measured result;
    UnitTable& units = result.units;
    const std::size_t n = inputs.units.size();
    result.piece_sums = std::move(measures.pieces);
    units.ids = inputs.units.ids;
    units.names = inputs.units.names;
    units.area_m2 = aligned.units.area_m2;
    units.sums = std::move(measures.units);
    std::size_t without_canopy = 0;
    std::vector<std::string> little_data;  // on the raster, but (almost) all nodata
    for (std::size_t i = 0; i < n; ++i) {
        const ZoneSums& s = units.sums[i];
        if (!(s.valid_m2 > 0) || !has_enough_data(s, units.area_m2[i])) {
            ++without_canopy;
            if (aligned.units.on_raster_m2[i] >= min_data_share * units.area_m2[i]) little_data.push_back(units.ids[i]);
            if (!has_enough_data(s, units.area_m2[i])) result.warned_without_canopy.insert(units.ids[i]);
            continue;
        }
        const double missing_m2 = s.nodata_m2 + std::max(0.0, units.area_m2[i] - s.covered_m2);
        if (units.area_m2[i] > 0 && missing_m2 / units.area_m2[i] > 0.2) {
            char share[32];
            std::snprintf(share, sizeof share, "%.1f", 100 * missing_m2 / units.area_m2[i]);
            diagnostics.warn("nodata-share", units.ids[i],
                             std::string("census unit has no data (nodata or outside the raster) on ") + share +
                                 " % of its area");
        }
    }
    if (!little_data.empty())
        diagnostics.warn("no-valid-cells", inputs.raster.path,
                         fmt::format("{} census unit(s) have valid land or water cells on less than {:g} % of their "
                                     "area (the rest nodata): no canopy, no score, no rank ({})",
                                     little_data.size(), 100 * min_data_share, examples(little_data)));
    if (without_canopy == n)
        throw InputError(inputs.raster.path, "no census unit has a valid canopy cell (all nodata, water or outside)");
    if (inputs.shade && std::none_of(units.sums.begin(), units.sums.end(),
                                     [](const ZoneSums& s) { return s.shade_mask_m2 > 0; }))
        throw InputError(config.shade, "no census unit has a cell of the " + describe_shade_mask(config) +
                                           " shade mask with a shade value (all nodata, or no cell of those classes)");

    units.scope = inputs.scope;
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") continue;
        const auto& values = inputs.values.at(field.role);
        if (field.role == "population") {
            units.population.resize(n);
            for (std::size_t i = 0; i < n; ++i) units.population[i] = values[i].value_or(0.0);
        } else {
            units.variables[field.role] = values;
        }
    }
    measure_heat(inputs, config, measures.heat, units, diagnostics);
    return result;
}


Allocated allocate(const Inputs& inputs, const AlignedInputs& aligned, const Measured& measured,
                   Diagnostics& diagnostics) {
    Allocated out;
    RankingTable& table = out.table;
    const auto off_raster = [](const AlignedZones& zones, std::size_t i) {
        return std::max(0.0, zones.area_m2[i] - zones.on_raster_m2[i]);
    };
    switch (inputs.mode) {
        case RankingMode::Neighbourhoods:
            table = inputs.residential
                        ? allocate_by_residential(measured.units, aligned.pieces, measured.piece_sums,
                                                  inputs.neighbourhoods->ids, inputs.neighbourhoods->names,
                                                  aligned.neighbourhoods->area_m2, inputs.units.path, diagnostics)
                        : allocate_by_area(measured.units, aligned.pieces, measured.piece_sums,
                                           inputs.neighbourhoods->ids, inputs.neighbourhoods->names,
                                           aligned.neighbourhoods->area_m2);
            for (std::size_t k = 0; k < table.units.size(); ++k)
                table.units[k].outside_m2 = off_raster(*aligned.neighbourhoods, k);
            out.coverage = neighbourhood_coverage(measured.units, aligned.pieces, inputs.neighbourhoods->path, diagnostics);
            break;
        case RankingMode::Groups: {
            const auto& values = inputs.units.texts.at(inputs.group_by);
            table = allocate_by_group(measured.units, values, inputs.group_by, diagnostics, out.ungrouped);
            std::map<std::string, double> outside;
            for (std::size_t i = 0; i < values.size(); ++i)
                if (values[i]) outside[*values[i]] += off_raster(aligned.units, i);
            for (auto& unit : table.units) unit.outside_m2 = outside[unit.id];
            break;
        }
        case RankingMode::CensusUnits:
            table = allocate_to_units(measured.units);
            for (std::size_t i = 0; i < table.units.size(); ++i)
                table.units[i].outside_m2 = off_raster(aligned.units, i);
            break;
    }
    return out;
}

/// One warning for the ranking units without a canopy (or shade) value, less the census
/// units the overlay stage already warned about when they are the ranking units.
void warn_unscored(const Inputs& inputs, const RankingTable& table, const Measured& measured,
                   Diagnostics& diagnostics) {
    const bool census_units = inputs.mode == RankingMode::CensusUnits;
    std::vector<std::string> no_canopy, no_shade;
    for (const auto& unit : table.units) {
        if (!unit.canopy_fraction()) {
            if (!(census_units && measured.warned_without_canopy.count(unit.id))) no_canopy.push_back(unit.id);
        } else if (inputs.model.coverage == CoverageKind::Shade && !unit.shade_fraction()) {
            no_shade.push_back(unit.id);
        }
    }
    const std::size_t n = table.units.size();
    // Census units warn one by one in the overlay stage; neighbourhoods and groups here.
    if (!census_units) {
        std::vector<std::string> sparse;
        for (const auto& unit : table.units) {
            const double measured_m2 = unit.sums.covered_m2 + unit.outside_m2;
            const double missing_m2 = unit.sums.nodata_m2 + unit.outside_m2;
            if (measured_m2 > 0 && missing_m2 > 0.2 * measured_m2 && unit.canopy_fraction())
                sparse.push_back(fmt::format("'{}' {:.1f} %", unit.id, 100 * missing_m2 / measured_m2));
        }
        if (!sparse.empty()) {
            std::string list;
            for (std::size_t i = 0; i < sparse.size() && i < 3; ++i) list += (i ? ", " : "") + sparse[i];
            if (sparse.size() > 3) list += fmt::format(" and {} more", sparse.size() - 3);
            diagnostics.warn("nodata-share", inputs.model.name,
                             fmt::format("{} of {} ranking units have no data (nodata or off the raster) on more than "
                                         "20 % of their area; their canopy is that of the rest ({})",
                                         sparse.size(), n, list));
        }
    }
    if (!no_canopy.empty())
        diagnostics.warn("no-canopy", inputs.model.name,
                         fmt::format("{} of {} ranking units have no canopy value (no valid land cell, or data on less "
                                     "than {:g} % of their area): no score, no rank ({})",
                                     no_canopy.size(), n, 100 * min_data_share, examples(no_canopy)));
    if (!no_shade.empty())
        diagnostics.warn("no-shade", inputs.model.name,
                         fmt::format("{} of {} ranking units have no cell of the shade mask with a shade value: no "
                                     "score, no rank ({})",
                                     no_shade.size(), n, examples(no_shade)));
}


}  // namespace stages

namespace {

class Stopwatch {
public:
    explicit Stopwatch(std::vector<StageTiming>& timings) : m_timings(timings) {}
    void lap(const std::string& stage) {
        const auto now = std::chrono::steady_clock::now();
        m_timings.push_back({stage, std::chrono::duration<double>(now - m_last).count()});
        m_last = now;
    }

private:
    std::vector<StageTiming>& m_timings;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

/// The threads of the run: `threads`, at most the machine's cores (more only time-slice
/// the same cores; the results are the same), or all cores for 0.
int thread_count(const RunConfig& config, Diagnostics& diagnostics) {
    const int cores = std::max(1, omp_get_num_procs());
    if (config.threads <= 0) return resolve_threads(config.threads);
    if (config.threads <= cores) return config.threads;
    diagnostics.warn_about_key("threads-capped", "threads",
                     fmt::format("{} threads asked for, but this machine has {} cores: using {}", config.threads,
                                 cores, cores));
    return cores;
}

}  // namespace

using namespace stages;

Diagnostics validate(const RunConfig& config) {
    check_config(config);
    Diagnostics diagnostics;
    (void)thread_count(config, diagnostics);
    const Inputs inputs = load(config, diagnostics);
    align(inputs, diagnostics);
    check_output_folder(config);
    return diagnostics;
}

RunOutcome stages::compute_run(const RunConfig& config, const ProgressFn& progress) {
    RunOutcome outcome;
    RunResult& result = outcome.result;
    Diagnostics& diagnostics = result.diagnostics;
    Stopwatch clock(result.timings);
    const int threads = thread_count(config, diagnostics);

    ScaledProgress(progress, 0.0, 0.05, "load")(0);
    Inputs inputs = load(config, diagnostics);
    if (!config.out.empty()) check_output_folder(config);
    clock.lap("load");

    ScaledProgress(progress, 0.05, 0.1, "align")(0);
    const AlignedInputs aligned = align(inputs, diagnostics);
    clock.lap("align");

    const ScaledProgress overlay_progress(progress, 0.1, 0.9, "overlay");
    const Measured measured = overlay(inputs, aligned, config, threads, diagnostics,
                                      [&](double f, std::string_view) { overlay_progress(f); });
    clock.lap("overlay");
    result.unit_count = measured.units.size();

    ScaledProgress(progress, 0.9, 0.92, "allocate")(0);
    Allocated allocated = allocate(inputs, aligned, measured, diagnostics);
    clock.lap("allocate");

    ScaledProgress(progress, 0.92, 0.94, "model")(0);
    ScoredTable scored = apply_model(inputs.model, allocated.table, diagnostics);
    warn_unscored(inputs, allocated.table, measured, diagnostics);
    clock.lap("model");

    const Ranking ranking = rank_units(allocated.table, scored);
    clock.lap("rank");

    const RankUncertainty rank_uncertainty =
        uncertainty(config, inputs, aligned, measured, allocated.table.units.size(), threads);
    if (rank_uncertainty.enabled) clock.lap("uncertainty");

    WalkTables walk_tables = walk_residents(config, inputs, aligned, measured, allocated, threads, diagnostics);
    if (walk_tables.enabled) {
        clock.lap("walks");
        const nlohmann::json& everyone = walk_tables.summary.at("groups").at(0);
        result.walk_agents = everyone.at("agents").get<std::size_t>();
        result.walk_no_destination = everyone.at("no_destination").get<std::size_t>();
        result.walk_shade_pct = walk_tables.walk_shade_pct.at("everyone");
    }

    PlanTables plan_tables = plan_trees(config, inputs, aligned, measured, allocated, scored, ranking, threads, diagnostics);
    if (plan_tables.enabled) {
        clock.lap("plan");
        result.plan_trees_asked = plan_tables.summary.at("trees").at("asked").get<std::int64_t>();
        result.plan_trees_planted = plan_tables.summary.at("trees").at("planted").get<std::int64_t>();
    }

    EquityTables equity_tables = equity(config, inputs, measured, walk_tables, threads, diagnostics);
    if (plan_tables.enabled && equity_tables.enabled) {
        Diagnostics repeated;  // the same warnings as now's
        equity_tables = with_scenarios(
            equity_tables, equity(config, inputs, plan_tables.planted, walk_tables, threads, repeated));
    }
    if (equity_tables.enabled) clock.lap("equity");
    result.ranking_unit_count = allocated.table.units.size();
    result.model = inputs.model.name;
    result.model_variables = inputs.model.variables.size();
    result.variables_used = scored.variables_used;
    result.city_score = scored.city_score;

    auto state = std::make_shared<detail::RunState>();
    state->tables = build_tables(inputs, aligned, measured, allocated, scored, ranking, rank_uncertainty);
    state->config = config;
    state->threads = threads;
    state->inputs = std::move(inputs);
    state->allocated = std::move(allocated);
    state->scored = std::move(scored);
    state->equity = std::move(equity_tables);
    state->walks = std::move(walk_tables);
    state->plan = std::move(plan_tables);
    state->plan.planted = {};  // equity's "plan" scenario is computed
    detail::fill_tables(outcome, *state);
    outcome.state = std::move(state);
    return outcome;
}

RunResult run_pipeline(const RunConfig& config, const ProgressFn& progress) {
    check_config(config);  // out included, before any work
    RunOutcome outcome = compute_run(config, progress);
    RunResult result = std::move(outcome.result);
    result.outputs = write_run(*outcome.state, config, result, progress);
    return result;
}

}  // namespace shadegap
