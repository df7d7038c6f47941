// The stages of a run and the values they pass on (internal): load → align → overlay →
// allocate → model → rank → write, as src/lib/pipeline.cpp chains them.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/allocate.hpp"
#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/model.hpp"
#include "shadegap/output.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/progress.hpp"
#include "shadegap/rank.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/pipeline.hpp"
#include "shadegap/walks.hpp"
#include "shadegap/zones.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace shadegap::stages {

/// What the run ranks, decided once in load from the options.
enum class RankingMode {
    CensusUnits,     ///< each census unit
    Neighbourhoods,  ///< --neighbourhoods: census counts split among them by area
    Groups,          ///< --group-by: census units sharing a field's value
};

/// Where a model role's values come from.
struct FieldSource {
    std::string role;
    std::string column;
    std::string file;  ///< units file or join CSV
    bool from_join = false;
};

using JoinRow = std::map<std::string, std::string>;

/// The load stage's output: every input opened and every attribute read once, nothing
/// aligned yet.
struct Inputs {
    RankingMode mode = RankingMode::CensusUnits;
    std::string group_by;  ///< RankingMode::Groups: the field
    RasterInfo raster;
    std::optional<RasterInfo> shade;  ///< the shade raster, on the canopy raster's grid
    std::optional<RasterInfo> heat;   ///< the land-surface temperature raster, on its own grid
    /// The model's heat variable comes from the heat raster (the data have no heat column).
    bool heat_variable_from_raster = false;
    bool residential = false;  ///< --residential-classes: pieces get people by residential area
    CanopyKind kind;
    Model model;
    ZoneLayer units;
    std::optional<ZoneLayer> neighbourhoods;
    std::optional<JoinTable> join;
    JoinKeys join_keys;
    std::vector<const JoinRow*> join_rows;  ///< per census unit; nullptr: no row in the CSV
    std::vector<FieldSource> fields;  ///< population first, then model roles, then scope
    /// The equity groups' count columns ("equity_group.NAME") and --rank-by ("rank_by").
    std::vector<FieldSource> equity_fields;
    /// The margins of error of --moe, as roles "moe.ROLE" of the model role they belong to.
    std::vector<FieldSource> moe_fields;
    std::vector<std::string> dropped_variables;
    /// Numbers of each role but the scope, per census unit (nullopt: empty, or an ACS
    /// annotation code).
    std::map<std::string, std::vector<std::optional<double>>> values;
    std::vector<std::string> scope;  ///< per census unit; empty: one scope
    /// `shadegap plan`: the land-cover raster when it is not the canopy raster (on its grid).
    std::optional<RasterInfo> landcover;
    /// `shadegap walks`: the streets and destinations, in the raster's CRS.
    std::optional<walks::StreetLayer> streets;
    std::optional<walks::DestinationLayer> destinations;
};
/// The align stage's output: every polygon in the raster's CRS.
struct AlignedInputs {
    AlignedZones units;
    std::optional<AlignedZones> neighbourhoods;
    Pieces pieces;
};

/// The overlay stage's output: the census units measured (with their heat_c when --heat),
/// and the pieces of census units in neighbourhoods.
struct Measured {
    UnitTable units;
    std::vector<ZoneSums> piece_sums;
    /// Census units already warned about as without canopy (outside the raster, on nodata).
    std::set<std::string> warned_without_canopy;
};

/// People of the census units that the neighbourhoods count twice (where they overlap) or
/// not at all (where they leave gaps). Counts are split by area, so these are exact: a
/// piece of a unit carries population × piece area / unit area.
struct Coverage {
    double people_in_several = 0;
    double people_in_none = 0;
    double people = 0;
};

/// The allocate stage's output: the ranking units with their counts and sums.
struct Allocated {
    RankingTable table;
    Coverage coverage;                   ///< with neighbourhoods
    std::vector<std::string> ungrouped;  ///< with --group-by: units whose value is null
};

/// The equity stage's output (equity.csv, disparity.csv), when --equity-group is given.
struct EquityTables {
    bool enabled = false;
    OutputTable equity;     ///< one row per group, everyone first
    OutputTable disparity;  ///< measure, exposure, value, low, high
    std::string reference;  ///< the group compared with
    /// exposure ("canopy", "shade") → group → people of the census units without a value
    /// for it, left out of its mean.
    std::map<std::string, std::map<std::string, double>> people_left_out;
};

