// Models: reads model TOML and applies the Tree Equity Score formulas to a ranking table.
// SPDX-License-Identifier: MIT
#include "shadegap/model.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string_view>

namespace shadegap {

namespace detail {
// Generated at build time from models/*.toml (cmake/embed_models.cmake): file stem → text.
const std::vector<std::pair<std::string, std::string>>& builtin_model_sources();
}  // namespace detail

namespace {

constexpr std::string_view builtin_prefix = "built-in:";

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += separator;
        out += items[i];
    }
    return out;
}

/// How a TOML value reads in an error message: the value itself, or its kind.
std::string describe(const toml::node& node) {
    switch (node.type()) {
    case toml::node_type::string: return quote(*node.value_exact<std::string>());
    case toml::node_type::integer: return fmt::format("{}", *node.value_exact<std::int64_t>());
    case toml::node_type::floating_point: return fmt::format("{}", *node.value_exact<double>());
    case toml::node_type::boolean: return *node.value_exact<bool>() ? "true" : "false";
    case toml::node_type::array:
        return node.as_array()->empty() ? "an empty array" : "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
    }
}

bool is_role_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

/// Reads one model file, naming the file and the key in every error.
class ModelReader {
public:
    explicit ModelReader(std::string source) : m_source(std::move(source)) {}

    Model read(const toml::table& root) const;

private:
    [[noreturn]] void fail(const std::string& key, const std::string& message) const {
        throw ModelError(m_source, fmt::format("key '{}': {}", key, message));
    }
    [[noreturn]] void fail_expected(const std::string& key, const std::string& expected,
                                    const toml::node& got) const {
        fail(key, fmt::format("expected {}, got {}", expected, describe(got)));
    }
    [[noreturn]] void fail_missing(const std::string& key, const std::string& expected) const {
        fail(key, fmt::format("expected {}, got nothing", expected));
    }

    void check_keys(const toml::table& table, const std::string& prefix,
                    std::initializer_list<std::string_view> allowed) const;
    const toml::table* section(const toml::table& root, std::string_view name) const;
    const toml::array* table_array(const toml::table& table, std::string_view name,
                                   const std::string& key) const;

    template <class Accept>
    void read_number(const toml::table& table, std::string_view name, const std::string& key,
                     const std::string& expected, Accept accept, double& out) const {
        const toml::node* node = table.get(name);
        if (!node) return;
        if (!node->is_number()) fail_expected(key, expected, *node);
        const double value = *node->value<double>();
        if (!accept(value)) fail_expected(key, expected, *node);
        out = value;
    }
    void read_string(const toml::table& table, std::string_view name, const std::string& key,
                     std::string& out) const;
    void read_role(const toml::table& table, std::string_view name, const std::string& key,
                   bool allow_empty, std::string& out) const;
    void read_choice(const toml::table& table, std::string_view name, const std::string& key,
                     std::initializer_list<std::string_view> choices, std::string& out) const;

    void read_goal(const toml::table& goal, Model& model) const;
    void read_density_band(const toml::table& band, const std::string& key, bool last,
                           double previous_bound, DensityBand& out) const;
    void read_priority(const toml::table& priority, Model& model) const;
    ModelVariable read_variable(const toml::table& variable, const std::string& key) const;

    std::string m_source;
};

void ModelReader::check_keys(const toml::table& table, const std::string& prefix,
                             std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : table) {
        (void)value;
        const std::string_view name = key.str();
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        const std::string full = prefix.empty() ? std::string(name)
                                                : fmt::format("{}.{}", prefix, name);
        std::vector<std::string> names(allowed.begin(), allowed.end());
        ModelError error(m_source, fmt::format("unknown key '{}'", full));
        error.with_hint(prefix.empty()
                            ? fmt::format("the sections of a model are [{}]", join(names, "], ["))
                            : fmt::format("the keys of '{}' are {}", prefix, join(names, ", ")));
        throw error;
    }
}

const toml::table* ModelReader::section(const toml::table& root, std::string_view name) const {
    const toml::node* node = root.get(name);
    if (!node) return nullptr;
    if (!node->is_table())
        fail_expected(std::string(name), fmt::format("a table [{}]", name), *node);
    return node->as_table();
}

