// The table of `run` options and check_config(), the rules between them.
// SPDX-License-Identifier: MIT
#include "shadegap/options.hpp"

#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/shard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace shadegap {
namespace {

const char* const inputs = "Inputs";
const char* const ranking = "Ranking units";
const char* const model = "Model";
const char* const equity = "Equity";
const char* const uncertainty = "Uncertainty";
const char* const output = "Output";
const char* const walks = "Walks";
const char* const planting = "Plan";
const char* const shards = "Shards";

std::vector<RunOption> make_run_options() {
    using T = OptionType;
    using C = RunConfig;
    return {
        {"canopy", "--canopy", {}, T::InputPath, &C::canopy, "PATH", inputs,
         "Canopy raster: any GDAL raster or VRT, such as a GeoTIFF of land cover or canopy. "
         "Required, as the flag or in the project file.",
         true, {}, {}, ""},
        {"canopy_kind", "--canopy-kind", {}, T::CanopyKind, &C::canopy_kind, "KIND", inputs,
         "How a raster value becomes canopy: binary (1 = canopy, 0 = not), percent (0–100), "
         "fraction (0–1), classes=C1,C2,... (the land-cover classes that are canopy) or min=X "
         "(canopy where the value is at least X, e.g. a canopy height in metres). Default: binary.",
         false, {}, {}, ""},
        {"water_classes", "--water-classes", {}, T::Numbers, &C::water_classes, "V1,V2,...", inputs,
         "Comma-separated raster values that are water (e.g. 4 or 4,11): their cells count as "
         "neither land nor canopy, so canopy is measured against land area. Default: none.",
         false, {}, {}, ""},
        {"shade", "--shade", {}, T::InputPath, &C::shade, "PATH", inputs,
         "Shade-fraction raster (0–1, e.g. from shadegap shade) on the canopy raster's grid: same "
         "CRS, origin, cell size and size (it is not resampled). Adds shade_pct, the mean shade "
         "over the cells of --shade-mask, to the outputs. Default: none.",
         false, {}, {}, ""},
        {"shade_mask", "--shade-mask", {}, T::Choice, &C::shade_mask, "MASK", inputs,
         "The canopy raster's cells that shade_pct averages over: land (valid land cells that are "
         "not water and not --building-classes) or walkable (the cells of --walkable-classes). "
         "Default: land.",
         false, {}, {"land", "walkable"}, ""},
        {"building_classes", "--building-classes", {}, T::Numbers, &C::building_classes, "V1,V2,...", inputs,
         "Comma-separated raster values that are buildings (e.g. 5): left out of the land shade "
         "mask. Default: none.",
         false, {}, {}, ""},
        {"walkable_classes", "--walkable-classes", {}, T::Numbers, &C::walkable_classes, "V1,V2,...", inputs,
         "Comma-separated raster values people walk on: roads, sidewalks, open ground (e.g. "
         "2,3,6). They form the walkable shade mask. Required with --shade-mask walkable.",
         false, {}, {}, ""},
        {"heat", "--heat", {}, T::InputPath, &C::heat, "PATH", inputs,
         "Land-surface temperature raster in degrees C (e.g. Landsat LST), on any grid and in any "
         "CRS: each census unit's area-weighted mean over its own cells (nodata left out) becomes "
         "heat_c in the outputs, and the model's heat variable when the data have no heat column. "
         "Default: none.",
         false, {}, {}, ""},
        {"residential_classes", "--residential-classes", {}, T::Numbers, &C::residential_classes, "C1,C2,...",
         inputs,
         "Comma-separated canopy-raster values of the land where people live (e.g. 21,22). A census "
         "unit's counts are split among its neighbourhood pieces by the residential area each holds "
         "instead of by area; a unit without residential land is split by area, with a warning. "
         "Needs --neighbourhoods, but for walks, whose agents start on residential land. Default: by area.",
         false, {}, {}, ""},
        {"units", "--units", {}, T::InputPath, &C::units, "PATH", inputs,
         "Census units with demographics: any OGR vector (GeoPackage, Shapefile, GeoJSON, ...). "
         "Required.",
         true, {}, {}, ""},
        {"units_layer", "--units-layer", {}, T::String, &C::units_layer, "NAME", inputs,
         "Layer of --units to read when the source holds several. Default: its only layer.",
         false, {}, {}, ""},
        {"unit_id", "--unit-id", {}, T::String, &C::unit_id, "FIELD", inputs,
         "Field of --units that identifies each census unit uniquely (e.g. GEOID). Required.",
         true, {}, {}, ""},
        {"join", "--join", {}, T::InputPath, &C::join, "CSV", inputs,
         "CSV file with extra attributes for the census units, joined by --join-key. Default: none.",
         false, {"join_key"}, {}, ""},
        {"join_key", "--join-key", {}, T::String, &C::join_key, "FIELD", inputs,
         "Field that holds the key in both the --join CSV and the census units (e.g. GEOID), or "
         "UNITS_FIELD=CSV_FIELD when they name it differently. Keys are compared as text: "
         "060750101002 and 60750101002 differ. Required with --join.",
         false, {"join"}, {}, ""},
        {"allow_unmatched", "--allow-unmatched", {}, T::Flag, &C::allow_unmatched, "", inputs,
         "Run although some census units have no row in the --join CSV: their joined values are "
         "null (a null population counts as 0), with a warning. Default: an incomplete join is "
         "an error that shows a key from each side.",
         false, {}, {}, ""},

        {"neighbourhoods", "--neighbourhoods", {"neighborhoods"}, T::InputPath, &C::neighbourhoods, "PATH", ranking,
         "Ranking units: neighbourhood polygons (any OGR vector); census counts are split among "
         "them by area. Default: the census units themselves are ranked.",
         false, {"neighbourhood_id"}, {}, ""},
        {"neighbourhoods_layer", "--neighbourhoods-layer", {"neighborhoods_layer"}, T::String,
         &C::neighbourhoods_layer, "NAME", ranking,
         "Layer of --neighbourhoods to read when the source holds several. Default: its only layer.",
         false, {"neighbourhoods"}, {}, ""},
        {"neighbourhood_id", "--neighbourhood-id", {"neighborhood_id"}, T::String, &C::neighbourhood_id, "FIELD",
         ranking,
         "Field of --neighbourhoods that identifies each neighbourhood uniquely; it becomes the "
         "output's id. Required with --neighbourhoods.",
         false, {"neighbourhoods"}, {}, ""},
        {"neighbourhood_name", "--neighbourhood-name", {"neighborhood_name"}, T::String, &C::neighbourhood_name,
         "FIELD", ranking,
         "Field of --neighbourhoods with each neighbourhood's name, for the output's name. "
         "Default: the neighbourhood's id.",
         false, {"neighbourhoods"}, {}, ""},
        {"group_by", "--group-by", {}, T::String, &C::group_by, "FIELD", ranking,
         "Rank groups of census units that share this field's value (e.g. a ward or tract column) "
         "instead of single units; units with a null value join no group. Cannot be combined "
         "with --neighbourhoods.",
         false, {}, {}, ""},

        {"model", "--model", {}, T::Model, &C::model, "NAME|PATH", model,
         "The model: a built-in name (tree-equity, canopy-gap or shade-equity; see shadegap models) or the path "
         "of a model TOML file. Default: tree-equity.",
         false, {}, {}, ""},
        {"fields", "--field", {}, T::RoleColumns, &C::fields, "ROLE=FIELD", model,
         "Maps a model variable to a column of the data, e.g. population=POP; repeatable. A role "
         "given here replaces the project file's [fields] entry for that role only. Default: the "
         "column names the model states.",
         false, {}, {}, ""},
        {"scale", "--scale", {}, T::RoleFactors, &C::scales, "ROLE=FACTOR", model,
         "Multiplies a model variable's column by FACTOR before it is checked and used, e.g. "
         "poverty=0.01 for a column in percent; repeatable. Replaces the model file's scale of "
         "that variable. Default: the model's scale (1 for the built-in models).",
         false, {}, {}, ""},
        {"allow_missing_variables", "--allow-missing-variables", {}, T::Flag, &C::allow_missing_variables, "", model,
         "Run although some of the model's variables have no column: they are dropped and the "
         "other weights renormalised, with a warning, and run.json lists them. Default: a "
         "missing variable is an error that lists the columns that look close.",
         false, {}, {}, ""},

        {"equity_group", "--equity-group", {}, T::RoleColumns, &C::equity_groups, "NAME=FIELD", equity,
         "A group of residents for equity.csv and disparity.csv: NAME and the column counting its "
         "people per census unit (units layer or --join CSV), e.g. black=B03002_004E; repeatable. "
         "Every person gets the canopy (and shade) of the census unit they live in. Default: none "
         "(no equity outputs).",
         false, {}, {}, ""},
        {"reference", "--reference", {}, T::String, &C::reference, "NAME", equity,
         "The group the others are compared with in equity.csv (differences and ratios): everyone "
         "or a name of --equity-group. Default: everyone.",
         false, {"equity_group"}, {}, ""},
        {"rank_by", "--rank-by", {}, T::String, &C::rank_by, "FIELD", equity,
         "Column ranking census units from worse to better off (e.g. median household income) for "
         "the concentration indices of disparity.csv. Default: none (no concentration indices).",
         false, {"equity_group"}, {}, ""},

        {"moe", "--moe", {}, T::RoleColumns, &C::moe, "FIELD=MOE_FIELD", uncertainty,
         "The ACS 90 % margin of error of a column the model reads: FIELD=MOE_FIELD, e.g. "
         "pctpov=pctpov_moe; repeatable. With --draws, each estimate is drawn from "
         "Normal(value, MOE / 1.645), clamped to its range. Default: none.",
         false, {"draws"}, {}, ""},
        {"draws", "--draws", {}, T::Count, &C::draws, "N", uncertainty,
         "Monte Carlo draws of the estimates with a --moe: the model and the ranking rerun per "
         "draw, and priority.csv/.geojson gain rank_low, rank_high (5th and 95th percentiles of "
         "the rank) and p_top (share of draws in the top 10 %). Default: 0 (none).",
         false, {"moe"}, {}, ""},
        {"seed", "--seed", {}, T::Count, &C::seed, "S", uncertainty,
         "Seed of the draws: the same seed gives the same bytes at any thread count. Default: 1.",
         false, {}, {}, ""},

        {"streets", "--streets", {}, T::InputPath, &C::streets, "PATH", walks,
         "Street or sidewalk centre lines people walk along: any OGR line layer (GeoPackage, Shapefile, "
         "GeoJSON), in any CRS. Lines meet where they share a vertex; lines that cross without one "
         "(bridges, underpasses) do not. Required.",
         false, {}, {}, "walks"},
        {"streets_layer", "--streets-layer", {}, T::String, &C::streets_layer, "NAME", walks,
         "Layer of --streets to read when the source holds several. Default: its only layer.",
         false, {"streets"}, {}, "walks"},
        {"destinations", "--destinations", {}, T::InputPath, &C::destinations, "PATH", walks,
         "Places residents walk to (schools, bus stops, parks): any OGR point layer, in any CRS; each "
         "agent walks to the nearest by the route's cost. Required.",
         false, {}, {}, "walks"},
        {"destinations_layer", "--destinations-layer", {}, T::String, &C::destinations_layer, "NAME", walks,
         "Layer of --destinations to read when the source holds several. Default: its only layer.",
         false, {"destinations"}, {}, "walks"},
        {"destination_kind", "--destination-kind", {}, T::String, &C::destination_kind, "FIELD=V1,V2,...", walks,
         "Only the destinations whose FIELD holds one of the values (e.g. kind=school). Default: every "
         "destination.",
         false, {"destinations"}, {}, "walks"},
        {"agents_per_person", "--agents-per-person", {}, T::Real, &C::agents_per_person, "K", walks,
         "Agents per resident of each group and census unit (e.g. 0.1: one agent for ten residents; "
         "at least one where anyone lives); each agent stands for its share of the residents. "
         "Default: 1.",
         false, {}, {}, "walks"},
        {"agents", "--agents", {}, T::Count, &C::agents, "N", walks,
         "About N agents for everyone in all, instead of --agents-per-person (K = N / population; each "
         "group gets its own agents at the same K). Default: not given.",
         false, {}, {}, "walks"},
        {"max_walk_m", "--max-walk-m", {}, T::Real, &C::max_walk_m, "M", walks,
         "Longest walk in metres: an agent whose walk to the nearest destination is longer (or that "
         "reaches none) is counted in no_destination, not dropped. Default: 1600 (20 minutes).",
         false, {}, {}, "walks"},
        {"sun_aversion", "--sun-aversion", {}, T::Real, &C::sun_aversion, "A", walks,
         "Shade-seeking walks: a route costs sun_m × (1 + A) + shade_m; 0 walks the shortest route. "
         "With A above 0 the outputs also give the shortest routes' figures. Default: 0.",
         false, {}, {}, "walks"},
        {"routes", "--routes", {}, T::Count, &C::routes, "K", walks,
         "Also write routes.geojson with the routes of K agents, a sample drawn with --seed. "
         "Default: 0 (no routes.geojson).",
         false, {}, {}, "walks"},
        {"landcover", "--landcover", {}, T::InputPath, &C::landcover, "PATH", planting,
         "Land-cover raster of classes where trees can go (--plantable-classes) and people walk "
         "(--walkable-classes): the canopy raster itself, or a raster on its grid beside a canopy raster "
         "of heights or percentages. Required.",
         false, {}, {}, "plan"},
        {"plantable_classes", "--plantable-classes", {}, T::Numbers, &C::plantable_classes, "C1,C2,...", planting,
         "Comma-separated land-cover values trees may be planted on (grass, bare soil; never canopy, "
         "buildings, water or roads). Required.",
         false, {}, {}, "plan"},
        {"trees", "--trees", {}, T::Count, &C::trees, "N", planting,
         "Trees to plant. Give it or --budget with --cost-per-tree.",
         false, {}, {}, "plan"},
        {"budget", "--budget", {}, T::Real, &C::budget, "AMOUNT", planting,
         "Money to spend: floor(budget / cost per tree) trees. Needs --cost-per-tree.",
         false, {"cost_per_tree"}, {}, "plan"},
        {"cost_per_tree", "--cost-per-tree", {}, T::Real, &C::cost_per_tree, "AMOUNT", planting,
         "Cost of planting one tree (in the budget's money); plan.csv gives each unit's cost with it.",
         false, {}, {}, "plan"},
        {"spacing", "--spacing", {}, T::Real, &C::spacing, "M", planting,
         "Least distance between two planting sites, in metres. Default: 5.",
         false, {}, {}, "plan"},
        {"crown_m2", "--crown-m2", {}, T::Real, &C::crown_m2, "A", planting,
         "Crown area of a planted tree at maturity, m²; sites keep a crown radius from existing canopy. "
         "Default: 55.74 (600 ft², a medium tree).",
         false, {}, {}, "plan"},
        {"years", "--years", {}, T::Count, &C::years, "Y", planting,
         "Years after planting: the planted canopy is scaled by survival^Y. Default: 0.",
         false, {}, {}, "plan"},
        {"tree_height", "--tree-height", {}, T::Real, &C::tree_height, "H", planting,
         "A planted tree's height at maturity, in metres: with --shade, the shade day is cast again "
         "with the planted crowns at this height (shade_pct_plan). Default: 10.",
         false, {}, {}, "plan"},
        {"survival", "--survival", {}, T::Real, &C::survival, "S", planting,
         "Share of planted trees alive after each year, 0–1 (street trees: 0.949–0.965, Roman & "
         "Scatena 2011). Default: 1 (no loss).",
         false, {}, {}, "plan"},
        {"shard", "--shard", {}, T::String, &C::shard, "I/N", shards,
         "Measure only the I-th of N shares of the census units (1 ≤ I ≤ N; shares balanced by "
         "their area on the raster) and write their exact sums into --out as shard.json and "
         "sums.tsv instead of the outputs; shadegap merge turns the N shard folders into the "
         "outputs of one run, byte for byte. Default: the whole run.",
         false, {}, {}, "run"},
        {"out", "--out", {}, T::OutputPath, &C::out, "DIR", output,
         "Output folder for priority.geojson, priority.csv, units.csv (each CSV with its .csvt of "
         "column types) and run.json; created when missing. Required.",
         true, {}, {}, ""},
        {"overwrite", "--overwrite", {}, T::Flag, &C::overwrite, "", output,
         "Replace outputs that already exist in --out. Default: stop with an error instead.",
         false, {}, {}, ""},
        {"format", "--format", {}, T::Choice, &C::format, "FORMAT", output,
         "Map formats: geojson (priority.geojson) or gpkg (priority.geojson and priority.gpkg, "
         "a GeoPackage in the canopy raster's CRS with a QGIS style on score). Default: geojson.",
         false, {}, {"geojson", "gpkg"}, ""},
        {"report", "--report", {}, T::Flag, &C::report, "", output,
         "Also write report.html: one page that opens offline with the priority map, the ranked "
         "table, the equity chart (with --equity-group), the model's weights and the warnings. "
         "Default: no report.",
         false, {}, {}, ""},
        {"threads", "--threads", {}, T::Count, &C::threads, "N", output,
         fmt::format("Number of threads for the overlay and the GeoJSON output; {0} uses all cores; more than "
                     "the machine's cores are capped, with a warning. Results are identical for any count. "
                     "Default: {0}.",
                     all_cores),
         false, {}, {}, ""},
        {"block_size", "--block-size", {}, T::Count, &C::block_size, "N", output,
         "Advanced: edge, in cells, of the square block the overlay reads at a time; 0 uses the "
         "raster's own blocks. Memory per thread grows with its square. Default: 0.",
         false, {}, {}, ""},
    };
}

std::string dashed(std::string key) {
    std::replace(key.begin(), key.end(), '_', '-');
    return key;
}

std::string in_quotes(const std::string& text) {
    return "\"" + text + "\"";
}

/// Whether the option holds a value in `config`: a text or list not empty, a flag on, a
/// count above 0.
bool is_set(const RunOption& option, const RunConfig& config) {
    return std::visit(
        [&config](auto member) {
            using Value = std::decay_t<decltype(config.*member)>;
            if constexpr (std::is_same_v<Value, bool>) {
                return config.*member;
            } else if constexpr (std::is_same_v<Value, CanopyKind>) {
                return (config.*member).type != CanopyKind::Type::Binary;
            } else if constexpr (std::is_same_v<Value, ShadeMaskKind> || std::is_same_v<Value, OutputFormat>) {
                return config.*member != Value{};  // the first choice is the default
            } else if constexpr (std::is_same_v<Value, int> || std::is_same_v<Value, double>) {
                return config.*member > 0;
            } else {
                return !(config.*member).empty();
            }
        },
        option.member);
}

const RunOption& option_of(std::string_view key) {
    const RunOption* option = find_run_option(key);
    if (!option) throw std::logic_error("no run option '" + std::string(key) + "'");
    return *option;
}

/// The rules of the walks options (config.walks).
template <typename Namer>
void check_walks_config(const RunConfig& config, const Namer& name) {
    for (const char* key : {"streets", "destinations"}) {
        const RunOption& option = option_of(key);
        if (!is_set(option, config))
            throw UsageError(key, "required; give " + how_to_give(option));
    }
    if (config.agents > 0 && config.agents_per_person > 0)
        throw UsageError("agents", "cannot be combined with " + name("agents_per_person") + "; give one of them");
    if (!(config.max_walk_m > 0)) throw UsageError("max_walk_m", "expected a length above 0 m, got 0");
    if (!config.destination_kind.empty()) {
        const auto equals = config.destination_kind.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == config.destination_kind.size())
            throw UsageError("destination_kind",
                             "expected FIELD=V1,V2,... (e.g. kind=school), got \"" + config.destination_kind + "\"");
    }
}

