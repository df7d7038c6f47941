// The load stage: every input opened, every attribute read once, the model's columns
// resolved, and the checks of the data that need no pixel (the join, the variables, the
// values, the canopy kind against a sample).
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "shadegap/options.hpp"
#include "shadegap/sample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

namespace shadegap::stages {

namespace {

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

/// The source of `column` for `role`: the exact name in the units, else in the join CSV, else
/// the one column of either equal to it ignoring case. Throws when several differ only in case.
std::optional<FieldSource> find_column(const RunConfig& config, const std::vector<std::string>& unit_fields,
                                       const std::optional<JoinTable>& join, const std::string& role,
                                       const std::string& column) {
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
        const auto dot = role.find('.');
        const std::string how = dot == std::string::npos ? key_text("fields." + role, "COLUMN")
                                                         : key_text("equity_group." + role.substr(dot + 1), "COLUMN");
        throw InputError(matches.front().file, "column '" + column + "' for '" + role + "' matches " +
                                                   quoted_list(names, " and ") + " ignoring case")
            .with_hint("choose one with " + how);
    }
    return std::nullopt;
}

/// The columns of the equity groups ("equity_group.NAME") and of --rank-by ("rank_by"),
/// found as the model's are; a column not found is an error.
std::vector<FieldSource> resolve_equity_fields(const RunConfig& config, const std::vector<std::string>& unit_fields,
                                               const std::optional<JoinTable>& join) {
    std::vector<FieldSource> out;
    std::vector<std::pair<std::string, std::string>> wanted;
    for (const auto& group : config.equity_groups) wanted.emplace_back("equity_group." + group.first, group.second);
    if (!config.rank_by.empty()) wanted.emplace_back("rank_by", config.rank_by);
    for (const auto& [role, column] : wanted) {
        if (auto source = find_column(config, unit_fields, join, role, column)) {
            out.push_back(std::move(*source));
            continue;
        }
        std::vector<std::string> all_fields = unit_fields;
        if (join) all_fields.insert(all_fields.end(), join->fields.begin(), join->fields.end());
        const auto close = close_columns(column, all_fields);
        InputError error(join ? config.units + " and " + join->path : config.units,
                         "field '" + column + "' for '" + role + "' not found" +
                             (close.empty() ? std::string() : " (close: " + quoted_list(close) + ")"));
        error.with_hint("give the column with " +
                        (role == "rank_by" ? key_text("rank_by", "FIELD")
                                           : key_text("equity_group." + role.substr(role.find('.') + 1), "FIELD")));
        throw error;
    }
    return out;
}

/// The margin-of-error columns of --moe FIELD=MOE_FIELD, as role "moe.ROLE" of the role whose
/// column FIELD is: a column the model reads (the population too), an equity group's count
/// column or the --rank-by column.
std::vector<FieldSource> resolve_moe_fields(const RunConfig& config, const std::vector<FieldSource>& fields,
                                            const std::vector<std::string>& unit_fields,
                                            const std::optional<JoinTable>& join) {
    std::vector<FieldSource> out;
    for (const auto& entry : config.moe) {
        const std::string& column = entry.first;
        const auto field = std::find_if(fields.begin(), fields.end(), [&column](const FieldSource& f) {
            return f.role != "scope" && lowercase(f.column) == lowercase(column);
        });
        if (field == fields.end()) {
            std::string columns;
            for (const auto& f : fields)
                if (f.role != "scope") columns += (columns.empty() ? "" : ", ") + f.column;
            throw UsageError("moe." + column, "'" + column + "' is not a column the run reads (" + columns + ")");
        }
        auto source = find_column(config, unit_fields, join, "moe." + field->role, entry.second);
        if (!source)
            throw InputError(join ? config.units + " and " + join->path : config.units,
                             "field '" + entry.second + "' for the margin of error of '" + column + "' not found")
                .with_hint("give it with " + key_text("moe." + column, "MOE_FIELD"));
        out.push_back(std::move(*source));
    }
    return out;
}

/// Resolves every role the model reads to a column of the units layer or the join CSV. An
/// exact name wins; else the one column equal to it ignoring case. A variable of the model
/// without a column is an error unless config.allow_missing_variables (then it is listed
/// in `dropped` and apply_model warns and renormalises the weights). With --heat, a heat
/// variable without a column (and no --field heat=) comes from the heat raster instead
/// (`heat_from_raster`).
std::vector<FieldSource> resolve_fields(const RunConfig& config, const Model& model,
                                        const std::vector<std::string>& unit_fields,
                                        const std::optional<JoinTable>& join, std::vector<std::string>& dropped,
                                        bool& heat_from_raster) {
    std::vector<std::pair<std::string, std::string>> roles = {{"population", model.population_column}};
    for (const auto& role : model.fields()) roles.push_back(role);
    const std::string scope_default = model.scope_column;
    if (!scope_default.empty() || config.fields.count("scope")) roles.emplace_back("scope", scope_default);

    std::set<std::string> known;
    for (const auto& [role, column] : roles) known.insert(role);
    const auto unknown_role = [&](const std::string& key, const std::string& role) {
        std::string names;
        for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
        return UsageError(key, "model '" + model.name + "' has no variable '" + role + "' (variables: " + names + ")");
    };
    for (const auto& [role, column] : config.fields)
        if (!known.count(role)) throw unknown_role("fields." + role, role);

    std::vector<std::string> all_fields = unit_fields;
    if (join) all_fields.insert(all_fields.end(), join->fields.begin(), join->fields.end());
    const auto list_fields = [&] {
        std::string text;
        for (const auto& f : all_fields) text += (text.empty() ? "" : ", ") + f;
        return text;
    };

    const auto find = [&](const std::string& role, const std::string& column) {
        return find_column(config, unit_fields, join, role, column);
    };

    std::vector<FieldSource> out;
    std::vector<std::string> missing;
    for (const auto& [role, default_column] : roles) {
        const auto given = config.fields.find(role);
        const bool explicit_field = given != config.fields.end();
        const std::string column = explicit_field ? given->second : default_column;
        if (auto source = find(role, column)) {
            out.push_back(std::move(*source));
        } else if (role == "heat" && !explicit_field && !config.heat.empty()) {
            heat_from_raster = true;
        } else if (explicit_field || role == "population" || role == "scope" || role == "goal") {
            throw InputError(config.units, "field '" + column + "' for '" + role + "' not found (fields: " +
                                               list_fields() + ")")
                .with_hint("map it with " + key_text("fields." + role, "COLUMN"));
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
            .with_hint("map each with " + key_text("fields.ROLE", "COLUMN") +
                       ", or run without them (weights renormalised) with " + key_text("allow_missing_variables", "true"));
    }
    return out;
}

/// The model with the run's --scale factors in place of the model file's.
void apply_scales(const RunConfig& config, Model& model) {
    for (const auto& scale : config.scales) {
        const std::string& role = scale.first;
        const double factor = scale.second;
        const auto variable = std::find_if(model.variables.begin(), model.variables.end(),
                                           [&role](const ModelVariable& v) { return v.name == role; });
        if (variable == model.variables.end()) {
            std::string names;
            for (const auto& v : model.variables) names += (names.empty() ? "" : ", ") + v.name;
            throw UsageError("scale." + role,
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
        hint += key_text("allow_unmatched", "true") + " runs with the unmatched units' joined values null";
        throw InputError(join.path, message).with_hint(hint);
    }
    diagnostics.warn("join-missing", join.path,
                     fmt::format("{} census unit(s) have no row in the join table ({}): their joined "
                                 "values are null",
                                 n - matched, key_text("allow_unmatched", "true")));
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

/// A population is a count: a negative value is a wrong column, not data; a missing one
/// counts as 0, with a warning.
void check_population(const Inputs& inputs, Diagnostics& diagnostics) {
    const auto field = std::find_if(inputs.fields.begin(), inputs.fields.end(),
                                    [](const FieldSource& f) { return f.role == "population"; });
    if (field == inputs.fields.end()) return;
    const auto& values = inputs.values.at("population");
    std::size_t nulls = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) ++nulls;
        if (values[i] && *values[i] < 0)
            throw InputError(field->file, "field '" + field->column + "' of unit '" + inputs.units.ids[i] + "': " +
                                              format_number(*values[i]) +
                                              " is negative; a population is a count of 0 or more");
    }
    if (nulls > 0)
        diagnostics.warn("population-null", field->file,
                         std::to_string(nulls) + " census unit(s) have no population value; counted as 0");
}

/// The equity groups' columns are counts of people: a negative count is an error, and so is a
/// column of shares (every value within 0–1 where the units hold more people: weights of
/// 0.3 for 300 people would give a plausible wrong mean); a missing count is 0 with one
/// warning per group, and counts above a unit's population are warned about.
void check_group_counts(Inputs& inputs, Diagnostics& diagnostics) {
    const auto population = inputs.values.find("population");
    double most_people = 0;
    if (population != inputs.values.end())
        for (const auto& p : population->second) most_people = std::max(most_people, p.value_or(0.0));
    for (const auto& field : inputs.equity_fields) {
        if (field.role == "rank_by") continue;
        auto& values = inputs.values.at(field.role);
        double largest = 0;
        for (const auto& v : values) largest = std::max(largest, v.value_or(0.0));
        if (largest > 0 && largest <= 1 && most_people > 1)
            throw InputError(field.file, "field '" + field.column + "' for '" + field.role +
                                             "' holds shares (every value within 0–1), not counts of people")
                .with_hint("give the column that counts the group's people (e.g. B03002_004E), or multiply the "
                           "share by the population");
        std::vector<std::string> above;
        for (std::size_t i = 0; population != inputs.values.end() && i < values.size(); ++i) {
            const double people = population->second[i].value_or(0.0);
            if (values[i] && *values[i] > people + 0.5)
                above.push_back(fmt::format("'{}': {} of {}", inputs.units.ids[i], format_number(*values[i]),
                                            format_number(people)));
        }
        if (!above.empty())
            diagnostics.warn("equity-group-above-population", field.file,
                             fmt::format("{} census unit(s) count more people in '{}' than their population ({}{})",
                                         above.size(), field.column, above.front(),
                                         above.size() > 1 ? fmt::format(" and {} more", above.size() - 1) : ""));
        std::size_t nulls = 0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!values[i]) {
                ++nulls;
                continue;
            }
            if (*values[i] < 0)
                throw InputError(field.file, "field '" + field.column + "' of unit '" + inputs.units.ids[i] + "': " +
                                                 format_number(*values[i]) + " is negative; '" + field.role +
                                                 "' counts people");
        }
        if (nulls > 0)
            diagnostics.warn("equity-group-null", field.file,
                             fmt::format("{} census unit(s) have no value in '{}' for '{}'; counted as 0 people",
                                         nulls, field.column, field.role));
    }
}

/// A margin of error is a positive spread: a negative one is a wrong column (a missing one
/// leaves the estimate fixed in every draw).
void check_margins(const Inputs& inputs) {
    for (const auto& field : inputs.moe_fields) {
        const auto& values = inputs.values.at(field.role);
        for (std::size_t i = 0; i < values.size(); ++i)
            if (values[i] && *values[i] < 0)
                throw InputError(field.file, "field '" + field.column + "' of unit '" + inputs.units.ids[i] + "': " +
                                                 format_number(*values[i]) + " is negative; a margin of error is 0 or more");
    }
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
        for (const auto& role : percent_roles) flags += (flags.empty() ? "" : " ") + key_text("scale." + role, "0.01");
        error.with_hint("for columns in percent, " + flags);
    } else {
        error.with_hint("check the columns mapped to these variables, and their scale (" + key_text("scale.ROLE", "FACTOR") + ")");
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
    // check_config() has checked the mask against --shade and --walkable-classes.
    if (config.shade.empty()) {
        if (inputs.model.coverage == CoverageKind::Shade)
            throw UsageError("shade", "model '" + inputs.model.name +
                                            "' ranks by shade (model.coverage = \"shade\") and needs a shade-fraction "
                                            "raster")
                .with_hint("make one with shadegap shade, then give " + key_text("shade", "PATH"));
        return;
    }
    inputs.shade = describe_raster(config.shade);
    require_same_grid(inputs.raster, *inputs.shade, "the canopy raster " + inputs.raster.path);
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


}  // namespace

ShadeMask shade_mask_of(const RunConfig& config) {
    if (config.shade_mask == ShadeMaskKind::Walkable) return {ShadeMask::Type::Include, config.walkable_classes};
    return {ShadeMask::Type::Exclude, config.building_classes};
}

std::string describe_shade_mask(const RunConfig& config) {
    if (config.shade_mask == ShadeMaskKind::Walkable) return "walkable (classes " + list_numbers(config.walkable_classes) + ")";
    if (config.building_classes.empty()) return "land";
    return "land (less classes " + list_numbers(config.building_classes) + ")";
}

Inputs load(const RunConfig& config, Diagnostics& diagnostics) {
    // The options together: required keys, partners, values. An empty out is compute()'s
    // (run_pipeline and validate check it first).
    check_config(config, {}, false);

    Inputs inputs;
    inputs.mode = !config.neighbourhoods.empty() ? RankingMode::Neighbourhoods
                  : !config.group_by.empty()     ? RankingMode::Groups
                                                 : RankingMode::CensusUnits;
    inputs.group_by = config.group_by;
    inputs.kind = config.canopy_kind;
    inputs.model = Model::resolve(config.model);
    apply_scales(config, inputs.model);
    inputs.raster = describe_raster(config.canopy);
    load_shade(config, inputs);
    if (config.plan) {
        std::error_code ignored;
        const bool same = config.landcover == config.canopy ||
                          std::filesystem::equivalent(config.landcover, config.canopy, ignored);
        if (!same) {
            // A separate land cover (the canopy raster holds heights or percentages): cell for
            // cell on the canopy raster's grid, which keeps saying where canopy is.
            inputs.landcover = describe_raster(config.landcover);
            require_same_grid(inputs.raster, *inputs.landcover, "the canopy raster " + config.canopy);
        }
        if (inputs.model.coverage != CoverageKind::Canopy)
            throw UsageError("model", "plan adds canopy; model '" + inputs.model.name + "' ranks by " +
                                          to_string(inputs.model.coverage) + " (use a canopy model such as tree-equity)");
    }
    if (config.walks) {
        // Lines and points in the CRS of the raster the walks measure shade on (the same grid).
        const RasterInfo& target = inputs.shade ? *inputs.shade : inputs.raster;
        inputs.streets = walks::read_streets(config.streets, config.streets_layer, target);
        inputs.destinations =
            walks::read_destinations(config.destinations, config.destinations_layer, config.destination_kind, target);
    }
    inputs.join_keys = join_keys(config);
    if (!config.join.empty()) inputs.join = read_join_table(config.join, inputs.join_keys.csv);

    const auto unit_fields = layer_field_names(config.units, config.units_layer);
    if (!config.heat.empty()) inputs.heat = describe_raster(config.heat);
    inputs.residential = !config.residential_classes.empty();
    inputs.fields = resolve_fields(config, inputs.model, unit_fields, inputs.join, inputs.dropped_variables,
                                   inputs.heat_variable_from_raster);
    inputs.equity_fields = resolve_equity_fields(config, unit_fields, inputs.join);
    std::vector<FieldSource> drawable = inputs.fields;
    drawable.insert(drawable.end(), inputs.equity_fields.begin(), inputs.equity_fields.end());
    inputs.moe_fields = resolve_moe_fields(config, drawable, unit_fields, inputs.join);

    LayerRequest request{config.units, config.units_layer, config.unit_id, "", {}, {}};
    if (inputs.join &&
        std::find(unit_fields.begin(), unit_fields.end(), inputs.join_keys.units) == unit_fields.end())
        throw InputError(config.units, "join key '" + inputs.join_keys.units + "' is not a field of the units")
            .with_hint("name each side with " + key_text("join_key", "UNITS_FIELD=CSV_FIELD"));
    if (inputs.join) request.text_fields.push_back(inputs.join_keys.units);
    const auto request_field = [](std::vector<std::string>& list, const std::string& column) {
        if (std::find(list.begin(), list.end(), column) == list.end()) list.push_back(column);
    };
    for (const auto* fields : {&inputs.fields, &inputs.equity_fields, &inputs.moe_fields}) {
        for (const auto& field : *fields) {
            if (field.from_join) continue;
            request_field(field.role == "scope" ? request.text_fields : request.numeric_fields, field.column);
        }
    }
    if (!config.group_by.empty()) request.text_fields.push_back(config.group_by);
    inputs.units = read_zone_layer(request, diagnostics);
    if (inputs.join) match_join(config, inputs, diagnostics);
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") inputs.scope = read_scope(inputs, field);
        else inputs.values[field.role] = read_values(inputs, field, diagnostics);
    }
    if (inputs.scope.empty()) inputs.scope.assign(inputs.units.size(), "");
    for (const auto& field : inputs.equity_fields) inputs.values[field.role] = read_values(inputs, field, diagnostics);
    for (const auto& field : inputs.moe_fields) inputs.values[field.role] = read_values(inputs, field, diagnostics);
    check_margins(inputs);
    check_group_counts(inputs, diagnostics);

    if (!config.neighbourhoods.empty()) {
        LayerRequest n{config.neighbourhoods, config.neighbourhoods_layer, config.neighbourhood_id,
                       config.neighbourhood_name, {}, {}};
        inputs.neighbourhoods = read_zone_layer(n, diagnostics);
    }
    check_population(inputs, diagnostics);
    check_shares(inputs);
    check_canopy_kind(sample_raster(inputs.raster, config.water_classes), inputs.kind, inputs.raster.path, diagnostics);
    return inputs;
}

}  // namespace shadegap::stages