const toml::array* ModelReader::table_array(const toml::table& table, std::string_view name,
                                            const std::string& key) const {
    const toml::node* node = table.get(name);
    if (!node) return nullptr;
    const toml::array* array = node->as_array();
    if (!array || (!array->empty() && !array->is_array_of_tables()))
        fail_expected(key, fmt::format("tables [[{}]]", key), *node);
    return array;
}

void ModelReader::read_string(const toml::table& table, std::string_view name,
                              const std::string& key, std::string& out) const {
    const toml::node* node = table.get(name);
    if (!node) return;
    if (!node->is_string()) fail_expected(key, "a string", *node);
    out = *node->value_exact<std::string>();
}

void ModelReader::read_role(const toml::table& table, std::string_view name,
                            const std::string& key, bool allow_empty, std::string& out) const {
    const toml::node* node = table.get(name);
    if (!node) return;
    const std::string expected = allow_empty
        ? "a name of letters, digits, '_' and '-', or \"\""
        : "a name of letters, digits, '_' and '-'";
    if (!node->is_string()) fail_expected(key, expected, *node);
    const std::string value = *node->value_exact<std::string>();
    if (!(is_role_name(value) || (allow_empty && value.empty())))
        fail_expected(key, expected, *node);
    out = value;
}

void ModelReader::read_choice(const toml::table& table, std::string_view name,
                              const std::string& key,
                              std::initializer_list<std::string_view> choices,
                              std::string& out) const {
    const toml::node* node = table.get(name);
    if (!node) return;
    std::vector<std::string> quoted;
    for (const std::string_view choice : choices) quoted.push_back(quote(choice));
    const std::string expected = fmt::format("one of {}", join(quoted, ", "));
    if (!node->is_string()) fail_expected(key, expected, *node);
    const std::string value = *node->value_exact<std::string>();
    if (std::find(choices.begin(), choices.end(), value) == choices.end())
        fail_expected(key, expected, *node);
    out = value;
}

void ModelReader::read_density_band(const toml::table& band, const std::string& key, bool last,
                                    double previous_bound, DensityBand& out) const {
    check_keys(band, key, {"max_density_km2", "factor"});
    const std::string bound_key = key + ".max_density_km2";
    const toml::node* bound = band.get("max_density_km2");
    out.max_density_km2 = std::numeric_limits<double>::infinity();
    if (!bound) {
        if (!last)
            fail_missing(bound_key,
                         "a number (only the last band may leave it out: it is open-ended)");
    } else if (bound->is_string() && *bound->value_exact<std::string>() == "inf") {
        if (!last) fail_expected(bound_key, "a number (only the last band is open-ended)", *bound);
    } else {
        const std::string expected =
            previous_bound > 0
                ? fmt::format("a number above {} (bands in increasing order)", previous_bound)
                : std::string("a positive number");
        if (!bound->is_number()) fail_expected(bound_key, expected + " or \"inf\"", *bound);
        if (last)
            fail_expected(bound_key,
                          "\"inf\" or no value in the last band (it holds every higher density)",
                          *bound);
        const double value = *bound->value<double>();
        if (!(value > previous_bound) || !std::isfinite(value))
            fail_expected(bound_key, expected, *bound);
        out.max_density_km2 = value;
    }
    out.factor = std::numeric_limits<double>::quiet_NaN();
    read_number(band, "factor", key + ".factor", "a number ≥ 0",
                [](double v) { return v >= 0 && std::isfinite(v); }, out.factor);
    if (std::isnan(out.factor)) fail_missing(key + ".factor", "a number ≥ 0");
}

