// Model files: TOML that states every choice of a model, read strictly; the built-in models.
// SPDX-License-Identifier: MIT
#include "shadegap/model_file.hpp"

#include "model_text.hpp"
#include "shadegap/error.hpp"

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

using detail::join;
using detail::quote;

namespace detail {
// Generated at build time from models/*.toml (cmake/embed_models.cmake): file stem → text.
const std::vector<std::pair<std::string, std::string>>& builtin_model_sources();
}  // namespace detail

namespace {

constexpr std::string_view builtin_prefix = "built-in:";

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
    /// One of `choices` (an enum), read from its text (to_string of each).
    template <typename Choice>
    void read_choice(const toml::table& table, std::string_view name, const std::string& key,
                     std::initializer_list<Choice> choices, Choice& out) const;

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

template <typename Choice>
void ModelReader::read_choice(const toml::table& table, std::string_view name,
                              const std::string& key, std::initializer_list<Choice> choices,
                              Choice& out) const {
    const toml::node* node = table.get(name);
    if (!node) return;
    std::vector<std::string> quoted;
    for (const Choice choice : choices) quoted.push_back(quote(to_string(choice)));
    const std::string expected = fmt::format("one of {}", join(quoted, ", "));
    if (!node->is_string()) fail_expected(key, expected, *node);
    const std::string value = *node->value_exact<std::string>();
    for (const Choice choice : choices) {
        if (to_string(choice) != value) continue;
        out = choice;
        return;
    }
    fail_expected(key, expected, *node);
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
    read_choice(goal, "method", "goal.method",
                {GoalMethod::DensityTable, GoalMethod::Column, GoalMethod::Constant}, model.goal_method);
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
    read_choice(variable, "normalise", key + ".normalise",
                {Normalisation::MinMax, Normalisation::Max, Normalisation::None}, out.normalise);
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
        read_choice(*section_model, "coverage", "model.coverage", {CoverageKind::Canopy, CoverageKind::Shade},
                    model.coverage);
    }
    if (const toml::table* goal = section(root, "goal")) read_goal(*goal, model);
    if (model.goal_method == GoalMethod::DensityTable && model.density_table.empty())
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
        read_choice(*score, "rounding", "score.rounding", {Rounding::Floor, Rounding::Round, Rounding::None},
                    model.score_rounding);
    }
    if (const toml::table* trees = section(root, "trees")) {
        check_keys(*trees, "trees", {"crown_area_m2", "rounding"});
        read_number(*trees, "crown_area_m2", "trees.crown_area_m2", "a positive number",
                    [](double v) { return v > 0 && std::isfinite(v); }, model.crown_area_m2);
        read_choice(*trees, "rounding", "trees.rounding", {Rounding::Floor, Rounding::Round, Rounding::None},
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
    if (goal_method == GoalMethod::Column) {
        const std::string role = goal_column.empty() ? "goal" : goal_column;
        out.emplace_back(role, role);
    }
    return out;
}

std::string to_string(CoverageKind coverage) {
    return coverage == CoverageKind::Shade ? "shade" : "canopy";
}

std::string to_string(GoalMethod method) {
    switch (method) {
    case GoalMethod::DensityTable: return "density-table";
    case GoalMethod::Column: return "column";
    case GoalMethod::Constant: return "constant";
    }
    return "density-table";
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
}  // namespace shadegap