/// The rules of the plan options (config.plan).
template <typename Namer>
void check_plan_config(const RunConfig& config, const Namer& name) {
    for (const char* key : {"landcover", "plantable_classes"}) {
        const RunOption& option = option_of(key);
        if (!is_set(option, config))
            throw UsageError(key, "required; give " + how_to_give(option));
    }
    if (config.trees > 0 && config.budget > 0)
        throw UsageError("trees", "cannot be combined with " + name("budget") + "; give one of them");
    if (config.trees == 0 && !(config.budget > 0))
        throw UsageError("trees", "required; give " + key_text("trees", "N") + ", or " + key_text("budget", "AMOUNT") +
                                      " with " + key_text("cost_per_tree", "AMOUNT"));
    if (config.budget > 0 && !(config.cost_per_tree > 0))
        throw UsageError("cost_per_tree", "expected an amount above 0 with " + name("budget"));
    if (!(config.spacing > 0)) throw UsageError("spacing", "expected a distance above 0 m");
    if (!(config.crown_m2 > 0)) throw UsageError("crown_m2", "expected an area above 0 m²");
    if (!(config.tree_height > 0)) throw UsageError("tree_height", "expected a height above 0 m");
    if (!(config.survival > 0) || config.survival > 1)
        throw UsageError("survival", fmt::format("expected a share of trees alive after a year, above 0 and at most 1, "
                                                 "got {}",
                                                 config.survival));
}

}  // namespace