void ModelReader::read_goal(const toml::table& goal, Model& model) const {
    check_keys(goal, "goal", {"method", "baseline", "column", "cap_factor", "density"});
    read_choice(goal, "method", "goal.method", {"density-table", "column", "constant"},
                model.goal_method);
    read_number(goal, "baseline", "goal.baseline", "a number between 0 and 1",
                [](double v) { return v >= 0 && v <= 1; }, model.goal_baseline);
    read_role(goal, "column", "goal.column", false, model.goal_column);
    read_number(goal, "cap_factor", "goal.cap_factor", "a positive number",
                [](double v) { return v > 0 && std::isfinite(v); }, model.goal_cap_factor);
    const toml::array* bands = table_array(goal, "density", "goal.density");
    if (!bands) return;
    double previous_bound = 0;
    for (std::size_t i = 0; i < bands->size(); ++i) {
        DensityBand band{};
        read_density_band(*(*bands)[i].as_table(), fmt::format("goal.density[{}]", i + 1),
                          i + 1 == bands->size(), previous_bound, band);
        previous_bound = band.max_density_km2;
        model.density_table.push_back(band);
    }
}

ModelVariable ModelReader::read_variable(const toml::table& variable,
                                         const std::string& key) const {
    check_keys(variable, key,
               {"name", "column", "description", "weight", "cap", "normalise", "scale"});
    ModelVariable out;
    if (!variable.get("name"))
        fail_missing(key + ".name", "a name of letters, digits, '_' and '-'");
    read_role(variable, "name", key + ".name", false, out.name);
    out.column = out.name;
    read_string(variable, "column", key + ".column", out.column);
    if (out.column.empty())
        fail_expected(key + ".column", "a column name", *variable.get("column"));
    read_string(variable, "description", key + ".description", out.description);
    read_number(variable, "weight", key + ".weight", "a number ≥ 0",
                [](double v) { return v >= 0 && std::isfinite(v); }, out.weight);
    if (variable.get("cap")) {
        double cap = 0;
        read_number(variable, "cap", key + ".cap", "a finite number",
                    [](double v) { return std::isfinite(v); }, cap);
        out.cap = cap;
    }
    read_choice(variable, "normalise", key + ".normalise", {"min-max", "max", "none"},
                out.normalise);
    read_number(variable, "scale", key + ".scale", "a positive number",
                [](double v) { return v > 0 && std::isfinite(v); }, out.scale);
    return out;
}

void ModelReader::read_priority(const toml::table& priority, Model& model) const {
    check_keys(priority, "priority", {"floor", "scope", "variables"});
    read_number(priority, "floor", "priority.floor", "a number between 0 and 1",
                [](double v) { return v >= 0 && v <= 1; }, model.priority_floor);
    read_role(priority, "scope", "priority.scope", true, model.scope_column);
    const toml::array* variables = table_array(priority, "variables", "priority.variables");
    if (!variables || variables->empty()) {
        const std::string expected = "at least one [[priority.variables]] table";
        if (variables) fail_expected("priority.variables", expected, *priority.get("variables"));
        fail_missing("priority.variables", expected);
    }
    double weight_sum = 0;
    for (std::size_t i = 0; i < variables->size(); ++i) {
        const std::string key = fmt::format("priority.variables[{}]", i + 1);
        ModelVariable variable = read_variable(*(*variables)[i].as_table(), key);
        for (const ModelVariable& other : model.variables)
            if (other.name == variable.name)
                fail(key + ".name",
                     fmt::format("the variable {} is defined twice", quote(variable.name)));
        weight_sum += variable.weight;
        model.variables.push_back(std::move(variable));
    }
    if (!(weight_sum > 0))
        fail("priority.variables", "the weights sum to 0; at least one weight must be positive");
}

