// Option groups shared by `run` and `check`, and the merge of flags over a project file.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include "terminal.hpp"

#include "shadegap/raster.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <regex>
#include <type_traits>

namespace shadegap::cli {
namespace {

const char* const group_inputs = "Inputs";
const char* const group_ranking = "Ranking units";
const char* const group_model = "Model";
const char* const group_output = "Output";
const char* const group_report = "Reporting";

std::string in_quotes(const std::string& text) {
    return "\"" + text + "\"";
}

/// Counts of threads and cells: plain decimal integers, 0 allowed.
const CLI::Validator non_negative_integer(
    [](std::string& text) -> std::string {
        long long value = 0;
        const char* end = text.data() + text.size();
        const auto [last, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || last != end || value < 0 || value > 1'000'000'000)
            return "expected an integer ≥ 0, got " + in_quotes(text);
        return {};
    },
    "");

/// Raster values: decimal numbers.
const CLI::Validator number(
    [](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [last, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || last != end) return "expected a number, got " + in_quotes(text);
        return {};
    },
    "");

/// The canopy kinds that CanopyKind::parse accepts, with its message for anything else.
const CLI::Validator canopy_kind(
    [](std::string& text) -> std::string {
        try {
            (void)CanopyKind::parse(text);
        } catch (const Error& error) {
            return error.hint().empty() ? error.message() : error.message() + "; " + error.hint();
        }
        return {};
    },
    "");

/// The shade masks of `run`.
const CLI::Validator shade_mask(
    [](std::string& text) -> std::string {
        if (text == "land" || text == "walkable") return {};
        return "expected land or walkable, got " + in_quotes(text);
    },
    "");

/// "--canopy-kind" → "canopy_kind", the project-file key of a flag ("--a,--b": of --a).
std::string key_of(const std::string& flags) {
    const std::string flag = flags.substr(0, flags.find(','));
    std::string key = flag.substr(flag.find_first_not_of('-'));
    std::replace(key.begin(), key.end(), '-', '_');
    return key;
}

/// GDAL virtual file systems and connection strings ("PG:dbname=x") are not plain files.
bool is_plain_path(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) return false;
    static const std::regex prefix(R"(^[A-Za-z][A-Za-z0-9_]+:)");
    return !std::regex_search(path, prefix);
}

bool looks_like_model_file(const std::string& model) {
    return model.find('/') != std::string::npos ||
           std::filesystem::path(model).extension() == ".toml";
}

class HelpFormatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* option) const override {
        if (option->get_type_size() == 0 || option->get_type_name().empty()) return {};
        return " " + option->get_type_name();
    }
};

}  // namespace

std::shared_ptr<CLI::Formatter> make_help_formatter() {
    auto formatter = std::make_shared<HelpFormatter>();
    formatter->column_width(30);
    return formatter;
}

void add_report_options(CLI::App& app, ReportOptions& report) {
    CLI::Option* quiet = app.add_flag(
        "-q,--quiet", report.quiet,
        "Print nothing but errors: no progress bar, warnings or summary. (run still records "
        "warnings in run.json.)");
    CLI::Option* progress = app.add_flag(
        "--progress", report.progress,
        "Draw the progress bar on stderr even when stderr is not a terminal. Default: the bar "
        "is drawn only when stderr is a terminal.");
    CLI::Option* verbose =
        app.add_flag("-v,--verbose", report.verbose, "Also print the time each stage took, in seconds.");
    quiet->excludes(progress)->excludes(verbose)->group(group_report);
    progress->group(group_report);
    verbose->group(group_report);
}

bool shows_progress(const ReportOptions& report) {
    return !report.quiet && (report.progress || stderr_is_terminal());
}

template <typename T>
CLI::Option* RunOptions::bind(CLI::App& app, const std::string& flag, T RunConfig::*member,
                              const std::string& help) {
    CLI::Option* option = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
        option = app.add_flag(flag, m_flags.*member, help);
    } else {
        option = app.add_option(flag, m_flags.*member, help);
    }
    m_bindings.push_back({flag.substr(0, flag.find(',')), key_of(flag), option,
                          [this, member](RunConfig& config) { config.*member = m_flags.*member; }});
    return option;
}