std::vector<std::string> RunOption::keys() const {
    std::vector<std::string> all{key};
    all.insert(all.end(), aliases.begin(), aliases.end());
    return all;
}

std::vector<std::string> RunOption::flags() const {
    std::vector<std::string> all{flag};
    for (const std::string& alias : aliases) all.push_back("--" + dashed(alias));
    return all;
}

bool RunOption::resolves_path() const {
    return type == OptionType::InputPath || type == OptionType::OutputPath || type == OptionType::Model;
}

bool takes_option(const std::string& command, const RunOption& option) {
    return option.command.empty() || option.command == command;
}

const std::vector<RunOption>& run_options() {
    static const std::vector<RunOption> options = make_run_options();
    return options;
}

const RunOption* find_run_option(std::string_view key) {
    for (const RunOption& option : run_options())
        for (const std::string& name : option.keys())
            if (name == key) return &option;
    return nullptr;
}

bool names_model_file(const std::string& model) {
    return model.find('/') != std::string::npos || std::filesystem::path(model).extension() == ".toml";
}

std::string problem_with_value(const RunOption& option, const std::string& value) {
    if (option.type == OptionType::CanopyKind) {
        try {
            (void)CanopyKind::parse(value);
        } catch (const Error& error) {
            return error.hint().empty() ? error.message() : error.message() + "; " + error.hint();
        }
    } else if (option.type == OptionType::Choice) {
        if (std::find(option.choices.begin(), option.choices.end(), value) != option.choices.end()) return {};
        std::string expected;
        for (std::size_t i = 0; i < option.choices.size(); ++i)
            expected += (i == 0 ? "" : i + 1 == option.choices.size() ? " or " : ", ") + option.choices[i];
        return "expected " + expected + ", got " + in_quotes(value);
    }
    return {};
}

