// The whole run: load → align → overlay → allocate → model → rank → write.
// SPDX-License-Identifier: MIT
#include "shadegap/pipeline.hpp"

#include "ogr_util.hpp"
#include "shadegap/allocate.hpp"
#include "shadegap/model.hpp"
#include "shadegap/output.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/rank.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/sample.hpp"
#include "shadegap/zones.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace shadegap {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> output_names = {"priority.geojson", "priority.csv", "priority.csvt", "units.csv",
                                               "units.csvt", "run.json"};

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
    RasterInfo raster;
    std::optional<RasterInfo> shade;  ///< the shade raster, on the canopy raster's grid
    CanopyKind kind;
    Model model;
    ZoneLayer units;
    std::optional<ZoneLayer> neighbourhoods;
    std::optional<JoinTable> join;
    JoinKeys join_keys;
    std::vector<const JoinRow*> join_rows;  ///< per census unit; nullptr: no row in the CSV
    std::vector<FieldSource> fields;  ///< population first, then model roles, then scope
    std::vector<std::string> dropped_variables;
    /// Numbers of each role but the scope, per census unit (nullopt: empty, or an ACS
    /// annotation code).
    std::map<std::string, std::vector<std::optional<double>>> values;
    std::vector<std::string> scope;  ///< per census unit; empty: one scope
};
/// The align stage's output: every polygon in the raster's CRS.
struct AlignedInputs {
    AlignedZones units;
    std::optional<AlignedZones> neighbourhoods;
    Pieces pieces;
};

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

void require(const std::string& value, const std::string& option) {
    if (value.empty())
        throw UsageError(option, "is required (give the flag or set it in the project file)");
}

void check_output_folder(const RunConfig& config) {
    const fs::path out(config.out);
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec))
        throw OutputError(config.out, "exists and is not a folder");
    // A folder to be created below a file fails only when the outputs are written: say so now.
    for (fs::path above = out.parent_path(); !above.empty(); above = above.parent_path()) {
        if (!fs::exists(above, ec)) continue;
        if (!fs::is_directory(above, ec))
            throw OutputError(config.out, "cannot create the output folder (" + above.string() + " is not a folder)");
        break;
    }
    if (config.overwrite) return;
    for (const auto& name : output_names) {
        if (fs::exists(out / name, ec))
            throw OutputError(config.out, "already holds " + name + "; shadegap does not overwrite outputs")
                .with_hint("use --overwrite, or choose another --out");
    }
}

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    return text;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

/// Letters and digits only, lower case: "PCT_POV" → "pctpov".
std::string folded(const std::string& text) {
    std::string out;
    for (const unsigned char c : text)
        if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
    return out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// Columns that look like `wanted`: equal but for case and punctuation, one containing the
/// other, or a few letters apart (docs/cli/shadegap-run.md); at most three, closest first.
std::vector<std::string> close_columns(const std::string& wanted, const std::vector<std::string>& columns) {
    const std::string w = folded(wanted);
    std::vector<std::pair<std::size_t, std::string>> scored;
    for (const auto& column : columns) {
        const std::string c = folded(column);
        if (c.empty() || w.empty()) continue;
        const std::size_t distance = edit_distance(w, c);
        const bool contains = std::min(w.size(), c.size()) >= 3 &&
                              (c.find(w) != std::string::npos || w.find(c) != std::string::npos);
        if (distance <= std::max<std::size_t>(1, w.size() / 4) || contains) scored.emplace_back(distance, column);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
    return out;
}

std::string quoted_list(const std::vector<std::string>& names, const std::string& separator = ", ") {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : separator) + "'" + name + "'";
    return text;
}

/// Resolves every role the model reads to a column of the units layer or the join CSV. An
/// exact name wins; else the one column equal to it ignoring case. A variable of the model
/// without a column is an error unless config.allow_missing_variables (then it is listed
/// in `dropped` and apply_model warns and renormalises the weights).
std::vector<FieldSource> resolve_fields(const RunConfig& config, const Model& model,
                                        const std::vector<std::string>& unit_fields,
                                        const std::optional<JoinTable>& join, std::vector<std::string>& dropped) {
    std::vector<std::pair<std::string, std::string>> roles = {{"population", model.population_column}};
    for (const auto& role : model.fields()) roles.push_back(role);
    const std::string scope_default = model.scope_column;
    if (!scope_default.empty() || config.fields.count("scope")) roles.emplace_back("scope", scope_default);

    std::set<std::string> known;
    for (const auto& [role, column] : roles) known.insert(role);
    const auto unknown_role = [&](const std::string& option, const std::string& role) {
        std::string names;
        for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
        return UsageError(option, "model '" + model.name + "' has no variable '" + role + "' (variables: " + names + ")");
    };
    for (const auto& [role, column] : config.fields)
        if (!known.count(role)) throw unknown_role("--field " + role + "=" + column, role);

    std::vector<std::string> all_fields = unit_fields;
    if (join) all_fields.insert(all_fields.end(), join->fields.begin(), join->fields.end());
    const auto list_fields = [&] {
        std::string text;
        for (const auto& f : all_fields) text += (text.empty() ? "" : ", ") + f;
        return text;
    };

    /// The source of `column`: exact in the units, exact in the CSV, else unique ignoring case.
    const auto find = [&](const std::string& role, const std::string& column) -> std::optional<FieldSource> {
        const auto has = [](const std::vector<std::string>& list, const std::string& name) {
            return std::find(list.begin(), list.end(), name) != list.end();
        };
        if (has(unit_fields, column)) return FieldSource{role, column, config.units, false};
        if (join && has(join->fields, column)) return FieldSource{role, column, join->path, true};
        std::vector<FieldSource> matches;
        for (const auto& f : unit_fields)
            if (lowercase(f) == lowercase(column)) matches.push_back({role, f, config.units, false});
        if (join)
            for (const auto& f : join->fields)
                if (lowercase(f) == lowercase(column)) matches.push_back({role, f, join->path, true});
        if (matches.size() == 1) return matches.front();
        if (matches.size() > 1) {
            std::vector<std::string> names;
            for (const auto& m : matches) names.push_back(m.column);
            throw InputError(matches.front().file, "column '" + column + "' for '" + role + "' matches " +
                                                       quoted_list(names, " and ") + " ignoring case")
                .with_hint("choose one with --field " + role + "=COLUMN");
        }
        return std::nullopt;
    };

    std::vector<FieldSource> out;
    std::vector<std::string> missing;
    for (const auto& [role, default_column] : roles) {
        const auto given = config.fields.find(role);
        const bool explicit_field = given != config.fields.end();
        const std::string column = explicit_field ? given->second : default_column;
        if (auto source = find(role, column)) {
            out.push_back(std::move(*source));
        } else if (explicit_field || role == "population" || role == "scope" || role == "goal") {
            throw InputError(config.units, "field '" + column + "' for '" + role + "' not found (fields: " +
                                               list_fields() + ")")
                .with_hint("map it with --field " + role + "=COLUMN");
        } else {
            std::string item = role + " (column '" + column + "'";
            const auto close = close_columns(column, all_fields);
            if (!close.empty()) item += "; close: " + quoted_list(close);
            missing.push_back(item + ")");
            dropped.push_back(role);
        }
    }
    if (!missing.empty() && !config.allow_missing_variables) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        const std::size_t total = model.variables.size();
        throw InputError(join ? config.units + " and " + join->path : config.units,
                         fmt::format("model '{}' reads {} of its {} variables from no column: {}", model.name,
                                     missing.size(), total, list))
            .with_hint("map each with --field ROLE=COLUMN, or run without them (weights renormalised) with "
                       "--allow-missing-variables");
    }
    return out;
}