/// The walks stage's output (`shadegap walks`).
struct WalkTables {
    bool enabled = false;
    OutputTable walks;      ///< walks.csv: per ranking unit and group, everyone first
    OutputTable routes;     ///< routes.geojson (with --routes)
    nlohmann::json summary; ///< walks.json
    /// group → 100 × Σ shaded_m / Σ walk_m over its agents that reach a destination
    std::map<std::string, std::optional<double>> walk_shade_pct;
    /// per census unit: everyone's walk shade as a fraction (0–1), for the disparity indices
    std::vector<std::optional<double>> unit_walk_shade;
};

/// The plan stage's output (`shadegap plan`).
struct PlanTables {
    bool enabled = false;
    OutputTable plan;        ///< plan.csv: per ranking unit
    OutputTable sites;       ///< sites.geojson: the planted sites, in planting order
    nlohmann::json summary;  ///< plan.json
    /// The census units measured again with the planted canopy (times survival), for
    /// equity.csv's scenario "plan".
    Measured planted;
};

/// The uncertainty stage's output (with --moe and --draws), per ranking unit.
struct RankUncertainty {
    bool enabled = false;
    int draws = 0;
    std::vector<std::optional<std::int64_t>> rank_low;   ///< 5th percentile of the rank over the draws
    std::vector<std::optional<std::int64_t>> rank_high;  ///< 95th percentile
    std::vector<double> p_top;                           ///< share of draws in the top 10 %
};

/// The seed of draw d of a run seeded with `seed` (splitmix64 of both): each draw has a
/// random stream of its own, whatever thread runs it.
inline std::uint64_t draw_seed(int seed, int d) {
    std::uint64_t z = (static_cast<std::uint64_t>(seed) << 32) ^ static_cast<std::uint64_t>(d) ^ 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// An output cell of a number: null when there is none or it is not finite.
inline FieldValue number_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return *value;
}

/// A fraction (0–1) as a percentage, or none.
inline std::optional<double> percent(const std::optional<double>& fraction) {
    if (!fraction) return std::nullopt;
    return 100 * *fraction;
}

/// A number as the messages show it: up to 15 significant digits.
inline std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    return text;
}

/// "'A'", "'A', 'B', 'C'" or "'A', 'B', 'C' and 4 more".
inline std::string examples(const std::vector<std::string>& ids) {
    std::string text;
    for (std::size_t i = 0; i < ids.size() && i < 3; ++i) text += (i ? ", '" : "'") + ids[i] + "'";
    if (ids.size() > 3) text += fmt::format(" and {} more", ids.size() - 3);
    return text;
}

/// The shade mask of the options, and how messages name it.
ShadeMask shade_mask_of(const RunConfig& config);
std::string describe_shade_mask(const RunConfig& config);

/// load (src/lib/load.cpp): opens every input, reads every attribute once, resolves the
/// model's columns and checks the join, the values and the canopy kind. Reads no pixel but
/// the canopy kind's sample.
Inputs load(const RunConfig& config, Diagnostics& diagnostics);

/// align: every polygon into the raster's CRS; the pieces of census units in neighbourhoods.
AlignedInputs align(const Inputs& inputs, Diagnostics& diagnostics);

/// The pixel part of the overlay: the exact sums of census units and of the neighbourhood
/// pieces, and with --heat the heat raster's sums of the units (empty without). Indexed like
/// inputs.units and aligned.pieces.
struct ZoneMeasures {
    std::vector<ZoneSums> units;
    std::vector<ZoneSums> pieces;
    std::vector<ZoneMean> heat;
};

/// measure (src/lib/run_measure.cpp): reads the rasters for the census units i with
/// in_share[i] (all when in_share is empty) and the pieces of those units; the others stay 0.
/// A zone's sums do not depend on the other zones measured with it.
ZoneMeasures measure_zones(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config, int threads,
                           const std::vector<bool>& in_share, const ProgressFn& progress);

/// The sums of config.merge_shards (src/lib/shard.cpp), checked against the inputs: each
/// unit and piece exactly once, in the shard the shares put it in, the inputs unchanged.
ZoneMeasures read_shard_sums(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned);