void set_option_text(const RunOption& option, const std::string& text, RunConfig& config) {
    const std::string problem = problem_with_value(option, text);
    if (!problem.empty()) throw UsageError(option.key, problem);
    std::visit(
        [&](auto member) {
            using Value = std::decay_t<decltype(config.*member)>;
            if constexpr (std::is_same_v<Value, CanopyKind>) config.*member = CanopyKind::parse(text);
            else if constexpr (std::is_same_v<Value, ShadeMaskKind>) config.*member = parse_shade_mask(text);
            else if constexpr (std::is_same_v<Value, OutputFormat>) config.*member = parse_output_format(text);
            else if constexpr (std::is_same_v<Value, std::string>) config.*member = text;
            else throw std::logic_error("option '" + option.key + "' takes no text");
        },
        option.member);
}

std::string option_text(const RunOption& option, const RunConfig& config) {
    return std::visit(
        [&](auto member) -> std::string {
            using Value = std::decay_t<decltype(config.*member)>;
            if constexpr (std::is_same_v<Value, CanopyKind>) return (config.*member).to_string();
            else if constexpr (std::is_same_v<Value, ShadeMaskKind> || std::is_same_v<Value, OutputFormat>)
                return to_string(config.*member);
            else if constexpr (std::is_same_v<Value, std::string>) return config.*member;
            else throw std::logic_error("option '" + option.key + "' has no text");
        },
        option.member);
}