Model ModelReader::read(const toml::table& root) const {
    check_keys(root, "", {"model", "goal", "population", "priority", "score", "trees", "target"});
    Model model;
    model.source = m_source;
    model.goal_column = "goal";
    const std::string_view source_view = m_source;
    model.name = source_view.substr(0, builtin_prefix.size()) == builtin_prefix
                     ? m_source.substr(builtin_prefix.size())
                     : std::filesystem::path(m_source).stem().string();

    if (const toml::table* section_model = section(root, "model")) {
        check_keys(*section_model, "model", {"name", "description", "coverage"});
        read_string(*section_model, "name", "model.name", model.name);
        read_string(*section_model, "description", "model.description", model.description);
        read_choice(*section_model, "coverage", "model.coverage", {"canopy", "shade"}, model.coverage);
    }
    if (const toml::table* goal = section(root, "goal")) read_goal(*goal, model);
    if (model.goal_method == "density-table" && model.density_table.empty())
        fail_missing("goal.density",
                     "at least one [[goal.density]] band with method = \"density-table\"");

    if (const toml::table* population = section(root, "population")) {
        check_keys(*population, "population", {"column"});
        read_string(*population, "column", "population.column", model.population_column);
        if (model.population_column.empty())
            fail_expected("population.column", "a column name", *population->get("column"));
    }

    const toml::table* priority = section(root, "priority");
    if (!priority) fail_missing("priority.variables", "at least one [[priority.variables]] table");
    read_priority(*priority, model);

    if (const toml::table* score = section(root, "score")) {
        check_keys(*score, "score", {"max", "rounding"});
        read_number(*score, "max", "score.max", "a positive number",
                    [](double v) { return v > 0 && std::isfinite(v); }, model.score_max);
        read_choice(*score, "rounding", "score.rounding", {"floor", "round", "none"},
                    model.score_rounding);
    }
    if (const toml::table* trees = section(root, "trees")) {
        check_keys(*trees, "trees", {"crown_area_m2", "rounding"});
        read_number(*trees, "crown_area_m2", "trees.crown_area_m2", "a positive number",
                    [](double v) { return v > 0 && std::isfinite(v); }, model.crown_area_m2);
        read_choice(*trees, "rounding", "trees.rounding", {"floor", "round", "none"},
                    model.trees_rounding);
    }
    if (const toml::table* target = section(root, "target")) {
        check_keys(*target, "target", {"score"});
        if (target->get("score")) {
            double score = 0;
            const double score_max = model.score_max;
            read_number(*target, "score", "target.score",
                        fmt::format("a number between 0 and {} (score.max)", score_max),
                        [score_max](double v) { return v >= 0 && v <= score_max; }, score);
            model.target_score = score;
        }
    }
    return model;
}

/// Rounds as a model says. "floor" forgives a relative 1e-9: binary arithmetic can land
/// a hair below a whole number that exact arithmetic reaches (100 × (1 − 0.34) gives
/// 65.99999999999999, which must floor to 66).
double round_as(double value, const std::string& rounding, const char* key) {
    if (rounding == "floor") return std::floor(value + 1e-9 * std::max(1.0, std::abs(value)));
    if (rounding == "round") return std::round(value);
    if (rounding == "none") return value;
    throw ModelError(key, fmt::format("expected one of \"floor\", \"round\", \"none\", got {}",
                                      quote(rounding)));
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<double> variable_value(const RankingUnit& unit, const std::string& name) {
    const auto it = unit.variables.find(name);
    if (it == unit.variables.end()) return std::nullopt;
    return it->second;
}

std::optional<double> unit_goal(const Model& model, const RankingUnit& unit,
                                const std::optional<double>& density_km2,
                                const std::string& goal_column) {
    if (model.goal_method == "constant") return model.goal_baseline;
    if (model.goal_method == "column") return variable_value(unit, goal_column);
    if (model.goal_method == "density-table") {
        if (!density_km2) return std::nullopt;
        return tes::density_goal(model.goal_baseline, *density_km2, model.density_table,
                                 model.goal_cap_factor);
    }
    throw ModelError(model.source,
                     fmt::format("key 'goal.method': expected one of \"density-table\", "
                                 "\"column\", \"constant\", got {}",
                                 quote(model.goal_method)));
}

}  // namespace

Model Model::parse(const std::string& toml_text, const std::string& source) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source);
    } catch (const toml::parse_error& error) {
        const toml::source_position begin = error.source().begin;
        throw ModelError(source, fmt::format("line {}, column {}: {}", begin.line, begin.column,
                                             error.description()));
    }
    return ModelReader(source).read(root);
}

Model Model::load_file(const std::string& path) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored))
        throw ModelError(path, "is a folder, not a model file");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ModelError error(path, "cannot open the model file");
        error.with_hint("give a built-in model name or the path of a TOML model file "
                        "(see shadegap models)");
        throw error;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