/// The model with the run's --scale factors in place of the model file's.
void apply_scales(const RunConfig& config, Model& model) {
    for (const auto& [role, factor] : config.scales) {
        const auto variable = std::find_if(model.variables.begin(), model.variables.end(),
                                           [&](const ModelVariable& v) { return v.name == role; });
        if (variable == model.variables.end()) {
            std::string names;
            for (const auto& v : model.variables) names += (names.empty() ? "" : ", ") + v.name;
            throw UsageError("--scale " + role + "=" + format_number(factor),
                             "model '" + model.name + "' has no variable '" + role + "' (variables: " +
                                 (names.empty() ? std::string("none") : names) + ")");
        }
        variable->scale = factor;
    }
}

/// Finds each census unit's row of the join CSV. Units without a row are an error that
/// shows a key from each side, unless config.allow_unmatched (then one warning).
void match_join(const RunConfig& config, Inputs& inputs, Diagnostics& diagnostics) {
    const JoinTable& join = *inputs.join;
    const auto& keys = inputs.units.texts.at(inputs.join_keys.units);
    const std::size_t n = inputs.units.size();
    inputs.join_rows.assign(n, nullptr);
    std::size_t matched = 0;
    std::optional<std::string> unmatched_key;
    std::set<std::string> unit_keys;
    for (std::size_t i = 0; i < n; ++i) {
        if (keys[i]) unit_keys.insert(*keys[i]);
        const auto row = keys[i] ? join.rows.find(*keys[i]) : join.rows.end();
        if (row != join.rows.end()) {
            inputs.join_rows[i] = &row->second;
            ++matched;
        } else if (!unmatched_key) {
            unmatched_key = keys[i].value_or("");
        }
    }
    if (matched == n) return;

    std::string csv_example;  // a key of the CSV that no unit has
    for (const auto& key : join.keys)
        if (!unit_keys.count(key)) {
            csv_example = key;
            break;
        }
    const auto without_zeros = [](const std::string& key) {
        const auto first = key.find_first_not_of('0');
        return first == std::string::npos ? std::string() : key.substr(first);
    };
    std::set<std::string> csv_stripped;
    for (const auto& key : join.keys) csv_stripped.insert(without_zeros(key));
    bool zeros_lost = false;
    for (std::size_t i = 0; i < n && !zeros_lost; ++i)
        if (!inputs.join_rows[i] && keys[i] && csv_stripped.count(without_zeros(*keys[i]))) zeros_lost = true;

    const JoinKeys& k = inputs.join_keys;
    std::string message = fmt::format("join by {}: {} of {} census units matched a row", config.join_key, matched, n);
    message += "; units look like " + (unmatched_key && !unmatched_key->empty() ? "'" + *unmatched_key + "'"
                                                                                : std::string("(no key)"));
    message += csv_example.empty() ? std::string(", and the CSV has no row for them")
                                   : ", the CSV like '" + csv_example + "'";
    std::vector<std::string> causes;
    if (zeros_lost) causes.push_back("leading zeros lost?");
    const std::string units_type = inputs.units.text_field_types.at(k.units);
    if (units_type != "String")
        causes.push_back(fmt::format("the units store '{}' as {}", k.units, units_type));
    if (join.key_type != "String")
        causes.push_back(fmt::format("a .csvt declares '{}' as {}", k.csv, join.key_type));
    if (!config.allow_unmatched) {
        std::string hint = causes.empty() ? std::string() : [&] {
            std::string text;
            for (const auto& c : causes) text += (text.empty() ? "" : "; ") + c;
            return text + "; keep keys as text; ";
        }();
        hint += "--allow-unmatched runs with the unmatched units' joined values null";
        throw InputError(join.path, message).with_hint(hint);
    }
    diagnostics.warn("join-missing", join.path,
                     fmt::format("{} census unit(s) have no row in the join table (--allow-unmatched): their joined "
                                 "values are null",
                                 n - matched));
}