std::string how_to_give(const RunOption& option) {
    return key_text(option.key, option.placeholder);
}

namespace {

/// A row of shade_keys() or sun_keys(): the flag is the key with '_' as '-' after "--".
CommandKey command_key(const char* key, bool takes_value = true) {
    return {key, "--" + dashed(key), takes_value};
}

const CommandKey* find_command_key(std::string_view key) {
    for (const auto* table : {&shade_keys(), &sun_keys()})
        for (const CommandKey& row : *table)
            if (row.key == key) return &row;
    return nullptr;
}

}  // namespace

const std::vector<CommandKey>& shade_keys() {
    static const std::vector<CommandKey> keys{
        command_key("surface"),       command_key("buildings"), command_key("canopy_height"),
        command_key("transmissivity"), command_key("date"),     command_key("time"),
        command_key("step"),          command_key("tz"),        command_key("force_tz", false),
        command_key("sun_tolerance"), command_key("out"),       command_key("masks"),
        command_key("overwrite", false), command_key("threads"),
    };
    return keys;
}

const std::vector<CommandKey>& sun_keys() {
    static const std::vector<CommandKey> keys{
        command_key("lat"), command_key("lon"), command_key("raster"), command_key("at"), command_key("date"),
        command_key("time"), command_key("step"), command_key("tz"), command_key("force_tz", false),
    };
    return keys;
}