Model Model::builtin(const std::string& name) {
    return parse(builtin_model_text(name), std::string(builtin_prefix) + name);
}

Model Model::resolve(const std::string& name_or_path) {
    for (const auto& [name, text] : detail::builtin_model_sources()) {
        (void)text;
        if (name == name_or_path) return builtin(name);
    }
    std::error_code ignored;
    const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                                 std::filesystem::path(name_or_path).extension() == ".toml" ||
                                 std::filesystem::exists(name_or_path, ignored);
    if (looks_like_path) return load_file(name_or_path);
    ModelError error(name_or_path,
                     fmt::format("neither a built-in model ({}) nor a model file",
                                 join(builtin_model_names(), ", ")));
    error.with_hint("see shadegap models");
    throw error;
}

std::vector<std::pair<std::string, std::string>> Model::fields() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const ModelVariable& variable : variables)
        if (variable.column != population_column) out.emplace_back(variable.name, variable.column);
    if (goal_method == "column") {
        const std::string role = goal_column.empty() ? "goal" : goal_column;
        out.emplace_back(role, role);
    }
    return out;
}

std::vector<std::string> builtin_model_names() {
    std::vector<std::string> names;
    for (const auto& [name, text] : detail::builtin_model_sources()) {
        (void)text;
        names.push_back(name);
    }
    return names;
}

std::string builtin_model_text(const std::string& name) {
    for (const auto& [model_name, text] : detail::builtin_model_sources())
        if (model_name == name) return text;
    ModelError error(name, fmt::format("not a built-in model (built-in models: {})",
                                       join(builtin_model_names(), ", ")));
    error.with_hint("see shadegap models");
    throw error;
}

namespace tes {

double density_goal(double baseline, double density_km2, const std::vector<DensityBand>& table,
                    double cap_factor) {
    if (table.empty()) throw ModelError("goal.density", "the density table has no band");
    double factor = table.back().factor;
    for (const DensityBand& band : table) {
        if (density_km2 < band.max_density_km2) {
            factor = band.factor;
            break;
        }
    }
    return std::min(baseline * factor, cap_factor * baseline);
}

std::vector<std::optional<double>> normalise(const std::vector<std::optional<double>>& values,
                                             const std::vector<std::string>& scopes,
                                             const std::string& method) {
    if (method != "min-max" && method != "max" && method != "none")
        throw ModelError("normalise", fmt::format("expected one of \"min-max\", \"max\", "
                                                  "\"none\", got {}", quote(method)));
    if (!scopes.empty() && scopes.size() != values.size())
        throw ModelError("normalise", fmt::format("{} values but {} scopes", values.size(),
                                                  scopes.size()));
    if (method == "none") return values;
    static const std::string whole_run;
    const auto scope_of = [&](std::size_t i) -> const std::string& {
        return scopes.empty() ? whole_run : scopes[i];
    };
    struct Range {
        double min = std::numeric_limits<double>::infinity();
        double max = -std::numeric_limits<double>::infinity();
    };
    std::map<std::string, Range> ranges;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        Range& range = ranges[scope_of(i)];
        range.min = std::min(range.min, *values[i]);
        range.max = std::max(range.max, *values[i]);
    }
    std::vector<std::optional<double>> out(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        const Range& range = ranges.at(scope_of(i));
        if (method == "max")
            out[i] = range.max > 0 ? *values[i] / range.max : 0.0;
        else
            out[i] = range.max > range.min ? (*values[i] - range.min) / (range.max - range.min)
                                           : 0.0;
    }
    return out;
}

std::optional<double> priority_index(const std::vector<std::optional<double>>& components,
                                     const std::vector<double>& weights, double floor) {
    if (components.size() != weights.size())
        throw ModelError("priority", fmt::format("{} components but {} weights",
                                                 components.size(), weights.size()));
    double weighted = 0;
    double weight_sum = 0;
    for (std::size_t k = 0; k < components.size(); ++k) {
        if (!components[k]) continue;
        weighted += weights[k] * *components[k];
        weight_sum += weights[k];
    }
    if (!(weight_sum > 0)) return std::nullopt;
    return floor + (1 - floor) * (weighted / weight_sum);
}