void RunOptions::add_to(CLI::App& app) {
    m_command = app.get_name();
    app.add_option("PROJECT.toml", m_project,
                   "Project file (TOML) holding any of the options below, each key the option's "
                   "name with dashes turned into underscores (canopy_kind = \"classes=1\"); relative "
                   "paths in it resolve against its folder. A flag given here overrides the file's value.")
        ->type_name("");

    bind(app, "--canopy", &RunConfig::canopy,
         "Canopy raster: any GDAL raster or VRT, such as a GeoTIFF of land cover or canopy. "
         "Required, as the flag or in the project file.")
        ->type_name("PATH")->group(group_inputs);
    bind(app, "--canopy-kind", &RunConfig::canopy_kind,
         "How a raster value becomes canopy: binary (1 = canopy, 0 = not), percent (0–100), "
         "fraction (0–1), classes=C1,C2,... (the land-cover classes that are canopy) or min=X "
         "(canopy where the value is at least X, e.g. a canopy height in metres). Default: binary.")
        ->type_name("KIND")->check(canopy_kind)->group(group_inputs);
    bind(app, "--water-classes", &RunConfig::water_classes,
         "Comma-separated raster values that are water (e.g. 4 or 4,11): their cells count as "
         "neither land nor canopy, so canopy is measured against land area. Default: none.")
        ->type_name("V1,V2,...")->delimiter(',')->allow_extra_args(false)->check(number)
        ->group(group_inputs);
    bind(app, "--shade", &RunConfig::shade,
         "Shade-fraction raster (0–1, e.g. from shadegap shade) on the canopy raster's grid: same "
         "CRS, origin, cell size and size (it is not resampled). Adds shade_pct, the mean shade "
         "over the cells of --shade-mask, to the outputs. Default: none.")
        ->type_name("PATH")->group(group_inputs);
    bind(app, "--shade-mask", &RunConfig::shade_mask,
         "The canopy raster's cells that shade_pct averages over: land (valid land cells that are "
         "not water and not --building-classes) or walkable (the cells of --walkable-classes). "
         "Default: land.")
        ->type_name("MASK")->check(shade_mask)->group(group_inputs);
    bind(app, "--building-classes", &RunConfig::building_classes,
         "Comma-separated raster values that are buildings (e.g. 5): left out of the land shade "
         "mask. Default: none.")
        ->type_name("V1,V2,...")->delimiter(',')->allow_extra_args(false)->check(number)
        ->group(group_inputs);
    bind(app, "--walkable-classes", &RunConfig::walkable_classes,
         "Comma-separated raster values people walk on: roads, sidewalks, open ground (e.g. "
         "2,3,6). They form the walkable shade mask. Required with --shade-mask walkable.")
        ->type_name("V1,V2,...")->delimiter(',')->allow_extra_args(false)->check(number)
        ->group(group_inputs);
    bind(app, "--units", &RunConfig::units,
         "Census units with demographics: any OGR vector (GeoPackage, Shapefile, GeoJSON, ...). "
         "Required.")
        ->type_name("PATH")->group(group_inputs);
    bind(app, "--units-layer", &RunConfig::units_layer,
         "Layer of --units to read when the source holds several. Default: its only layer.")
        ->type_name("NAME")->group(group_inputs);
    bind(app, "--unit-id", &RunConfig::unit_id,
         "Field of --units that identifies each census unit uniquely (e.g. GEOID). Required.")
        ->type_name("FIELD")->group(group_inputs);
    bind(app, "--join", &RunConfig::join,
         "CSV file with extra attributes for the census units, joined by --join-key. Default: none.")
        ->type_name("CSV")->group(group_inputs);
    bind(app, "--join-key", &RunConfig::join_key,
         "Field that holds the key in both the --join CSV and the census units (e.g. GEOID), or "
         "UNITS_FIELD=CSV_FIELD when they name it differently. Keys are compared as text: "
         "060750101002 and 60750101002 differ. Required with --join.")
        ->type_name("FIELD")->group(group_inputs);
    bind(app, "--allow-unmatched", &RunConfig::allow_unmatched,
         "Run although some census units have no row in the --join CSV: their joined values are "
         "null (a null population counts as 0), with a warning. Default: an incomplete join is "
         "an error that shows a key from each side.")
        ->group(group_inputs);

    CLI::Option* neighbourhoods = bind(app, "--neighbourhoods,--neighborhoods", &RunConfig::neighbourhoods,
         "Ranking units: neighbourhood polygons (any OGR vector); census counts are split among "
         "them by area. Default: the census units themselves are ranked.")
        ->type_name("PATH")->group(group_ranking);
    bind(app, "--neighbourhoods-layer,--neighborhoods-layer", &RunConfig::neighbourhoods_layer,
         "Layer of --neighbourhoods to read when the source holds several. Default: its only layer.")
        ->type_name("NAME")->group(group_ranking);
    bind(app, "--neighbourhood-id,--neighborhood-id", &RunConfig::neighbourhood_id,
         "Field of --neighbourhoods that identifies each neighbourhood uniquely; it becomes the "
         "output's id. Required with --neighbourhoods.")
        ->type_name("FIELD")->group(group_ranking);
    bind(app, "--neighbourhood-name,--neighborhood-name", &RunConfig::neighbourhood_name,
         "Field of --neighbourhoods with each neighbourhood's name, for the output's name. "
         "Default: the neighbourhood's id.")
        ->type_name("FIELD")->group(group_ranking);
    CLI::Option* group_by = bind(app, "--group-by", &RunConfig::group_by,
         "Rank groups of census units that share this field's value (e.g. a ward or tract column) "
         "instead of single units; units with a null value join no group. Cannot be combined "
         "with --neighbourhoods.")
        ->type_name("FIELD")->group(group_ranking);
    neighbourhoods->excludes(group_by);

    bind(app, "--model", &RunConfig::model,
         "The model: a built-in name (tree-equity, canopy-gap or shade-equity; see shadegap models) or the path "
         "of a model TOML file. Default: tree-equity.")
        ->type_name("NAME|PATH")->group(group_model);
    m_field_option = app.add_option("--field", m_field_args,
         "Maps a model variable to a column of the data, e.g. population=POP; repeatable. A role "
         "given here replaces the project file's [fields] entry for that role only. Default: the "
         "column names the model states.")
        ->type_name("ROLE=FIELD")->allow_extra_args(false)->group(group_model);
    app.add_option("--scale", m_scale_args,
         "Multiplies a model variable's column by FACTOR before it is checked and used, e.g. "
         "poverty=0.01 for a column in percent; repeatable. Replaces the model file's scale of "
         "that variable. Default: the model's scale (1 for the built-in models).")
        ->type_name("ROLE=FACTOR")->allow_extra_args(false)->group(group_model);
    bind(app, "--allow-missing-variables", &RunConfig::allow_missing_variables,
         "Run although some of the model's variables have no column: they are dropped and the "
         "other weights renormalised, with a warning, and run.json lists them. Default: a "
         "missing variable is an error that lists the columns that look close.")
        ->group(group_model);

    bind(app, "--out", &RunConfig::out,
         "Output folder for priority.geojson, priority.csv, units.csv and run.json; created when "
         "missing. Required.")
        ->type_name("DIR")->group(group_output);
    bind(app, "--overwrite", &RunConfig::overwrite,
         "Replace outputs that already exist in --out. Default: stop with an error instead.")
        ->group(group_output);
    bind(app, "--threads", &RunConfig::threads,
         "Number of threads for the overlay and the GeoJSON output; 0 uses all cores. Results "
         "are identical for any count. Default: 0.")
        ->type_name("N")->check(non_negative_integer)->group(group_output);
    bind(app, "--block-size", &RunConfig::block_size,
         "Advanced: edge, in cells, of the square block the overlay reads at a time; 0 uses the "
         "raster's own blocks. Memory per thread grows with its square. Default: 0.")
        ->type_name("N")->check(non_negative_integer)->group(group_output);
}

