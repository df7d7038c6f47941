// read_project_file: a project TOML file into a RunConfig, paths resolved against its folder.
// SPDX-License-Identifier: MIT
#include "shadegap/config.hpp"

#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"

#include <fmt/format.h>
#include <gdal.h>
#include <toml++/toml.h>

#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace shadegap {
namespace {

namespace fs = std::filesystem;

/// A key whose value is a string, and whether that string is a path to resolve.
struct StringKey {
    const char* key;
    std::string RunConfig::*member;
    bool is_path;
};

const StringKey string_keys[] = {
    {"canopy", &RunConfig::canopy, true},
    {"shade", &RunConfig::shade, true},
    {"units", &RunConfig::units, true},
    {"units_layer", &RunConfig::units_layer, false},
    {"unit_id", &RunConfig::unit_id, false},
    {"join", &RunConfig::join, true},
    {"join_key", &RunConfig::join_key, false},
    {"neighbourhoods", &RunConfig::neighbourhoods, true},
    {"neighbourhoods_layer", &RunConfig::neighbourhoods_layer, false},
    {"neighbourhood_id", &RunConfig::neighbourhood_id, false},
    {"neighbourhood_name", &RunConfig::neighbourhood_name, false},
    // The American spellings, as the flags accept them.
    {"neighborhoods", &RunConfig::neighbourhoods, true},
    {"neighborhoods_layer", &RunConfig::neighbourhoods_layer, false},
    {"neighborhood_id", &RunConfig::neighbourhood_id, false},
    {"neighborhood_name", &RunConfig::neighbourhood_name, false},
    {"group_by", &RunConfig::group_by, false},
    {"out", &RunConfig::out, true},
};

/// Every key, in the order of the `run` options, for the unknown-key message.
const char* const known_keys =
    "canopy, canopy_kind, water_classes, shade, shade_mask, building_classes, walkable_classes, units, units_layer, unit_id, join, join_key, allow_unmatched, neighbourhoods, "
    "neighbourhoods_layer, neighbourhood_id, neighbourhood_name, group_by, model, allow_missing_variables, out, "
    "overwrite, threads, block_size, [fields], [scale]";

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

/// GDAL virtual paths (/vsizip/...) and connection strings (PG:dbname=x) stay as written.
bool is_plain_path(const std::string& path) {
    static const std::regex prefix(R"(^[A-Za-z][A-Za-z0-9_]+:)");
    return !std::regex_search(path, prefix);
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

    void read_fields(const toml::node& node, RunConfig& config) const {
        const toml::table* table = node.as_table();
        if (!table) fail("fields", "a table of ROLE = \"COLUMN\" (e.g. population = \"POP\")", node);
        for (const auto& [role, column] : *table) {
            const std::string key = "fields." + std::string(role.str());
            if (!column.is_string()) fail(key, "a column name (a string)", column);
            config.fields[std::string(role.str())] = column.as_string()->get();
        }
    }

    void read_scales(const toml::node& node, RunConfig& config) const {
        const toml::table* table = node.as_table();
        if (!table) fail("scale", "a table of ROLE = FACTOR (e.g. poverty = 0.01)", node);
        for (const auto& [role, factor] : *table) {
            const std::string key = "scale." + std::string(role.str());
            const std::optional<double> value = factor.value<double>();
            if (!factor.is_number() || !value || !std::isfinite(*value) || *value <= 0)
                fail(key, "a number above 0 (0.01 for a column in percent)", factor);
            config.scales[std::string(role.str())] = *value;
        }
    }

    bool flag_of(const std::string& key, const toml::node& node) const {
        if (!node.is_boolean()) fail(key, "true or false", node);
        return node.as_boolean()->get();
    }

    void read_key(const std::string& key, const toml::node& node, RunConfig& config) const {
        for (const StringKey& entry : string_keys) {
            if (key != entry.key) continue;
            const std::string value = string_of(key, node);
            config.*entry.member = entry.is_path ? resolved(value) : value;
            return;
        }
        if (key == "canopy_kind") {
            config.canopy_kind = string_of(key, node);
            try {
                (void)CanopyKind::parse(config.canopy_kind);
            } catch (const Error& error) {
                throw InputError(m_path, fmt::format("key 'canopy_kind': {}{}", error.message(),
                                                     error.hint().empty() ? "" : "; " + error.hint()));
            }
        } else if (key == "water_classes") {
            config.water_classes = classes_of(key, node);
        } else if (key == "building_classes") {
            config.building_classes = classes_of(key, node);
        } else if (key == "walkable_classes") {
            config.walkable_classes = classes_of(key, node);
        } else if (key == "shade_mask") {
            config.shade_mask = string_of(key, node);
            if (config.shade_mask != "land" && config.shade_mask != "walkable")
                fail(key, "\"land\" or \"walkable\"", node);
        } else if (key == "model") {
            const std::string model = string_of(key, node);
            const bool is_file = model.find('/') != std::string::npos || fs::path(model).extension() == ".toml";
            config.model = is_file ? resolved(model) : model;
        } else if (key == "overwrite") {
            config.overwrite = flag_of(key, node);
        } else if (key == "allow_unmatched") {
            config.allow_unmatched = flag_of(key, node);
        } else if (key == "allow_missing_variables") {
            config.allow_missing_variables = flag_of(key, node);
        } else if (key == "scale") {
            read_scales(node, config);
        } else if (key == "threads") {
            config.threads = count_of(key, node);
        } else if (key == "block_size") {
            config.block_size = count_of(key, node);
        } else if (key == "fields") {
            read_fields(node, config);
        } else {
            throw InputError(m_path, fmt::format("unknown key '{}' (known keys: {})", key, known_keys));
        }
    }

    std::string m_path;
    fs::path m_folder;
};

}  // namespace

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
            .with_hint("give a raster with --canopy PATH, or a project file first: shadegap run city.toml");
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