/// The Census Bureau's annotation codes in ACS estimate and margin columns: no estimate,
/// not a number (codes, not counts). They mean "no value".
bool is_acs_annotation(double value) {
    static const double codes[] = {-666666666, -999999999, -888888888, -555555555, -333333333, -222222222};
    return std::find(std::begin(codes), std::end(codes), value) != std::end(codes);
}

/// The numbers of one role per census unit, from the units layer or the join CSV, with
/// ACS annotation codes taken as missing (one warning per column).
std::vector<std::optional<double>> read_values(const Inputs& inputs, const FieldSource& field,
                                               Diagnostics& diagnostics) {
    std::vector<std::optional<double>> values;
    if (!field.from_join) {
        values = inputs.units.numbers.at(field.column);
    } else {
        values.resize(inputs.units.size());
        for (std::size_t i = 0; i < inputs.units.size(); ++i) {
            const JoinRow* row = inputs.join_rows[i];
            if (!row) continue;
            bool ok = false;
            const std::string& text = row->at(field.column);
            values[i] = parse_number(text, ok);
            if (!ok)
                throw InputError(inputs.join->path, "column '" + field.column + "' of key '" +
                                                        *inputs.units.texts.at(inputs.join_keys.units)[i] + "': '" +
                                                        text + "' is not a number");
        }
    }
    std::size_t codes = 0;
    std::string first;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i] || !is_acs_annotation(*values[i])) continue;
        if (codes++ == 0) first = "unit '" + inputs.units.ids[i] + "' holds " + format_number(*values[i]);
        values[i].reset();
    }
    if (codes > 0)
        diagnostics.warn("acs-annotation", field.file,
                         fmt::format("field '{}' of {}, a Census Bureau annotation code (no estimate){}: taken as "
                                     "missing, as an empty cell",
                                     field.column, first,
                                     codes > 1 ? fmt::format(", as do {} more unit(s)", codes - 1) : ""));
    return values;
}

/// A population is a count: a negative value is a wrong column, not data.
void check_population(const Inputs& inputs) {
    const auto field = std::find_if(inputs.fields.begin(), inputs.fields.end(),
                                    [](const FieldSource& f) { return f.role == "population"; });
    if (field == inputs.fields.end()) return;
    const auto& values = inputs.values.at("population");
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i] && *values[i] < 0)
            throw InputError(field->file, "field '" + field->column + "' of unit '" + inputs.units.ids[i] + "': " +
                                              format_number(*values[i]) +
                                              " is negative; a population is a count of 0 or more");
}

/// Variables that the Tree Equity Score method defines as fractions 0–1 (docs/models.md).
/// After the variable's scale (0.01 for a column in percent) their values must lie in
/// 0–1: a share of 1.7 is a wrong column or a wrong scale, not data to rank by.
const std::set<std::string> share_roles = {"poverty", "poc", "unemployment", "linguistic", "health"};

/// Stops before any pixel is read when a share variable holds a value outside 0–1: one
/// error that lists every such column.
void check_shares(const Inputs& inputs) {
    std::vector<std::string> problems;
    std::vector<std::string> percent_roles;
    std::string subject;
    for (const auto& field : inputs.fields) {
        if (!share_roles.count(field.role)) continue;
        const auto& variables = inputs.model.variables;
        const auto variable = std::find_if(variables.begin(), variables.end(),
                                           [&](const ModelVariable& v) { return v.name == field.role; });
        if (variable == variables.end()) continue;
        const double scale = variable->scale;
        const auto& values = inputs.values.at(field.role);
        std::size_t bad = 0, present = 0;
        std::string example;
        bool all_percent = true;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!values[i]) continue;
            ++present;
            const double x = *values[i] * scale;
            if (x >= 0 && x <= 1) continue;
            if (bad++ == 0) example = "'" + inputs.units.ids[i] + "' = " + format_number(*values[i]);
            if (!(x >= 0 && x <= 100)) all_percent = false;
        }
        if (bad == 0) continue;
        if (subject.empty()) subject = field.file;
        const std::string range = scale == 1 ? "fractions 0–1"
                                  : scale == 0.01 ? "percents 0–100 with scale 0.01"
                                                  : "0–1 after scale " + format_number(scale);
        problems.push_back(fmt::format("'{}' ({}, {}): {} of {} units, e.g. {}", field.column, field.role, range, bad,
                                       present, example));
        if (scale == 1 && all_percent) percent_roles.push_back(field.role);
    }
    if (problems.empty()) return;
    std::string list;
    for (const auto& p : problems) list += (list.empty() ? "" : "; ") + p;
    InputError error(subject, "values out of range: " + list);
    if (!percent_roles.empty()) {
        std::string flags;
        for (const auto& role : percent_roles) flags += (flags.empty() ? "" : " ") + std::string("--scale ") + role + "=0.01";
        error.with_hint("for columns in percent, " + flags);
    } else {
        error.with_hint("check the columns mapped to these variables, and their scale (--scale ROLE=FACTOR)");
    }
    throw error;
}

