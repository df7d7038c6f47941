// read_project_file: a project TOML file into a RunConfig, paths resolved against its folder;
// the thread and plain-path rules of RunConfig.
// SPDX-License-Identifier: MIT
#include "shadegap/config.hpp"

#include "shadegap/error.hpp"
#include "shadegap/options.hpp"

#include <fmt/format.h>
#include <gdal.h>
#include <omp.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shadegap {
namespace {

namespace fs = std::filesystem;

/// True when GDAL recognises `path` as a raster (a GeoTIFF, an image).
bool looks_like_raster(const std::string& path) {
    GDALAllRegister();
    return GDALIdentifyDriverEx(path.c_str(), GDAL_OF_RASTER, nullptr, nullptr) != nullptr;
}

/// A TOML value as the user wrote it, for messages: "two" with quotes, 3, [1, 2].
std::string shown(const toml::node& node) {
    if (node.is_table()) return "a table";
    if (const toml::value<std::string>* text = node.as_string()) return fmt::format("\"{}\"", text->get());
    std::ostringstream out;
    node.visit([&out](const auto& value) { out << value; });
    return out.str();
}

/// "canopy, canopy_kind, ..., [fields], [scale]": every key, in the order of the options.
std::string known_keys() {
    std::string keys;
    for (const RunOption& option : run_options()) {
        const bool is_table = option.type == OptionType::RoleColumns || option.type == OptionType::RoleFactors;
        keys += (keys.empty() ? "" : ", ") + (is_table ? "[" + option.key + "]" : option.key);
    }
    return keys;
}

/// The choices of a Choice option as TOML strings: "\"land\" or \"walkable\"".
std::string quoted_choices(const RunOption& option) {
    std::string text;
    for (std::size_t i = 0; i < option.choices.size(); ++i)
        text += (i == 0 ? "" : i + 1 == option.choices.size() ? " or " : ", ") + ("\"" + option.choices[i] + "\"");
    return text;
}

class ProjectReader {
public:
    explicit ProjectReader(std::string path) : m_path(std::move(path)), m_folder(fs::path(m_path).parent_path()) {}

    RunConfig read(const toml::table& table) const {
        RunConfig config;
        config.project_file = m_path;
        for (const auto& [key, node] : table) read_key(std::string(key.str()), node, config);
        return config;
    }

private:
    [[noreturn]] void fail(const std::string& key, const std::string& expected, const toml::node& node) const {
        throw InputError(m_path, fmt::format("key '{}': expected {}, got {}", key, expected, shown(node)));
    }

    std::string string_of(const std::string& key, const toml::node& node) const {
        if (!node.is_string()) fail(key, "a string", node);
        return node.as_string()->get();
    }

    int count_of(const std::string& key, const toml::node& node) const {
        if (!node.is_integer() || node.as_integer()->get() < 0 || node.as_integer()->get() > INT_MAX)
            fail(key, "an integer ≥ 0", node);
        return static_cast<int>(node.as_integer()->get());
    }

    /// A relative path is relative to the project file's folder, not the working directory.
    std::string resolved(const std::string& path) const {
        if (path.empty() || !is_plain_path(path) || fs::path(path).is_absolute() || m_folder.empty()) return path;
        return (m_folder / path).lexically_normal().string();
    }

    std::vector<double> classes_of(const std::string& key, const toml::node& node) const {
        const std::string expected = "numbers, as [4, 5] or \"4,5\"";
        std::vector<double> classes;
        if (const toml::array* array = node.as_array()) {
            for (const toml::node& item : *array) {
                if (!item.is_number()) fail(key, expected, node);
                classes.push_back(item.value<double>().value_or(0.0));
            }
            return classes;
        }
        if (!node.is_string()) fail(key, expected, node);
        std::stringstream items(node.as_string()->get());
        std::string item;
        while (std::getline(items, item, ',')) {
            std::size_t used = 0;
            try {
                classes.push_back(std::stod(item, &used));
            } catch (const std::exception&) {
                fail(key, expected, node);
            }
            if (item.find_first_not_of(" \t", used) != std::string::npos) fail(key, expected, node);
        }
        if (classes.empty()) fail(key, expected, node);
        return classes;
    }

    void read_fields(const RunOption& option, const toml::node& node, RunConfig& config) const {
        const toml::table* table = node.as_table();
        if (!table) fail(option.key, "a table of ROLE = \"COLUMN\" (e.g. population = \"POP\")", node);
        for (const auto& [role, column] : *table) {
            const std::string key = option.key + "." + std::string(role.str());
            if (!column.is_string()) fail(key, "a column name (a string)", column);
            (config.*std::get<std::map<std::string, std::string> RunConfig::*>(option.member))[std::string(role.str())] =
                column.as_string()->get();
            config.project_keys.insert(key);
        }
    }

    void read_scales(const RunOption& option, const toml::node& node, RunConfig& config) const {
        const toml::table* table = node.as_table();
        if (!table) fail(option.key, "a table of ROLE = FACTOR (e.g. poverty = 0.01)", node);
        for (const auto& [role, factor] : *table) {
            const std::string key = option.key + "." + std::string(role.str());
            const std::optional<double> value = factor.value<double>();
            if (!factor.is_number() || !value || !std::isfinite(*value) || *value <= 0)
                fail(key, "a number above 0 (0.01 for a column in percent)", factor);
            (config.*std::get<std::map<std::string, double> RunConfig::*>(option.member))[std::string(role.str())] =
                *value;
            config.project_keys.insert(key);
        }
    }