std::string flag_of_key(std::string_view key) {
    if (const RunOption* option = find_run_option(key)) return option->flag;
    if (const CommandKey* row = find_command_key(key)) return row->flag;
    return {};
}

std::string keys_as_flags(std::string_view text) {
    std::string out;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find('`', at);
        const std::size_t close = open == std::string_view::npos ? open : text.find('`', open + 1);
        if (close == std::string_view::npos) break;
        out.append(text.substr(at, open - at));
        const std::string_view inside = text.substr(open + 1, close - open - 1);
        const std::size_t equals = inside.find(" = ");
        const std::string_view name = inside.substr(0, equals);
        const std::string_view value = equals == std::string_view::npos ? std::string_view() : inside.substr(equals + 3);
        const std::size_t dot = name.find('.');
        const RunOption* option = find_run_option(name.substr(0, dot));
        const CommandKey* row = option || dot != std::string_view::npos ? nullptr : find_command_key(name);
        if (row) {
            out += row->flag;
            if (!value.empty() && !(!row->takes_value && value == "true")) out += " " + std::string(value);
            at = close + 1;
            continue;
        }
        if (!option) {
            // Not a key (a backquote in a file name or a value): keep it, and look on after it.
            out += '`';
            at = open + 1;
            continue;
        }
        if (dot != std::string_view::npos) {
            out += option->flag + " " + std::string(name.substr(dot + 1));
            if (!value.empty()) out += "=" + std::string(value);
        } else {
            out += option->flag;
            if (!value.empty() && !(option->type == OptionType::Flag && value == "true")) out += " " + std::string(value);
        }
        at = close + 1;
    }
    out.append(text.substr(std::min(at, text.size())));
    return out;
}