std::string list_numbers(const std::vector<double>& values) {
    std::string text;
    for (const double value : values) {
        char number[32];
        std::snprintf(number, sizeof number, "%.15g", value);
        text += (text.empty() ? "" : ",") + std::string(number);
    }
    return text;
}

/// The shade options make sense together, and the shade raster lies on the canopy's grid.
void load_shade(const RunConfig& config, Inputs& inputs) {
    if (config.shade_mask != "land" && config.shade_mask != "walkable")
        throw UsageError("--shade-mask", "expected land or walkable, got \"" + config.shade_mask + "\"");
    if (config.shade.empty()) {
        if (inputs.model.coverage == "shade")
            throw UsageError("--shade", "model '" + inputs.model.name +
                                            "' ranks by shade (model.coverage = \"shade\") and needs a shade-fraction "
                                            "raster")
                .with_hint("make one with shadegap shade, then give --shade PATH");
        // The classes describe the land cover (as water_classes do) and may sit in a project
        // file that runs with or without shade; a mask chosen without shade is a mistake.
        if (config.shade_mask != "land") throw UsageError("--shade-mask", "needs --shade PATH");
        return;
    }
    if (config.shade_mask == "walkable" && config.walkable_classes.empty())
        throw UsageError("--shade-mask", "walkable needs --walkable-classes V1,V2,... (the land-cover values of "
                                         "roads, sidewalks and open ground)");
    inputs.shade = describe_raster(config.shade);
    require_same_grid(inputs.raster, *inputs.shade, "the canopy raster " + inputs.raster.path);
}

ShadeMask shade_mask_of(const RunConfig& config) {
    if (config.shade_mask == "walkable") return {ShadeMask::Type::Include, config.walkable_classes};
    return {ShadeMask::Type::Exclude, config.building_classes};
}

std::string describe_shade_mask(const RunConfig& config) {
    if (config.shade_mask == "walkable") return "walkable (classes " + list_numbers(config.walkable_classes) + ")";
    if (config.building_classes.empty()) return "land";
    return "land (less classes " + list_numbers(config.building_classes) + ")";
}

/// The scope of each census unit: the scope column's text, from the units or the join CSV.
std::vector<std::string> read_scope(const Inputs& inputs, const FieldSource& field) {
    std::vector<std::string> scope(inputs.units.size());
    for (std::size_t i = 0; i < scope.size(); ++i) {
        if (!field.from_join) {
            scope[i] = inputs.units.texts.at(field.column)[i].value_or("");
        } else if (const JoinRow* row = inputs.join_rows[i]) {
            scope[i] = row->at(field.column);
        }
    }
    return scope;
}

Inputs load(const RunConfig& config, Diagnostics& diagnostics) {
    require(config.canopy, "--canopy");
    require(config.units, "--units");
    require(config.unit_id, "--unit-id");
    require(config.out, "--out");
    if (!config.join.empty() && config.join_key.empty()) throw UsageError("--join", "needs --join-key");
    if (!config.neighbourhoods.empty() && !config.group_by.empty())
        throw UsageError("--group-by", "cannot be combined with --neighbourhoods");
    if (!config.neighbourhoods.empty()) require(config.neighbourhood_id, "--neighbourhood-id");

    Inputs inputs;
    inputs.kind = CanopyKind::parse(config.canopy_kind);
    inputs.model = Model::resolve(config.model);
    apply_scales(config, inputs.model);
    inputs.raster = describe_raster(config.canopy);
    load_shade(config, inputs);
    inputs.join_keys = join_keys(config);
    if (!config.join.empty()) inputs.join = read_join_table(config.join, inputs.join_keys.csv);

    const auto unit_fields = layer_field_names(config.units, config.units_layer);
    inputs.fields = resolve_fields(config, inputs.model, unit_fields, inputs.join, inputs.dropped_variables);

    LayerRequest request{config.units, config.units_layer, config.unit_id, "", {}, {}};
    if (inputs.join &&
        std::find(unit_fields.begin(), unit_fields.end(), inputs.join_keys.units) == unit_fields.end())
        throw InputError(config.units, "join key '" + inputs.join_keys.units + "' is not a field of the units")
            .with_hint("name each side with --join-key UNITS_FIELD=CSV_FIELD");
    if (inputs.join) request.text_fields.push_back(inputs.join_keys.units);
    for (const auto& field : inputs.fields) {
        if (field.from_join) continue;
        if (field.role == "scope") request.text_fields.push_back(field.column);
        else request.numeric_fields.push_back(field.column);
    }
    if (!config.group_by.empty()) request.text_fields.push_back(config.group_by);
    inputs.units = read_zone_layer(request, diagnostics);
    if (inputs.join) match_join(config, inputs, diagnostics);
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") inputs.scope = read_scope(inputs, field);
        else inputs.values[field.role] = read_values(inputs, field, diagnostics);
    }
    if (inputs.scope.empty()) inputs.scope.assign(inputs.units.size(), "");

    if (!config.neighbourhoods.empty()) {
        LayerRequest n{config.neighbourhoods, config.neighbourhoods_layer, config.neighbourhood_id,
                       config.neighbourhood_name, {}, {}};
        inputs.neighbourhoods = read_zone_layer(n, diagnostics);
    }
    check_population(inputs);
    check_shares(inputs);
    check_canopy_kind(sample_raster(inputs.raster, config.water_classes), inputs.kind, inputs.raster.path, diagnostics);
    return inputs;
}

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

