// RunConfig: everything `shadegap run` needs, from flags or a project TOML file.
// SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace shadegap {

/// The thread count that means every core OpenMP offers: the default of `threads`.
inline constexpr int all_cores = 0;

/// The threads to use for a requested count: `requested` itself when above 0, every core
/// OpenMP offers (at least 1) for all_cores. Does not cap a count above the core count.
int resolve_threads(int requested);

/// A connection string such as "PG:dbname=city": a scheme of two or more letters, digits
/// or underscores, then a colon (so "C:/data" is not one).
bool is_connection_string(const std::string& path);

/// Whether `path` names a plain file or folder: false for GDAL virtual paths
/// ("/vsizip/...", "/vsimem/...") and connection strings, which GDAL opens as written.
/// Only plain paths resolve against a project file's folder or are checked for existence.
bool is_plain_path(const std::string& path);

/// The options of `shadegap run`. run_options() (options.hpp) declares each one: its
/// project-file key, flag, type and help; check_config() checks them together.
struct RunConfig {
    std::string project_file;  ///< the TOML file the config came from, or empty
    /// The keys that project_file set, canonical ("neighbourhoods" for "neighborhoods"); a
    /// table also adds one key per role ("fields", "fields.population"). A flag may
    /// have overridden their values since.
    std::set<std::string> project_keys;

    std::string canopy;       ///< canopy raster path
    std::string canopy_kind = "binary";
    std::vector<double> water_classes;  ///< raster values that are water (not land)

    std::string shade;        ///< shade-fraction raster (0–1) on the canopy raster's grid, or empty
    std::string shade_mask = "land";  ///< "land" (land less buildings) | "walkable" (walkable classes)
    std::vector<double> building_classes;  ///< raster values that are buildings (out of the land mask)
    std::vector<double> walkable_classes;  ///< raster values people walk on (the walkable mask)

    std::string heat;  ///< land-surface temperature raster (°C), any grid and CRS, or empty
    /// Canopy-raster values where people live: census counts split among neighbourhood
    /// pieces by residential area; empty: by area.
    std::vector<double> residential_classes;

    std::string units;        ///< census units (OGR vector)
    std::string units_layer;  ///< empty: the only layer
    std::string unit_id;      ///< unique id field

    std::string join;         ///< CSV with extra attributes, or empty
    /// Key field: FIELD when the units and the CSV name it alike, or UNITS_FIELD=CSV_FIELD.
    std::string join_key;
    /// Run although some census units have no row in the join CSV (their joined values
    /// are null); without it an incomplete join is an error.
    bool allow_unmatched = false;

    std::string neighbourhoods;  ///< ranking units (OGR vector), or empty
    std::string neighbourhoods_layer;
    std::string neighbourhood_id;
    std::string neighbourhood_name;

    std::string group_by;     ///< rank groups of census units sharing this field

    std::string model = "tree-equity";  ///< built-in name or TOML path
    std::map<std::string, std::string> fields;  ///< model variable → column
    /// Model variable → factor its column is multiplied by (0.01 for a column in percent);
    /// replaces the model file's `scale` of that variable.
    std::map<std::string, double> scales;
    /// Run although model variables have no column (dropped, weights renormalised);
    /// without it a missing variable is an error.
    bool allow_missing_variables = false;

    /// Equity groups: name → count column of the group's people per census unit
    /// (equity.csv, disparity.csv); empty: no equity outputs.
    std::map<std::string, std::string> equity_groups;
    std::string reference;  ///< the group others are compared with; empty: everyone
    std::string rank_by;    ///< socioeconomic rank column for concentration indices, or empty

    /// Column → its ACS 90 % margin-of-error column (--moe FIELD=MOE_FIELD).
    std::map<std::string, std::string> moe;
    int draws = 0;  ///< Monte Carlo draws of the estimates for rank uncertainty; 0: none
    int seed = 1;   ///< the draws' and the walks' seed: the same seed gives the same bytes

    /// `shadegap walks` (docs/walks.md): set by that command, never by a flag or a key; the
    /// walks keys below are read from a project file by every command and used by walks only.
    bool walks = false;
    std::string streets;             ///< street or sidewalk lines (OGR), any CRS
    std::string streets_layer;       ///< empty: the only layer
    std::string destinations;        ///< destination points (OGR), any CRS
    std::string destinations_layer;  ///< empty: the only layer
    std::string destination_kind;    ///< FIELD=V1,V2,...: only destinations with one of these values; empty: all
    double agents_per_person = 0;    ///< agents per resident of each group; 0: 1 unless `agents`
    int agents = 0;                  ///< agents in all (everyone), instead of agents_per_person; 0: not given
    double max_walk_m = 1600;        ///< walks longer than this reach no destination
    double sun_aversion = 0;         ///< A: a route costs sun_m × (1 + A) + shade_m
    int routes = 0;                  ///< agents whose routes routes.geojson draws; 0: no routes.geojson

    /// `shadegap plan` (docs/plan.md): set by that command; the plan keys below are used by plan only.
    bool plan = false;
    std::string landcover;                 ///< land-cover raster of classes (the canopy raster itself)
    std::vector<double> plantable_classes; ///< land-cover values trees may be planted on
    int trees = 0;                         ///< trees to plant; 0: from budget / cost_per_tree
    double budget = 0;                     ///< money to spend, with cost_per_tree
    double cost_per_tree = 0;              ///< cost of planting one tree
    double spacing = 5;                    ///< least distance between planting sites, m
    double crown_m2 = 55.74;               ///< a planted tree's crown area at maturity, m²
    int years = 0;                         ///< years after planting the canopy is given for
    double survival = 1;                   ///< share of trees alive after each year
    double tree_height = 10;               ///< a planted tree's height at maturity, m (its shadow, with --shade)

    /// `run --shard I/N` (docs/scale.md): measure only the I-th of N shares of the census
    /// units and write their sums (shard.json, sums.tsv) into `out`; empty: the whole run.
    std::string shard;
    /// `shadegap merge`: set by that command, never by a flag or a key: the shard folders,
    /// in shard order, whose sums replace the overlay's reading of pixels.
    std::vector<std::string> merge_shards;

    std::string out;          ///< output folder
    bool overwrite = false;
    std::string format = "geojson";  ///< "geojson" | "gpkg" (priority.gpkg as well)
    bool report = false;      ///< also write report.html
    int threads = all_cores;  ///< see resolve_threads()
    int block_size = 0;       ///< overlay block edge in cells; 0: the raster's own blocks
};

/// The two sides of `join_key`: the units' field and the CSV's column.
struct JoinKeys {
    std::string units;
    std::string csv;
};
/// Splits `join_key` ("GEOID" or "GEOID=geo_id"); both empty when there is no join key.
JoinKeys join_keys(const RunConfig& config);

/// Reads a project file. Relative paths in it resolve against the file's folder.
/// Throws InputError "FILE: key 'k': expected ..." for unknown keys or wrong types.
RunConfig read_project_file(const std::string& path);

/// Parses project TOML text as if read from the file `path`: `path` names the file in
/// errors and relative paths resolve against its folder. No file is opened. Throws
/// InputError "PATH: line N: ..." for a TOML syntax error and as read_project_file does.
RunConfig parse_project_file(const std::string& toml_text, const std::string& path);

}  // namespace shadegap