bool RunOptions::given(const std::string& key) const {
    for (const Binding& binding : m_bindings)
        if (binding.key == key) return binding.option->count() > 0;
    return false;
}

std::string RunOptions::origin(const std::string& key) const {
    if (given(key) || m_project.empty()) {
        std::string flag = key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        return "--" + flag;
    }
    return key + " in " + m_project;
}

RunConfig RunOptions::build() const {
    RunConfig config = m_project.empty() ? RunConfig{} : read_project_file(m_project);
    for (const Binding& binding : m_bindings)
        if (binding.option->count() > 0) binding.copy_flag(config);

    for (const std::string& arg : m_field_args) {
        const auto equals = arg.find('=');
        if (equals == std::string::npos || equals == 0 || equals + 1 == arg.size()) {
            UsageError error("--field", "expected ROLE=FIELD (e.g. population=POP), got " + in_quotes(arg));
            error.with_hint("see shadegap models NAME for a model's roles");
            throw error;
        }
        config.fields[arg.substr(0, equals)] = arg.substr(equals + 1);
    }
    for (const std::string& arg : m_scale_args) {
        const auto equals = arg.find('=');
        double factor = 0;
        bool ok = equals != std::string::npos && equals > 0;
        if (ok) {
            const char* begin = arg.data() + equals + 1;
            const char* end = arg.data() + arg.size();
            const auto [last, error] = std::from_chars(begin, end, factor);
            ok = error == std::errc() && last == end && std::isfinite(factor) && factor > 0;
        }
        if (!ok) {
            UsageError error("--scale", "expected ROLE=FACTOR with a factor above 0 (e.g. poverty=0.01), got " +
                                            in_quotes(arg));
            error.with_hint("see shadegap models NAME for a model's roles");
            throw error;
        }
        config.scales[arg.substr(0, equals)] = factor;
    }

    const auto require = [&](const std::string& value, const std::string& key, const std::string& what) {
        if (!value.empty()) return;
        std::string flag = key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        UsageError error("--" + flag, fmt::format("required; give --{} {} (or {} = \"{}\" in the project file)",
                                                  flag, what, key, what));
        error.with_hint("see shadegap " + m_command + " --help");
        throw error;
    };
    require(config.canopy, "canopy", "PATH");
    require(config.units, "units", "PATH");
    require(config.unit_id, "unit_id", "FIELD");
    require(config.out, "out", "DIR");

    if (!config.neighbourhoods.empty() && !config.group_by.empty())
        throw UsageError(origin("group_by"), "cannot be combined with " + origin("neighbourhoods") +
                                                 "; rank either neighbourhoods or groups of census units");
    if (!config.join.empty() && config.join_key.empty())
        throw UsageError(origin("join"), "needs --join-key FIELD (or join_key in the project file)");
    if (!config.join_key.empty()) {
        const JoinKeys keys = join_keys(config);
        if (keys.units.empty() || keys.csv.empty() || keys.csv.find('=') != std::string::npos)
            throw UsageError(origin("join_key"), "expected FIELD or UNITS_FIELD=CSV_FIELD, got " +
                                                     in_quotes(config.join_key));
    }
    if (config.join.empty() && !config.join_key.empty())
        throw UsageError(origin("join_key"), "needs --join CSV (or join in the project file)");
    if (!config.neighbourhoods.empty() && config.neighbourhood_id.empty())
        throw UsageError(origin("neighbourhoods"),
                         "needs --neighbourhood-id FIELD (or neighbourhood_id in the project file)");
    if (config.neighbourhoods.empty()) {
        const std::pair<const char*, std::string RunConfig::*> needing_neighbourhoods[] = {
            {"neighbourhoods_layer", &RunConfig::neighbourhoods_layer},
            {"neighbourhood_id", &RunConfig::neighbourhood_id},
            {"neighbourhood_name", &RunConfig::neighbourhood_name}};
        for (const auto& [key, member] : needing_neighbourhoods)
            if (!(config.*member).empty())
                throw UsageError(origin(key), "needs --neighbourhoods PATH (or neighbourhoods in the project file)");
    }
    return config;
}