/// "'A'", "'A', 'B', 'C'" or "'A', 'B', 'C' and 4 more".
std::string examples(const std::vector<std::string>& ids) {
    std::string text;
    for (std::size_t i = 0; i < ids.size() && i < 3; ++i) text += (i ? ", '" : "'") + ids[i] + "'";
    if (ids.size() > 3) text += fmt::format(" and {} more", ids.size() - 3);
    return text;
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

struct OverlayResult {
    UnitTable units;
    std::vector<ZoneSums> piece_sums;
    /// Census units already warned about as without canopy (outside the raster, on nodata).
    std::set<std::string> warned_without_canopy;
};

OverlayResult overlay(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config, int threads,
                      Diagnostics& diagnostics, const ProgressFn& progress) {
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    if (inputs.shade) options.shade = {config.shade, shade_mask_of(config)};
    options.threads = threads;
    options.block_rows = config.block_size;
    options.block_cols = config.block_size;

    std::vector<MultiPolygon> zones = aligned.units.polygons;
    zones.insert(zones.end(), aligned.pieces.polygons.begin(), aligned.pieces.polygons.end());
    auto sums = overlay_zones(inputs.raster.path, zones, options, progress);

    OverlayResult result;
    UnitTable& units = result.units;
    const std::size_t n = inputs.units.size();
    result.piece_sums.assign(sums.begin() + static_cast<std::ptrdiff_t>(n), sums.end());
    sums.resize(n);
    units.ids = inputs.units.ids;
    units.names = inputs.units.names;
    units.area_m2 = aligned.units.area_m2;
    units.sums = std::move(sums);
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
            std::size_t nulls = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (!values[i]) ++nulls;
                units.population[i] = values[i].value_or(0.0);
            }
            if (nulls > 0)
                diagnostics.warn("population-null", field.file,
                                 std::to_string(nulls) + " census unit(s) have no population value; counted as 0");
        } else {
            units.variables[field.role] = values;
        }
    }
    return result;
}

/// People of the census units that the neighbourhoods count twice (where they overlap) or
/// not at all (where they leave gaps). Counts are split by area, so these are exact: a
/// piece of a unit carries population × piece area / unit area.
struct Coverage {
    double people_in_several = 0;
    double people_in_none = 0;
    double people = 0;
};

Coverage neighbourhood_coverage(const UnitTable& units, const Pieces& pieces, Diagnostics& diagnostics) {
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
        diagnostics.warn("neighbourhood-overlap", "neighbourhoods",
                         fmt::format("the neighbourhoods overlap: {:.0f} people ({:.1f} % of the census units') are "
                                     "counted in more than one neighbourhood (census units {})",
                                     c.people_in_several, share(c.people_in_several), examples(several)));
    if (c.people_in_none >= 0.5)
        diagnostics.warn("neighbourhood-gap", "neighbourhoods",
                         fmt::format("{:.0f} people ({:.1f} % of the census units') live outside every "
                                     "neighbourhood and are in no ranking unit (census units {})",
                                     c.people_in_none, share(c.people_in_none), examples(none)));
    return c;
}

RankingTable allocate(const Inputs& inputs, const AlignedInputs& aligned, const OverlayResult& measured,
                      const RunConfig& config, Diagnostics& diagnostics, std::vector<std::string>& ungrouped,
                      Coverage& coverage) {
    RankingTable table;
    std::vector<double> outside_m2;  // per ranking unit
    const auto off_raster = [](const AlignedZones& zones, std::size_t i) {
        return std::max(0.0, zones.area_m2[i] - zones.on_raster_m2[i]);
    };
    if (inputs.neighbourhoods) {
        table = allocate_by_area(measured.units, aligned.pieces, measured.piece_sums, inputs.neighbourhoods->ids,
                                 inputs.neighbourhoods->names, aligned.neighbourhoods->area_m2);
        for (std::size_t k = 0; k < table.units.size(); ++k) table.units[k].outside_m2 = off_raster(*aligned.neighbourhoods, k);
        coverage = neighbourhood_coverage(measured.units, aligned.pieces, diagnostics);
    } else if (!config.group_by.empty()) {
        const auto& values = inputs.units.texts.at(config.group_by);
        table = allocate_by_group(measured.units, values, config.group_by, diagnostics, ungrouped);
        std::map<std::string, double> outside;
        for (std::size_t i = 0; i < values.size(); ++i)
            if (values[i]) outside[*values[i]] += off_raster(aligned.units, i);
        for (auto& unit : table.units) unit.outside_m2 = outside[unit.id];
    } else {
        table = allocate_to_units(measured.units);
        for (std::size_t i = 0; i < table.units.size(); ++i) table.units[i].outside_m2 = off_raster(aligned.units, i);
    }
    return table;
}