/// overlay: the exact zonal sums of every census unit and piece (measured, or read from
/// the shards of config.merge_shards).
Measured overlay(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config, int threads,
                 Diagnostics& diagnostics, const ProgressFn& progress);

/// allocate: census counts and sums to the ranking units of inputs.mode.
Allocated allocate(const Inputs& inputs, const AlignedInputs& aligned, const Measured& measured,
                   Diagnostics& diagnostics);

/// The model stage's warnings: ranking units without a canopy (or shade) value.
void warn_unscored(const Inputs& inputs, const RankingTable& table, const Measured& measured,
                   Diagnostics& diagnostics);

/// heat (src/lib/run_heat.cpp): the heat raster's sums of the census units (units aligned
/// to its CRS, on its own grid) for the units i with in_share[i] (all when empty), the
/// others 0. Empty without --heat.
std::vector<ZoneMean> measure_heat_sums(const Inputs& inputs, int threads, const std::vector<bool>& in_share);

/// heat: each census unit's mean temperature from its sums (`means`, from measure_heat_sums),
/// into units.heat_c; with inputs.heat_variable_from_raster also the model's heat variable
/// (unit mean − mean of the run's units). Nothing without --heat.
void measure_heat(const Inputs& inputs, const RunConfig& config, const std::vector<ZoneMean>& means, UnitTable& units,
                  Diagnostics& diagnostics);

/// walks (src/lib/run_walks.cpp): agents for the residents of every census unit and group,
/// their walks to the nearest destination and the shade on the way. Nothing without config.walks.
WalkTables walk_residents(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                          const Measured& measured, const Allocated& allocated, int threads, Diagnostics& diagnostics);

/// plan (src/lib/run_plan.cpp): plantable land and sites of every ranking unit, the trees
/// allocated, the crowns measured, the model re-run. Nothing without config.plan.
PlanTables plan_trees(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                      const Measured& measured, const Allocated& allocated, const ScoredTable& scored,
                      const Ranking& ranking, int threads, Diagnostics& diagnostics);

/// The equity tables of now and of the plan in one: a first column `scenario` (now | plan),
/// now's rows first.
EquityTables with_scenarios(const EquityTables& now, const EquityTables& plan);

/// equity (src/lib/run_equity.cpp): who lives with how much canopy (and shade, and walk
/// shade): each person gets the exposure of the census unit they live in, whatever the
/// ranking units; walk shade is each group's own agents'.
EquityTables equity(const RunConfig& config, const Inputs& inputs, const Measured& measured,
                    const WalkTables& walks, int threads, Diagnostics& diagnostics);

/// uncertainty (src/lib/run_uncertainty.cpp): the estimates with a margin of error drawn
/// config.draws times, the allocation, model and ranking rerun per draw.
RankUncertainty uncertainty(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                            const Measured& measured, std::size_t ranking_units, int threads);

/// The geometry of each ranking unit (WKB in the raster's CRS), in the ranking table's order;
/// groups of census units (--group-by) as the union of their units.
std::vector<std::vector<unsigned char>> ranking_geometries(const Inputs& inputs, const AlignedInputs& aligned,
                                                           const RankingTable& table);

/// write (src/lib/write.cpp): throws OutputError when the output folder cannot take the
/// outputs (a file in the way, earlier outputs without --overwrite).
void check_output_folder(const RunConfig& config);

/// What write calls back: after the tables are written (before run.json, which records the
/// timings), and before the files move into place (the caller's last chance to stop).
struct WriteCallbacks {
    std::function<void()> tables_written;
    std::function<void()> before_commit;
};

/// write: priority.geojson, priority.csv(t), units.csv(t) and run.json into config.out
/// through an output transaction; returns the files written.
std::vector<std::string> write(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                               const Measured& measured, const Allocated& allocated, const ScoredTable& scored,
                               const Ranking& ranking, const RankUncertainty& uncertainty,
                               const EquityTables& equity, const WalkTables& walks, const PlanTables& plan,
                               const RunResult& result,
                               int threads, Diagnostics& diagnostics, const WriteCallbacks& callbacks);

}  // namespace shadegap::stages