void check_config(const RunConfig& config, const KeyNamer& name_key, bool needs_out) {
    const auto name = [&name_key](const std::string& key) { return name_key ? name_key(key) : key; };
    const auto& options = run_options();

    for (const RunOption& option : options) {
        if (!option.required || is_set(option, config)) continue;
        if (!needs_out && option.key == "out") continue;
        throw UsageError(option.key, "required; give " + how_to_give(option));
    }

    if (!config.neighbourhoods.empty() && !config.group_by.empty())
        throw UsageError("group_by", "cannot be combined with " + name("neighbourhoods") +
                                         "; rank either neighbourhoods or groups of census units");

    // A program sets the typed values: one that has no text form (classes=, min=nan) is wrong.
    for (const RunOption& option : options) {
        if (option.type != OptionType::CanopyKind && option.type != OptionType::Choice) continue;
        const std::string problem = problem_with_value(option, option_text(option, config));
        if (!problem.empty()) throw UsageError(option.key, problem);
    }
    if (config.model.empty())
        throw UsageError("model", "expected a built-in model name or the path of a model file, got \"\"");
    if (!config.join_key.empty()) {
        const JoinKeys keys = join_keys(config);
        if (keys.units.empty() || keys.csv.empty() || keys.csv.find('=') != std::string::npos)
            throw UsageError("join_key", "expected FIELD or UNITS_FIELD=CSV_FIELD, got " + in_quotes(config.join_key));
    }
    for (const RunOption& option : options) {
        if (option.type != OptionType::Count) continue;
        const int count = config.*std::get<int RunConfig::*>(option.member);
        if (count < 0) throw UsageError(option.key, fmt::format("expected an integer ≥ 0, got {}", count));
    }
    for (const auto& [role, column] : config.fields) {
        if (role.empty()) throw UsageError("fields", "a role is empty (expected ROLE = \"COLUMN\")");
        if (column.empty()) throw UsageError("fields." + role, "expected a column name, got \"\"");
    }
    for (const auto& group : config.equity_groups) {
        if (group.first.empty()) throw UsageError("equity_group", "a group name is empty (expected NAME = \"FIELD\")");
        if (group.first == "everyone")
            throw UsageError("equity_group.everyone", "'everyone' is the name of all residents; choose another name");
        if (group.second.empty()) throw UsageError("equity_group." + group.first, "expected a column name, got \"\"");
    }
    if (!config.reference.empty() && config.reference != "everyone" && !config.equity_groups.count(config.reference)) {
        std::string names = "everyone";
        for (const auto& group : config.equity_groups) names += ", " + group.first;
        throw UsageError("reference", "no group '" + config.reference + "' (groups: " + names + ")");
    }
    for (const auto& [role, factor] : config.scales) {
        if (role.empty()) throw UsageError("scale", "a role is empty (expected ROLE = FACTOR)");
        if (!std::isfinite(factor) || factor <= 0)
            throw UsageError("scale." + role,
                             fmt::format("expected a number above 0 (0.01 for a column in percent), got {}", factor));
    }

    for (const RunOption& option : options) {
        if (!is_set(option, config)) continue;
        for (const std::string& needed : option.needs) {
            const RunOption& partner = option_of(needed);
            if (!is_set(partner, config)) throw UsageError(option.key, "needs " + how_to_give(partner));
        }
    }

    for (const RunOption& option : options) {
        if (option.type != OptionType::Real) continue;
        const double value = config.*std::get<double RunConfig::*>(option.member);
        if (!std::isfinite(value) || value < 0)
            throw UsageError(option.key, fmt::format("expected a number ≥ 0, got {}", value));
    }
    if (!config.shard.empty()) {
        const std::string problem = problem_with_shard(config.shard);
        if (!problem.empty()) throw UsageError("shard", problem);
        if (config.walks || config.plan)
            throw UsageError("shard", std::string("cannot be combined with shadegap ") + (config.walks ? "walks" : "plan") +
                                          ", which reads the pixels of every unit; shard shadegap run only");
    }
    if (config.walks) check_walks_config(config, name);
    if (config.plan) check_plan_config(config, name);

    if (!config.residential_classes.empty() && config.neighbourhoods.empty() && !config.walks)
        throw UsageError("residential_classes", "needs " + how_to_give(option_of("neighbourhoods")));
    if (config.shade_mask != ShadeMaskKind::Land && config.shade.empty())
        throw UsageError("shade_mask", "needs " + how_to_give(option_of("shade")));
    if (config.shade_mask == ShadeMaskKind::Walkable && config.walkable_classes.empty())
        throw UsageError("shade_mask", "walkable needs " + how_to_give(option_of("walkable_classes")) +
                                           " (the land-cover values of roads, sidewalks and open ground)");
}

}  // namespace shadegap