/// One warning for the ranking units without a canopy (or shade) value, less the census
/// units the overlay stage already warned about when they are the ranking units.
void warn_unscored(const Inputs& inputs, const RankingTable& table, const OverlayResult& measured,
                   const RunConfig& config, Diagnostics& diagnostics) {
    const bool census_units = !inputs.neighbourhoods && config.group_by.empty();
    std::vector<std::string> no_canopy, no_shade;
    for (const auto& unit : table.units) {
        if (!unit.canopy_fraction()) {
            if (!(census_units && measured.warned_without_canopy.count(unit.id))) no_canopy.push_back(unit.id);
        } else if (inputs.model.coverage == "shade" && !unit.shade_fraction()) {
            no_shade.push_back(unit.id);
        }
    }
    const std::size_t n = table.units.size();
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

FieldValue value_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return *value;
}

FieldValue percent_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return 100.0 * *value;
}

/// The geometry of each ranking unit, in the raster's CRS.
std::vector<std::vector<unsigned char>> ranking_geometries(const Inputs& inputs, const AlignedInputs& aligned,
                                                           const RankingTable& table, const RunConfig& config) {
    if (aligned.neighbourhoods) return aligned.neighbourhoods->wkb;
    if (config.group_by.empty()) return aligned.units.wkb;
    const auto& values = inputs.units.texts.at(config.group_by);
    std::map<std::string, std::unique_ptr<OGRGeometry>> unions;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        auto geometry = detail::from_wkb(aligned.units.wkb[i]);
        auto& slot = unions[*values[i]];
        if (!slot) slot = std::move(geometry);
        else slot.reset(slot->Union(geometry.get()));
    }
    std::vector<std::vector<unsigned char>> out;
    for (const auto& unit : table.units) out.push_back(detail::to_wkb(*detail::polygonal_part(std::move(unions.at(unit.id)))));
    return out;
}