double score(double gap, double gap_max, double priority, double score_max,
             const std::string& rounding) {
    const double gap_score = gap_max > 0 ? gap / gap_max : 0.0;
    const double raw = score_max * (1 - gap_score * priority);
    return std::min(score_max, round_as(raw, rounding, "score.rounding"));
}

std::optional<double> city_score(const std::vector<double>& scores,
                                 const std::vector<double>& priorities, double score_max) {
    if (scores.size() != priorities.size())
        throw ModelError("city score", fmt::format("{} scores but {} priorities", scores.size(),
                                                   priorities.size()));
    double numerator = 0;
    double denominator = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (scores[i] < score_max) {
            numerator += scores[i];
            denominator += 1;
        } else {
            numerator += score_max * priorities[i];
            denominator += priorities[i];
        }
    }
    if (!(denominator > 0)) return std::nullopt;
    return numerator / denominator;
}

}  // namespace tes

ScoredTable apply_model(const Model& model, const RankingTable& table, Diagnostics& diagnostics) {
    const std::size_t n = table.units.size();
    ScoredTable out;
    out.units.resize(n);

    std::vector<const ModelVariable*> used;
    for (const ModelVariable& variable : model.variables) {
        if (contains(table.variables, variable.name) ||
            variable.column == model.population_column) {
            used.push_back(&variable);
            out.variables_used.push_back(variable.name);
        } else {
            diagnostics.warn("variable-missing", variable.name,
                             fmt::format("model variable '{}' has no column in the data (default "
                                         "column '{}', map one with --field {}=COLUMN): "
                                         "dropped; weights renormalised",
                                         variable.name, variable.column, variable.name));
        }
    }
    if (!model.variables.empty() && used.empty()) {
        std::vector<std::string> names;
        for (const ModelVariable& variable : model.variables)
            names.push_back(fmt::format("{} (column '{}')", variable.name, variable.column));
        ModelError error(model.source, fmt::format("none of the model's variables has a column "
                                                   "in the data: {}", join(names, ", ")));
        error.with_hint("map them with --field NAME=COLUMN");
        throw error;
    }

    // Goal, gap and the run's largest gap.
    const bool shade = model.coverage == "shade";
    // The area a coverage share is of: what a gap of 1 would take to fill.
    const auto base_m2 = [shade](const RankingUnit& unit) {
        return std::max(0.0, shade ? unit.sums.shade_mask_m2 : unit.land_m2());
    };
    const std::string goal_column = model.goal_column.empty() ? "goal" : model.goal_column;
    std::size_t goals_missing = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const RankingUnit& unit = table.units[i];
        ScoredUnit& scored = out.units[i];
        scored.coverage = shade ? unit.shade_fraction() : unit.canopy_fraction();
        const double land_m2 = unit.land_m2();
        if (land_m2 > 0) scored.density_km2 = unit.population / (land_m2 / 1e6);
        scored.goal = unit_goal(model, unit, scored.density_km2, goal_column);
        if (model.goal_method == "column" && !scored.goal) ++goals_missing;
        if (model.goal_method == "column" && scored.goal &&
            !(*scored.goal >= 0 && *scored.goal <= 1))
            throw InputError(unit.id, fmt::format("goal column '{}' holds {}; expected a {} "
                                                  "fraction between 0 and 1",
                                                  goal_column, *scored.goal, model.coverage));
        if (scored.coverage && scored.goal) {
            scored.gap = std::max(0.0, *scored.goal - *scored.coverage);
            out.gap_max = std::max(out.gap_max, *scored.gap);
        }
    }
    if (goals_missing == n && n > 0) {
        ModelError error(model.source, fmt::format("goal.method = \"column\" but no unit has a "
                                                   "value in the goal column '{}'", goal_column));
        error.with_hint(fmt::format("map it with --field {}=COLUMN", goal_column));
        throw error;
    }
    if (goals_missing > 0)
        diagnostics.warn("goal-missing", goal_column,
                         fmt::format("{} of {} units have no value in the goal column '{}': "
                                     "they get no gap and no score",
                                     goals_missing, n, goal_column));

    // Priority components, normalised within each scope.
    std::vector<std::string> scopes(n);
    for (std::size_t i = 0; i < n; ++i) scopes[i] = table.units[i].scope;
    std::vector<std::vector<std::optional<double>>> components;
    std::vector<double> weights;
    for (const ModelVariable* variable : used) {
        // Population is a count allocated by area, not a variable: read it from the unit.
        const bool is_population = variable->column == model.population_column;
        std::vector<std::optional<double>> values(n);
        std::size_t nulls = 0;
        std::size_t out_of_range = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::optional<double> value = is_population
                ? std::optional<double>(table.units[i].population)
                : variable_value(table.units[i], variable->name);
            if (value && !std::isfinite(*value)) value.reset();
            if (!value) {
                ++nulls;
                continue;
            }
            double x = *value * variable->scale;
            if (variable->cap) x = std::min(x, *variable->cap);
            if (variable->normalise == "none" && (x < 0 || x > 1)) ++out_of_range;
            values[i] = x;
        }
        if (nulls > 0)
            diagnostics.warn("variable-null", variable->name,
                             fmt::format("{} of {} units have no value for '{}': their priority "
                                         "uses the other variables, weights renormalised",
                                         nulls, n, variable->name));
        if (out_of_range > 0)
            diagnostics.warn("variable-range", variable->name,
                             fmt::format("{} of {} values of '{}' lie outside 0–1 although the "
                                         "model takes them as normalised (normalise = \"none\")",
                                         out_of_range, n, variable->name));
        components.push_back(tes::normalise(values, scopes, variable->normalise));
        weights.push_back(variable->weight);
    }

    std::size_t priorities_missing = 0;
    std::vector<double> city_scores;
    std::vector<double> city_priorities;
    for (std::size_t i = 0; i < n; ++i) {
        const RankingUnit& unit = table.units[i];
        ScoredUnit& scored = out.units[i];
        std::vector<std::optional<double>> unit_components(used.size());
        for (std::size_t k = 0; k < used.size(); ++k) {
            unit_components[k] = components[k][i];
            scored.components[used[k]->name] = components[k][i];
        }
        scored.priority = used.empty()
            ? std::optional<double>(1.0)
            : tes::priority_index(unit_components, weights, model.priority_floor);
        if (!scored.priority) ++priorities_missing;
        if (!scored.gap) continue;

        const double land_m2 = base_m2(unit);
        scored.gap_score = out.gap_max > 0 ? *scored.gap / out.gap_max : 0.0;
        scored.trees_needed =
            round_as(*scored.gap * land_m2 / model.crown_area_m2, model.trees_rounding,
                     "trees.rounding");
        if (!scored.priority) continue;

        scored.score_raw = model.score_max * (1 - *scored.gap_score * *scored.priority);
        scored.score = tes::score(*scored.gap, out.gap_max, *scored.priority, model.score_max,
                                  model.score_rounding);
        city_scores.push_back(*scored.score);
        city_priorities.push_back(*scored.priority);

        if (model.target_score) {
            // Solves score_raw(canopy_T) = T for canopy_T with gap_max held fixed.
            const double shortfall = 1 - *model.target_score / model.score_max;
            const double canopy_t = *scored.priority > 0
                ? *scored.goal - shortfall / *scored.priority * out.gap_max
                : 0.0;
            scored.target_coverage = std::max(0.0, canopy_t);
            scored.target_plant_m2 =
                std::max(0.0, *scored.target_coverage - *scored.coverage) * land_m2;
        }
    }
    if (priorities_missing > 0 && !used.empty())
        diagnostics.warn("priority-missing", model.name,
                         fmt::format("{} of {} units have no value for any priority variable: "
                                     "they get no score", priorities_missing, n));
    out.city_score = tes::city_score(city_scores, city_priorities, model.score_max);
    return out;
}

}  // namespace shadegap