    bool flag_of(const std::string& key, const toml::node& node) const {
        if (!node.is_boolean()) fail(key, "true or false", node);
        return node.as_boolean()->get();
    }

    void read_key(const std::string& key, const toml::node& node, RunConfig& config) const {
        const RunOption* option = find_run_option(key);
        if (!option)
            throw InputError(m_path, fmt::format("unknown key '{}' (known keys: {})", key, known_keys()));
        config.project_keys.insert(option->key);
        switch (option->type) {
        case OptionType::InputPath:
        case OptionType::OutputPath:
            set_text(*option, resolved(string_of(key, node)), config);
            break;
        case OptionType::String:
            set_text(*option, string_of(key, node), config);
            break;
        case OptionType::Model: {
            const std::string model = string_of(key, node);
            set_text(*option, names_model_file(model) ? resolved(model) : model, config);
            break;
        }
        case OptionType::CanopyKind: {
            const std::string kind = string_of(key, node);
            const std::string problem = problem_with_value(*option, kind);
            if (!problem.empty()) throw InputError(m_path, fmt::format("key '{}': {}", key, problem));
            set_option_text(*option, kind, config);
            break;
        }
        case OptionType::Choice: {
            const std::string choice = string_of(key, node);
            if (!problem_with_value(*option, choice).empty()) fail(key, quoted_choices(*option), node);
            set_option_text(*option, choice, config);
            break;
        }
        case OptionType::Numbers:
            config.*std::get<std::vector<double> RunConfig::*>(option->member) = classes_of(key, node);
            break;
        case OptionType::Flag:
            config.*std::get<bool RunConfig::*>(option->member) = flag_of(key, node);
            break;
        case OptionType::Count:
            config.*std::get<int RunConfig::*>(option->member) = count_of(key, node);
            break;
        case OptionType::Real: {
            const std::optional<double> value = node.value<double>();
            if (!node.is_number() || !value || !std::isfinite(*value) || *value < 0) fail(key, "a number ≥ 0", node);
            config.*std::get<double RunConfig::*>(option->member) = *value;
            break;
        }
        case OptionType::RoleColumns:
            read_fields(*option, node, config);
            break;
        case OptionType::RoleFactors:
            read_scales(*option, node, config);
            break;
        }
    }

    static void set_text(const RunOption& option, std::string value, RunConfig& config) {
        config.*std::get<std::string RunConfig::*>(option.member) = std::move(value);
    }

    std::string m_path;
    fs::path m_folder;
};

}  // namespace

std::string to_string(ShadeMaskKind mask) {
    return mask == ShadeMaskKind::Walkable ? "walkable" : "land";
}

std::string to_string(OutputFormat format) {
    return format == OutputFormat::GeoPackage ? "gpkg" : "geojson";
}

ShadeMaskKind parse_shade_mask(const std::string& text) {
    if (text == "land") return ShadeMaskKind::Land;
    if (text == "walkable") return ShadeMaskKind::Walkable;
    throw UsageError("shade_mask", problem_with_value(*find_run_option("shade_mask"), text));
}

OutputFormat parse_output_format(const std::string& text) {
    if (text == "geojson") return OutputFormat::GeoJson;
    if (text == "gpkg") return OutputFormat::GeoPackage;
    throw UsageError("format", problem_with_value(*find_run_option("format"), text));
}

int resolve_threads(int requested) {
    return requested > 0 ? requested : std::max(1, omp_get_max_threads());
}

bool is_connection_string(const std::string& path) {
    const std::size_t colon = path.find(':');
    if (colon == std::string::npos || colon < 2 || !std::isalpha(static_cast<unsigned char>(path[0]))) return false;
    for (std::size_t i = 1; i < colon; ++i)
        if (!std::isalnum(static_cast<unsigned char>(path[i])) && path[i] != '_') return false;
    return true;
}

bool is_plain_path(const std::string& path) {
    return path.rfind("/vsi", 0) != 0 && !is_connection_string(path);
}

RunConfig read_project_file(const std::string& path) {
    std::error_code error;
    if (!fs::exists(path, error)) throw InputError(path, "no such file");
    if (fs::is_directory(path, error)) throw InputError(path, "is a folder, not a project file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, "cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    // A raster or a GeoPackage given where the project file goes: say what it is, not
    // what the TOML parser makes of its first bytes.
    if (content.find('\0') != std::string::npos) {
        const std::string what = looks_like_raster(path) ? "a raster" : "a binary file";
        throw InputError(path, "is " + what + ", not a project file (TOML text)")
            .with_hint("give a raster with " + key_text("canopy", "PATH") + ", or a project file first: shadegap run city.toml");
    }
    return parse_project_file(content, path);
}

JoinKeys join_keys(const RunConfig& config) {
    const auto equals = config.join_key.find('=');
    if (equals == std::string::npos) return {config.join_key, config.join_key};
    return {config.join_key.substr(0, equals), config.join_key.substr(equals + 1)};
}

RunConfig parse_project_file(const std::string& toml_text, const std::string& path) {
    toml::table table;
    try {
        table = toml::parse(toml_text, path);
    } catch (const toml::parse_error& parse_error) {
        throw InputError(path, fmt::format("line {}: {}", parse_error.source().begin.line, parse_error.description()));
    }
    return ProjectReader(path).read(table);
}

}  // namespace shadegap