void RunOptions::check_inputs_exist(const RunConfig& config) const {
    const auto check = [&](const std::string& path, const std::string& key) {
        if (path.empty() || !is_plain_path(path)) return;
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored))
            throw InputError(path, "no such file (" + origin(key) + ")");
    };
    check(config.canopy, "canopy");
    check(config.shade, "shade");
    check(config.units, "units");
    check(config.join, "join");
    check(config.neighbourhoods, "neighbourhoods");
    if (looks_like_model_file(config.model)) check(config.model, "model");
}

RunConfig parse_run_arguments(const std::vector<std::string>& args) {
    CLI::App app{"", "run"};
    RunOptions options;
    ReportOptions report;
    options.add_to(app);
    add_report_options(app, report);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& error) {
        throw usage_error_from(error, "run");
    }
    return options.build();
}

UsageError usage_error_from(const CLI::ParseError& error, const std::string& command) {
    const std::string text = error.what();
    std::string subject;
    std::string message;
    std::smatch match;
    static const std::regex option_first(R"(^(-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*): (.*)$)");
    static const std::regex extra(R"(^The following arguments? (?:was|were) not expected: (.*)$)");
    static const std::regex pair(R"(^(\S+) (excludes|requires) (\S+)$)");
    static const std::regex required(R"(^(\S+) is required$)");
    static const std::regex missing_value(R"(^(\S+): \d+ required (\S+) missing$)");
    static const std::regex conversion(R"(^Could not convert: (\S+) = (.*)$)");
    static const std::regex repeated(R"(^(\S+): [Aa]t [Mm]ost 1 required but received (\d+)$)");
    if (std::regex_match(text, match, repeated)) {
        subject = match[1];
        message = "given " + (match[2] == "2" ? std::string("twice") : match[2].str() + " times") +
                  "; give it once (a flag overrides the project file's value by itself)";
    } else if (std::regex_match(text, match, missing_value)) {
        subject = match[1];
        message = "needs a value (" + match[2].str() + ")";
    } else if (std::regex_match(text, match, option_first)) {
        subject = match[1];
        message = match[2];
    } else if (std::regex_match(text, match, extra)) {
        subject = match[1];
        message = subject.rfind('-', 0) == 0 ? "unknown option" : "unexpected argument";
    } else if (std::regex_match(text, match, pair)) {
        subject = match[1];
        message = (match[2] == "excludes" ? "cannot be combined with " : "needs ") + match[3].str();
    } else if (std::regex_match(text, match, required)) {
        subject = match[1];
        message = "is required";
    } else if (std::regex_match(text, match, conversion)) {
        subject = match[1];
        message = "cannot read the value " + in_quotes(match[2]);
    } else {
        message = text;
    }
    if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    UsageError usage(subject, message);
    usage.with_hint(command.empty() ? "see shadegap --help" : "see shadegap " + command + " --help");
    return usage;
}

}  // namespace shadegap::cli