OutputTable priority_table(const Model& model, const RankingTable& table, const ScoredTable& scored,
                           const Ranking& ranking, bool with_shade) {
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"id", Type::Text},           {"name", Type::Text},         {"rank", Type::Integer},
                   {"score", Type::Real},        {"priority", Type::Real},     {"canopy_pct", Type::Real},
                   {"goal_pct", Type::Real},     {"gap_pct", Type::Real},      {"population", Type::Real},
                   {"area_km2", Type::Real},     {"density_km2", Type::Real},  {"trees_needed", Type::Real},
                   {"land_km2", Type::Real},     {"nodata_pct", Type::Real},   {"outside_pct", Type::Real}};
    if (with_shade) out.columns.insert(out.columns.begin() + 6, {"shade_pct", Type::Real});
    if (model.target_score) {
        out.columns.push_back({"target_" + model.coverage + "_pct", Type::Real});
        out.columns.push_back({"target_plant_m2", Type::Real});
    }
    for (const auto& variable : scored.variables_used) out.columns.push_back({"p_" + variable, Type::Real});
    for (const std::size_t i : ranking.order) {
        const RankingUnit& unit = table.units[i];
        const ScoredUnit& s = scored.units[i];
        // The unit's area as measured: its cells (valid, water, nodata) and its part off the raster.
        const double measured_m2 = unit.sums.covered_m2 + unit.outside_m2;
        std::vector<FieldValue> row = {
            unit.id,
            unit.name,
            ranking.rank[i] > 0 ? FieldValue(static_cast<std::int64_t>(ranking.rank[i])) : FieldValue(std::monostate{}),
            value_or_null(s.score),
            value_or_null(s.priority),
            percent_or_null(unit.canopy_fraction()),
            percent_or_null(s.goal),
            percent_or_null(s.gap),
            unit.population,
            unit.area_m2 / 1e6,
            value_or_null(s.density_km2),
            value_or_null(s.trees_needed),
            unit.land_m2() / 1e6,
            measured_m2 > 0 ? FieldValue(100.0 * (unit.sums.nodata_m2 + unit.outside_m2) / measured_m2)
                            : FieldValue(std::monostate{}),
            measured_m2 > 0 ? FieldValue(100.0 * unit.outside_m2 / measured_m2) : FieldValue(std::monostate{}),
        };
        if (with_shade) row.insert(row.begin() + 6, percent_or_null(unit.shade_fraction()));
        if (model.target_score) {
            row.push_back(percent_or_null(s.target_coverage));
            row.push_back(value_or_null(s.target_plant_m2));
        }
        for (const auto& variable : scored.variables_used) {
            const auto c = s.components.find(variable);
            row.push_back(c == s.components.end() ? FieldValue(std::monostate{}) : value_or_null(c->second));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

OutputTable units_table(const Inputs& inputs, const AlignedZones& aligned, const UnitTable& units) {
    const bool with_shade = inputs.shade.has_value();
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"unit_id", Type::Text},   {"valid_m2", Type::Real},  {"canopy_m2", Type::Real},
                   {"nodata_m2", Type::Real}, {"canopy_fraction", Type::Real}, {"water_m2", Type::Real},
                   {"area_m2", Type::Real},   {"outside_m2", Type::Real}};
    if (with_shade) {
        out.columns.push_back({"shade_mask_m2", Type::Real});
        out.columns.push_back({"shade_m2", Type::Real});
        out.columns.push_back({"shade_pct", Type::Real});
    }
    std::vector<const FieldSource*> columns;
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") continue;
        out.columns.push_back({field.column, Type::Real});
        columns.push_back(&field);
    }
    for (std::size_t i = 0; i < units.size(); ++i) {
        const ZoneSums& s = units.sums[i];
        const bool has_canopy = s.valid_m2 > 0 && has_enough_data(s, units.area_m2[i]);
        std::vector<FieldValue> row = {units.ids[i], s.valid_m2, s.canopy_m2, s.nodata_m2,
                                       has_canopy ? FieldValue(s.canopy_m2 / s.valid_m2) : FieldValue(std::monostate{}),
                                       s.water_m2, units.area_m2[i],
                                       std::max(0.0, aligned.area_m2[i] - aligned.on_raster_m2[i])};
        if (with_shade) {
            row.emplace_back(s.shade_mask_m2);
            row.emplace_back(s.shade_m2);
            row.push_back(s.shade_mask_m2 > 0 && has_enough_data(s, units.area_m2[i]) ? FieldValue(100.0 * s.shade_m2 / s.shade_mask_m2)
                                              : FieldValue(std::monostate{}));
        }
        for (const auto* field : columns) {
            if (field->role == "population") row.push_back(units.population[i]);
            else row.push_back(value_or_null(units.variables.at(field->role)[i]));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

nlohmann::json model_json(const Model& model) {
    nlohmann::json variables = nlohmann::json::array();
    for (const auto& v : model.variables) {
        nlohmann::json j = {{"name", v.name}, {"column", v.column}, {"weight", v.weight},
                            {"normalise", v.normalise}, {"scale", v.scale}};
        j["cap"] = v.cap ? nlohmann::json(*v.cap) : nlohmann::json(nullptr);
        variables.push_back(j);
    }
    nlohmann::json density = nlohmann::json::array();
    for (const auto& band : model.density_table) {
        density.push_back({{"max_density_km2", std::isfinite(band.max_density_km2) ? nlohmann::json(band.max_density_km2)
                                                                                   : nlohmann::json("inf")},
                           {"factor", band.factor}});
    }
    return {{"name", model.name},
            {"source", model.source},
            {"coverage", model.coverage},
            {"goal", {{"method", model.goal_method}, {"baseline", model.goal_baseline},
                      {"column", model.goal_column}, {"cap_factor", model.goal_cap_factor}, {"density", density}}},
            {"population_column", model.population_column},
            {"priority", {{"floor", model.priority_floor}, {"scope", model.scope_column}, {"variables", variables}}},
            {"score", {{"max", model.score_max}, {"rounding", model.score_rounding}}},
            {"trees", {{"crown_area_m2", model.crown_area_m2}, {"rounding", model.trees_rounding}}},
            {"target_score", model.target_score ? nlohmann::json(*model.target_score) : nlohmann::json(nullptr)}};
}

nlohmann::json file_json(const std::string& path, const std::string& crs) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return {{"path", path}, {"bytes", ec ? nlohmann::json(nullptr) : nlohmann::json(size)}, {"crs", crs}};
}

std::string run_json(const RunConfig& config, const Inputs& inputs, const RankingTable& table,
                     const ScoredTable& scored, const RunResult& result, int threads,
                     const std::vector<std::string>& ungrouped, const Coverage& coverage) {
    nlohmann::json j;
    j["shadegap_version"] = SHADEGAP_VERSION;
    j["project_file"] = config.project_file;
    nlohmann::json in;
    in["canopy"] = file_json(config.canopy, inputs.raster.crs_name);
    in["canopy"]["kind"] = inputs.kind.to_string();
    in["canopy"]["water_classes"] = config.water_classes;
    in["canopy"]["size"] = {inputs.raster.grid.cols, inputs.raster.grid.rows};
    in["canopy"]["cell_size"] = {inputs.raster.grid.cell_width, inputs.raster.grid.cell_height};
    if (inputs.shade) {
        in["shade"] = file_json(config.shade, inputs.shade->crs_name);
        in["shade"]["mask"] = config.shade_mask;
        in["shade"]["building_classes"] = config.building_classes;
        in["shade"]["walkable_classes"] = config.walkable_classes;
    }
    in["units"] = file_json(config.units, inputs.units.crs_name);
    in["units"]["layer"] = inputs.units.layer_name;
    in["units"]["id_field"] = config.unit_id;
    in["units"]["count"] = inputs.units.size();
    if (inputs.join) {
        in["join"] = file_json(config.join, "");
        in["join"]["key"] = config.join_key;
        in["join"]["allow_unmatched"] = config.allow_unmatched;
        std::size_t matched = 0;
        for (const JoinRow* row : inputs.join_rows) matched += row != nullptr;
        in["join"]["matched_units"] = matched;
    }
    if (inputs.neighbourhoods) {
        in["neighbourhoods"] = file_json(config.neighbourhoods, inputs.neighbourhoods->crs_name);
        in["neighbourhoods"]["layer"] = inputs.neighbourhoods->layer_name;
        in["neighbourhoods"]["id_field"] = config.neighbourhood_id;
        in["neighbourhoods"]["count"] = inputs.neighbourhoods->size();
    }
    j["inputs"] = in;
    j["ranking_units"] = inputs.neighbourhoods ? "neighbourhoods" : (config.group_by.empty() ? "census units" : "groups");
    if (!config.group_by.empty()) {
        j["group_by"] = config.group_by;
        j["ungrouped_units"] = ungrouped;
    }
    j["model"] = model_json(inputs.model);
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& f : inputs.fields) fields[f.role] = {{"column", f.column}, {"file", f.file}};
    j["fields"] = fields;
    j["dropped_variables"] = inputs.dropped_variables;
    j["variables_used"] = scored.variables_used;
    j["threads"] = threads;
    j["counts"] = {{"census_units", result.unit_count}, {"ranking_units", table.units.size()}};
    if (inputs.neighbourhoods) {
        j["counts"]["people"] = coverage.people;
        j["counts"]["people_in_several_neighbourhoods"] = coverage.people_in_several;
        j["counts"]["people_in_no_neighbourhood"] = coverage.people_in_none;
    }
    j["gap_max"] = scored.gap_max;
    j["city_score"] = scored.city_score ? nlohmann::json(*scored.city_score) : nlohmann::json(nullptr);
    nlohmann::json timings = nlohmann::json::object();
    for (const auto& t : result.timings) timings[t.stage] = t.seconds;
    j["timings_s"] = timings;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : result.diagnostics.warnings())
        warnings.push_back({{"code", w.code}, {"subject", w.subject}, {"message", w.message}});
    j["warnings"] = warnings;
    std::vector<std::string> outputs;
    for (const auto& name : output_names) outputs.push_back((fs::path(config.out) / name).string());
    j["outputs"] = outputs;
    return j.dump(2) + "\n";
}

}  // namespace

/// The threads of the run: --threads, at most the machine's cores (more only time-slice
/// the same cores; the results are the same), or all cores for 0.
int thread_count(const RunConfig& config, Diagnostics& diagnostics) {
    const int cores = std::max(1, omp_get_num_procs());
    if (config.threads <= 0) return omp_get_max_threads();
    if (config.threads <= cores) return config.threads;
    diagnostics.warn("threads-capped", "--threads",
                     fmt::format("{} threads asked for, but this machine has {} cores: using {}", config.threads,
                                 cores, cores));
    return cores;
}

Diagnostics validate(const RunConfig& config) {
    Diagnostics diagnostics;
    (void)thread_count(config, diagnostics);
    const Inputs inputs = load(config, diagnostics);
    align(inputs, diagnostics);
    check_output_folder(config);
    return diagnostics;
}

RunResult run_pipeline(const RunConfig& config, const ProgressFn& progress) {
    RunResult result;
    Diagnostics& diagnostics = result.diagnostics;
    Stopwatch clock(result.timings);
    const int threads = thread_count(config, diagnostics);

    ScaledProgress(progress, 0.0, 0.05, "load")(0);
    const Inputs inputs = load(config, diagnostics);
    check_output_folder(config);
    clock.lap("load");

    ScaledProgress(progress, 0.05, 0.1, "align")(0);
    const AlignedInputs aligned = align(inputs, diagnostics);
    clock.lap("align");

    const ScaledProgress overlay_progress(progress, 0.1, 0.9, "overlay");
    const OverlayResult measured = overlay(inputs, aligned, config, threads, diagnostics,
                                           [&](double f, std::string_view) { overlay_progress(f); });
    clock.lap("overlay");
    result.unit_count = measured.units.size();

    ScaledProgress(progress, 0.9, 0.92, "allocate")(0);
    std::vector<std::string> ungrouped;
    Coverage coverage;
    const RankingTable table = allocate(inputs, aligned, measured, config, diagnostics, ungrouped, coverage);
    clock.lap("allocate");

    ScaledProgress(progress, 0.92, 0.94, "model")(0);
    const ScoredTable scored = apply_model(inputs.model, table, diagnostics);
    warn_unscored(inputs, table, measured, config, diagnostics);
    clock.lap("model");

    const Ranking ranking = rank_units(table, scored);
    clock.lap("rank");
    result.ranking_unit_count = table.units.size();
    result.model = inputs.model.name;
    result.model_variables = inputs.model.variables.size();
    result.variables_used = scored.variables_used;
    result.city_score = scored.city_score;

    ScaledProgress(progress, 0.95, 1.0, "write")(0);
    OutputTransaction transaction(config.out, &diagnostics);
    OutputTable priority = priority_table(inputs.model, table, scored, ranking, inputs.shade.has_value());
    const auto geometries = ranking_geometries(inputs, aligned, table, config);
    for (const std::size_t i : ranking.order) priority.geometries.push_back(geometries[i]);
    priority.crs_wkt = inputs.raster.crs_wkt;
    write_geojson(priority, transaction.path_for("priority.geojson"), threads);
    priority.geometries.clear();
    write_csv(priority, transaction.path_for("priority.csv"));
    write_csvt(priority, transaction.path_for("priority.csvt"));
    const OutputTable units = units_table(inputs, aligned.units, measured.units);
    write_csv(units, transaction.path_for("units.csv"));
    write_csvt(units, transaction.path_for("units.csvt"));
    clock.lap("write");
    write_file(transaction.path_for("run.json"),
               run_json(config, inputs, table, scored, result, threads, ungrouped, coverage));
    // The last chance for the caller to stop the run (an interrupt) before outputs move into place.
    ScaledProgress(progress, 0.95, 1.0, "write")(0.9);
    result.outputs = transaction.commit();
    ScaledProgress(progress, 0.95, 1.0, "write")(1);
    return result;
}

}  // namespace shadegap
