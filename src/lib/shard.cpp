// Shards: the census units in N shares, each share's exact sums written to a folder, and
// the folders read back in place of the overlay's pixels (`shadegap merge`).
// SPDX-License-Identifier: MIT
#include "shadegap/shard.hpp"

#include "shadegap/error.hpp"
#include "shadegap/options.hpp"
#include "shadegap/output.hpp"
#include "shadegap/version.hpp"

#include "gdal_util.hpp"
#include "run_stages.hpp"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <type_traits>
#include <limits>
#include <memory>
#include <new>
#include <numeric>
#include <sstream>
#include <vector>

namespace shadegap {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* shard_format = "shadegap shard 2";  // 2: inputs identified by their contents
constexpr const char* manifest_name = "shard.json";
constexpr const char* sums_name = "sums.tsv";
/// The columns of sums.tsv after kind and index: a census unit's or a piece's ZoneSums,
/// then the census unit's heat sums (0 for pieces and without --heat).
constexpr const char* sums_header =
    "kind\tindex\tvalid_m2\tcanopy_m2\twater_m2\tnodata_m2\tcovered_m2\tshade_mask_m2\tshade_m2\tresidential_m2\t"
    "heat_valid_m2\theat_value_m2";
constexpr std::size_t sums_columns = 12;

/// Options that do not change what a run measures or writes: the merge gives its own.
bool is_local_option(const std::string& key) {
    return key == "out" || key == "overwrite" || key == "threads" || key == "shard";
}

/// The options of `config` that shape the run, by project-file key, exactly (doubles round-trip).
json config_json(const RunConfig& config) {
    json options = json::object();
    for (const RunOption& option : run_options()) {
        if (is_local_option(option.key)) continue;
        if (option.type == OptionType::CanopyKind || option.type == OptionType::Choice) {
            options[option.key] = option_text(option, config);  // typed values as their text
            continue;
        }
        std::visit(
            [&](auto member) {
                using Value = std::decay_t<decltype(config.*member)>;
                if constexpr (!std::is_enum_v<Value> && !std::is_same_v<Value, CanopyKind>)
                    options[option.key] = config.*member;
            },
            option.member);
    }
    return {{"project_file", config.project_file},
            {"project_keys", config.project_keys},
            {"walks", config.walks},
            {"plan", config.plan},
            {"options", options}};
}

RunConfig config_from_json(const json& j) {
    RunConfig config;
    config.project_file = j.at("project_file").get<std::string>();
    config.project_keys = j.at("project_keys").get<std::set<std::string>>();
    config.walks = j.at("walks").get<bool>();
    config.plan = j.at("plan").get<bool>();
    const json& options = j.at("options");
    for (const RunOption& option : run_options()) {
        if (is_local_option(option.key)) continue;
        if (option.type == OptionType::CanopyKind || option.type == OptionType::Choice) {
            set_option_text(option, options.at(option.key).get<std::string>(), config);
            continue;
        }
        std::visit(
            [&](auto member) {
                using Value = std::decay_t<decltype(config.*member)>;
                if constexpr (!std::is_enum_v<Value> && !std::is_same_v<Value, CanopyKind>)
                    config.*member = options.at(option.key).get<Value>();
            },
            option.member);
    }
    return config;
}

/// A double exactly, as a C99 hexadecimal float.
std::string hex(double value) {
    char text[40];
    std::snprintf(text, sizeof text, "%a", value);
    return text;
}

/// XXH3, 64 bits (libxxhash), fed piece by piece: the same bytes give the same hash everywhere.
class Hasher {
public:
    Hasher() : m_state(XXH3_createState()) {
        if (!m_state || XXH3_64bits_reset(m_state.get()) == XXH_ERROR) throw std::bad_alloc();
    }
    void add(const void* data, std::size_t size) { XXH3_64bits_update(m_state.get(), data, size); }
    void add(const std::string& text) {
        const std::uint64_t size = text.size();  // the length first: ("ab", "c") ≠ ("a", "bc")
        add(&size, sizeof size);
        add(text.data(), text.size());
    }
    /// The hash as 16 hex digits.
    std::string hex() const { return fmt::format("{:016x}", XXH3_64bits_digest(m_state.get())); }

private:
    struct Free {
        void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
    };
    std::unique_ptr<XXH3_state_t, Free> m_state;
};

struct VsiCloser {
    void operator()(VSILFILE* file) const {
        if (file) VSIFCloseL(file);
    }
};

/// Adds `length` bytes of `path` from `offset`, read through GDAL's VSI (so /vsis3/ and
/// /vsizip/ paths too); false when the file cannot be read.
bool add_bytes(Hasher& hasher, const std::string& path, vsi_l_offset offset, vsi_l_offset length) {
    const std::unique_ptr<VSILFILE, VsiCloser> file(VSIFOpenL(path.c_str(), "rb"));
    if (!file || VSIFSeekL(file.get(), offset, SEEK_SET) != 0) return false;
    std::vector<char> buffer(std::size_t{1} << 20);
    while (length > 0) {
        const std::size_t want = static_cast<std::size_t>(std::min<vsi_l_offset>(length, buffer.size()));
        const std::size_t got = VSIFReadL(buffer.data(), 1, want, file.get());
        hasher.add(buffer.data(), got);
        if (got != want) return false;
        length -= got;
    }
    return true;
}

/// The inputs that are rasters: possibly huge mosaics, of which each shard reads a part.
bool is_raster_input(const std::string& key) {
    return key == "canopy" || key == "shade" || key == "heat" || key == "landcover";
}

/// The files of a vector or table input: those GDAL names for the dataset (a shapefile's
/// .shp, .shx, .dbf, .prj...), with a CSV's .csvt, or the path alone (a model file).
std::vector<std::string> files_of(const std::string& path) {
    std::vector<std::string> files;
    {
        const detail::GdalErrorCapture quiet;
        const detail::GdalDataset dataset(
            GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
        if (dataset) {
            char** list = GDALGetFileList(dataset.get());
            for (char** name = list; name && *name; ++name) files.emplace_back(*name);
            CSLDestroy(list);
        }
    }
    if (files.empty()) files.push_back(path);
    if (EQUAL(CPLGetExtension(path.c_str()), "csv")) {
        const std::string csvt = CPLResetExtension(path.c_str(), "csvt");
        VSIStatBufL stat{};
        if (VSIStatL(csvt.c_str(), &stat) == 0) files.push_back(csvt);
    }
    return files;
}

/// A raster's grid as GDAL reads it from the header: dimensions, geotransform, CRS, data
/// type, nodata and band count; null when it cannot be opened as a raster.
json grid_of(const std::string& path) {
    const detail::GdalErrorCapture quiet;
    const detail::GdalDataset dataset(
        GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!dataset) return nullptr;
    double transform[6] = {0, 1, 0, 0, 0, 1};
    const bool has_transform = GDALGetGeoTransform(dataset.get(), transform) == CE_None;
    const int bands = GDALGetRasterCount(dataset.get());
    json nodata = json::array();
    std::string type;
    for (int b = 1; b <= bands; ++b) {
        GDALRasterBandH band = GDALGetRasterBand(dataset.get(), b);
        int has_nodata = 0;
        const double value = GDALGetRasterNoDataValue(band, &has_nodata);
        nodata.push_back(has_nodata ? json(hex(value)) : json(nullptr));
        if (b == 1) type = GDALGetDataTypeName(GDALGetRasterDataType(band));
    }
    json geotransform = json::array();
    for (const double v : transform) geotransform.push_back(hex(v));
    const char* crs = GDALGetProjectionRef(dataset.get());
    return {{"width", GDALGetRasterXSize(dataset.get())},
            {"height", GDALGetRasterYSize(dataset.get())},
            {"geotransform", has_transform ? geotransform : json(nullptr)},
            {"crs", crs ? crs : ""},
            {"data_type", type},
            {"nodata", nodata},
            {"bands", bands}};
}

/// What identifies one input, read through GDAL (so /vsis3/ and /vsizip/ paths too): its
/// size in bytes (-1 when it cannot be read from here) and
/// - for a vector, table or model input (small, and read whole by every shard), `xxh3`:
///   a hash of the bytes of all its files;
/// - for a raster (perhaps a mosaic of terabytes, read in part by each shard), its `grid`
///   and `xxh3_ends`: a hash of its first and last MiB (the whole file when smaller, as a
///   VRT's text), which in a GeoTIFF hold the header and the tile index, whose offsets and
///   sizes change with any tile's compressed bytes.
/// `modified` (the time of change) is kept for people only: copies on other machines differ in it.
json input_identity(const std::string& key, const std::string& path) {
    VSIStatBufL stat{};
    const bool found = VSIStatL(path.c_str(), &stat) == 0;
    json input = {{"key", key},
                  {"path", path},
                  {"bytes", found ? static_cast<std::int64_t>(stat.st_size) : -1},
                  {"modified", found ? static_cast<std::int64_t>(stat.st_mtime) : -1}};
    if (!found) return input;
    constexpr vsi_l_offset mib = vsi_l_offset{1} << 20;
    Hasher hasher;
    bool read = true;
    if (is_raster_input(key)) {
        input["grid"] = grid_of(path);
        const vsi_l_offset size = static_cast<vsi_l_offset>(stat.st_size);
        if (size <= 2 * mib) {
            read = add_bytes(hasher, path, 0, size);
        } else {
            read = add_bytes(hasher, path, 0, mib) && add_bytes(hasher, path, size - mib, mib);
        }
        input["xxh3_ends"] = read ? json(hasher.hex()) : json(nullptr);
    } else {
        for (const std::string& file : files_of(path)) {
            VSIStatBufL file_stat{};
            read = read && VSIStatL(file.c_str(), &file_stat) == 0;
            if (!read) break;
            hasher.add(std::string(CPLGetFilename(file.c_str())));  // not the folder: copies elsewhere match
            const std::uint64_t bytes = static_cast<std::uint64_t>(file_stat.st_size);
            hasher.add(&bytes, sizeof bytes);
            read = add_bytes(hasher, file, 0, bytes);
        }
        input["xxh3"] = read ? json(hasher.hex()) : json(nullptr);
    }
    return input;
}

/// Each input of `config` (rasters, vectors, the join CSV, a model file) as input_identity()
/// gives it.
json input_stats(const RunConfig& config) {
    detail::ensure_gdal_registered();
    json inputs = json::array();
    for (const RunOption& option : run_options()) {
        if (option.type != OptionType::InputPath && option.type != OptionType::Model) continue;
        if (!takes_option(config.walks ? "walks" : config.plan ? "plan" : "run", option)) continue;
        const std::string& path = config.*std::get<std::string RunConfig::*>(option.member);
        if (path.empty() || (option.type == OptionType::Model && !names_model_file(path))) continue;
        inputs.push_back(input_identity(option.key, path));
    }
    return inputs;
}

/// An input's identity without what may differ between copies of the same bytes.
json identity(json input) {
    input.erase("modified");
    return input;
}

json identities(const json& inputs) {
    json all = json::array();
    for (const json& input : inputs) all.push_back(identity(input));
    return all;
}

std::string fingerprint(const json& config, const json& inputs, int count) {
    const json all = {{"version", SHADEGAP_VERSION_STRING},
                      {"shards", count},
                      {"config", config},
                      {"inputs", identities(inputs)}};
    Hasher hasher;
    hasher.add(all.dump());
    return hasher.hex();
}

/// Hilbert index of (x, y) on a 2^16 × 2^16 grid.
std::uint64_t hilbert_index(std::uint32_t x, std::uint32_t y) {
    constexpr std::uint32_t n = 1u << 16;
    std::uint64_t d = 0;
    for (std::uint32_t s = n / 2; s > 0; s /= 2) {
        const std::uint32_t rx = (x & s) ? 1 : 0;
        const std::uint32_t ry = (y & s) ? 1 : 0;
        d += static_cast<std::uint64_t>(s) * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::swap(x, y);
        }
    }
    return d;
}

std::vector<int> shares_of(const AlignedZones& units, int count) {
    std::vector<double> x(units.polygons.size()), y(units.polygons.size());
    for (std::size_t i = 0; i < units.polygons.size(); ++i) {
        const Box b = bounding_box(units.polygons[i]);
        x[i] = (b.x_min + b.x_max) / 2;
        y[i] = (b.y_min + b.y_max) / 2;
    }
    return assign_shares(x, y, units.on_raster_m2, count);
}

std::string shard_name(int index, int count) {
    return fmt::format("{}/{}", index, count);
}

void append_row(std::string& text, const char* kind, std::size_t index, const ZoneSums& s, const ZoneMean& heat) {
    text += fmt::format("{}\t{}", kind, index);
    for (const double v : {s.valid_m2, s.canopy_m2, s.water_m2, s.nodata_m2, s.covered_m2, s.shade_mask_m2, s.shade_m2,
                           s.residential_m2, heat.valid_m2, heat.value_m2})
        text += "\t" + hex(v);
    text += '\n';
}

/// Throws OutputError when `out` cannot take a shard: a file in the way, or a shard there
/// already without overwrite.
void check_shard_folder(const RunConfig& config) {
    const fs::path out(config.out);
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw OutputError(config.out, "exists and is not a folder");
    if (config.overwrite) return;
    for (const char* name : {manifest_name, sums_name})
        if (fs::exists(out / name, ec))
            throw OutputError(config.out, std::string("already holds ") + name + "; shadegap does not overwrite outputs")
                .with_hint("use " + key_text("overwrite", "true") + ", or choose another " + key_text("out"));
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
    file.close();
    if (!file) throw OutputError(path, "cannot write the file");
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    if (!file) throw InputError(path, "cannot read the file");
    return text.str();
}

/// A shard folder's shard.json, its format checked.
json read_manifest(const std::string& dir) {
    const fs::path path = fs::path(dir) / manifest_name;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw InputError(dir, "no such folder (expected a shard folder)");
    if (!fs::exists(path, ec))
        throw InputError(dir, "holds no shard.json: not a shard folder (shadegap run --shard I/N --out DIR writes one)");
    json manifest;
    try {
        manifest = json::parse(read_file(path.string()));
        if (manifest.at("format").get<std::string>() != shard_format)
            throw InputError(path.string(), "format \"" + manifest.at("format").get<std::string>() + "\", expected \"" +
                                                shard_format + "\" (written by another version of shadegap)");
        (void)manifest.at("shard").get<int>();
        (void)manifest.at("shards").get<int>();
        (void)manifest.at("fingerprint").get<std::string>();
        (void)config_from_json(manifest.at("config"));
        for (const json& input : manifest.at("inputs").get<json::array_t>()) {
            (void)input.at("key").get<std::string>();
            (void)input.at("path").get<std::string>();
            (void)input.at("bytes").get<std::int64_t>();
        }
    } catch (const json::exception& error) {
        throw InputError(path.string(), std::string("not a shard file of shadegap: ") + error.what());
    }
    return manifest;
}

/// How input `now` differs from `before` (the same key and path), as a phrase after "it".
std::string change(const json& before, const json& now) {
    const auto bytes = [](const json& input) { return input.at("bytes").get<std::int64_t>(); };
    if (bytes(now) < 0) return "cannot be opened";
    if (bytes(before) < 0) return "can be opened, but could not be then";
    if (bytes(now) != bytes(before)) return fmt::format("has {} bytes, not {}", bytes(now), bytes(before));
    const json grid_now = now.value("grid", json()), grid_before = before.value("grid", json());
    if (grid_now != grid_before) {
        if (grid_now.is_null()) return "cannot be opened as a raster";
        if (grid_before.is_null()) return "is a raster, but could not be opened as one then";
        for (auto it = grid_before.begin(); it != grid_before.end(); ++it) {
            if (grid_now.value(it.key(), json()) == it.value()) continue;
            if (it.key() == "crs") return "has another CRS";
            return fmt::format("has {} {}, not {}", it.key(), grid_now.value(it.key(), json()).dump(), it.value().dump());
        }
    }
    const auto hash = [](const json& input, const char* name) {
        const json value = input.value(name, json());
        return value.is_string() ? value.get<std::string>() : std::string("none: unreadable");
    };
    if (hash(now, "xxh3_ends") != hash(before, "xxh3_ends"))
        return fmt::format("has other bytes in its first or last MiB (XXH3 {}, not {}), of the same size and grid",
                           hash(now, "xxh3_ends"), hash(before, "xxh3_ends"));
    if (hash(now, "xxh3") != hash(before, "xxh3"))
        return fmt::format("has other contents (XXH3 {}, not {}) of the same size", hash(now, "xxh3"),
                           hash(before, "xxh3"));
    return "differs";
}

/// Why two shards' manifests belong to different runs, in a few words.
std::string difference(const json& a, const json& b) {
    if (a.at("shadegap_version") != b.at("shadegap_version"))
        return "measured by shadegap " + b.at("shadegap_version").get<std::string>() + ", not " +
               a.at("shadegap_version").get<std::string>();
    const json& oa = a.at("config").at("options");
    const json& ob = b.at("config").at("options");
    for (auto it = oa.begin(); it != oa.end(); ++it)
        if (!ob.contains(it.key()) || ob.at(it.key()) != it.value())
            return "option " + it.key() + " is " + (ob.contains(it.key()) ? ob.at(it.key()).dump() : "unset") +
                   ", not " + it.value().dump();
    if (a.at("config") != b.at("config")) return "another project file";
    const json ia = identities(a.at("inputs"));
    const json ib = identities(b.at("inputs"));
    for (std::size_t k = 0; k < ia.size() && k < ib.size(); ++k)
        if (ia[k] != ib[k])
            return fmt::format("its {} {} {}", ib[k].at("key").get<std::string>(), ib[k].at("path").get<std::string>(),
                               change(ia[k], ib[k]));
    return "other inputs";
}

/// Throws InputError naming `dir` when an input is not what the shard measured (its
/// identity, input_identity(): not its time of change).
void check_inputs_unchanged(const std::string& dir, const json& manifest, const json& inputs_now) {
    const json measured = identities(manifest.at("inputs"));
    const json now = identities(inputs_now);
    for (std::size_t k = 0; k < measured.size() || k < now.size(); ++k) {
        if (k < measured.size() && k < now.size() && measured[k] == now[k]) continue;
        if (k >= measured.size() || k >= now.size())
            throw InputError(dir, "the shard was measured with other inputs than the run's");
        throw InputError(dir, fmt::format("{} {} is not what the shard measured: here it {}; the input changed since, "
                                          "or merge runs where relative paths name other files",
                                          measured[k].at("key").get<std::string>(),
                                          measured[k].at("path").get<std::string>(), change(measured[k], now[k])))
            .with_hint("measure the shards again, or merge from the folder the shards ran in");
    }
}

}  // namespace

std::string problem_with_shard(const std::string& text) {
    const auto slash = text.find('/');
    const auto read = [](const std::string& part, int& value) {
        if (part.empty() || part.size() > 9 || !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
        value = std::stoi(part);
        return true;
    };
    int index = 0, count = 0;
    if (slash == std::string::npos || !read(text.substr(0, slash), index) || !read(text.substr(slash + 1), count) ||
        count < 1 || index < 1 || index > count)
        return "expected I/N with 1 ≤ I ≤ N (e.g. 2/8: the second of eight shares), got \"" + text + "\"";
    return {};
}

ShardSpec parse_shard(const std::string& text) {
    const std::string problem = problem_with_shard(text);
    if (!problem.empty()) throw UsageError("shard", problem);
    const auto slash = text.find('/');
    return {std::stoi(text.substr(0, slash)), std::stoi(text.substr(slash + 1))};
}

std::vector<int> assign_shares(const std::vector<double>& x_centre, const std::vector<double>& y_centre,
                               const std::vector<double>& weight_m2, int count) {
    const std::size_t n = x_centre.size();
    std::vector<int> shares(n, 0);
    if (n == 0 || count <= 1) return shares;
    double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x_centre[i]) || !std::isfinite(y_centre[i])) continue;
        x_min = std::min(x_min, x_centre[i]);
        x_max = std::max(x_max, x_centre[i]);
        y_min = std::min(y_min, y_centre[i]);
        y_max = std::max(y_max, y_centre[i]);
    }
    const auto cell = [](double v, double lo, double hi) -> std::uint32_t {
        if (!std::isfinite(v) || !(hi > lo)) return 0;
        return static_cast<std::uint32_t>(std::min(65535.0, std::floor((v - lo) / (hi - lo) * 65535.0)));
    };
    std::vector<std::uint64_t> key(n);
    for (std::size_t i = 0; i < n; ++i)
        key[i] = hilbert_index(cell(x_centre[i], x_min, x_max), cell(y_centre[i], y_min, y_max));
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&key](std::size_t a, std::size_t b) { return key[a] < key[b]; });

    const auto weight = [&weight_m2](std::size_t i) {
        return std::isfinite(weight_m2[i]) && weight_m2[i] > 0 ? weight_m2[i] : 0.0;
    };
    double total = 0;
    for (const std::size_t i : order) total += weight(i);
    double before = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = order[k];
        // Without any area, by position along the curve.
        const double middle = total > 0 ? (before + weight(i) / 2) / total
                                         : (static_cast<double>(k) + 0.5) / static_cast<double>(n);
        shares[i] = std::min(count - 1, static_cast<int>(std::floor(middle * count)));
        before += weight(i);
    }
    return shares;
}

ShardResult run_shard(const RunConfig& config, const ProgressFn& progress) {
    ShardResult result;
    result.shard = parse_shard(config.shard);
    if (config.walks || config.plan)
        throw UsageError("shard", std::string("cannot be combined with shadegap ") + (config.walks ? "walks" : "plan"));
    Diagnostics& diagnostics = result.diagnostics;
    auto last = std::chrono::steady_clock::now();
    const auto lap = [&](const std::string& stage) {
        const auto now = std::chrono::steady_clock::now();
        result.timings.push_back({stage, std::chrono::duration<double>(now - last).count()});
        last = now;
    };
    const int threads = resolve_threads(config.threads);

    ScaledProgress(progress, 0.0, 0.05, "load")(0);
    const stages::Inputs inputs = stages::load(config, diagnostics);
    check_shard_folder(config);
    lap("load");
    ScaledProgress(progress, 0.05, 0.1, "align")(0);
    const stages::AlignedInputs aligned = stages::align(inputs, diagnostics);
    lap("align");

    const std::vector<int> shares = shares_of(aligned.units, result.shard.count);
    std::vector<bool> in_share(shares.size());
    for (std::size_t i = 0; i < shares.size(); ++i) in_share[i] = shares[i] == result.shard.index - 1;
    const ScaledProgress overlay_progress(progress, 0.1, 0.95, "overlay");
    const stages::ZoneMeasures measures = stages::measure_zones(
        inputs, aligned, config, threads, in_share, [&](double f, std::string_view) { overlay_progress(f); });
    lap("overlay");

    ScaledProgress(progress, 0.95, 1.0, "write")(0);
    std::string sums = std::string(sums_header) + "\n";
    const ZoneMean no_heat;
    for (std::size_t i = 0; i < in_share.size(); ++i) {
        if (!in_share[i]) continue;
        append_row(sums, "unit", i, measures.units[i], measures.heat.empty() ? no_heat : measures.heat[i]);
        ++result.units;
    }
    for (std::size_t k = 0; k < aligned.pieces.size(); ++k) {
        if (!in_share[aligned.pieces.unit[k]]) continue;
        append_row(sums, "piece", k, measures.pieces[k], no_heat);
        ++result.pieces;
    }
    result.unit_count = in_share.size();

    const json config_part = config_json(config);
    const json inputs_part = input_stats(config);
    json manifest = {{"format", shard_format},
                     {"shadegap_version", SHADEGAP_VERSION_STRING},
                     {"shard", result.shard.index},
                     {"shards", result.shard.count},
                     {"fingerprint", fingerprint(config_part, inputs_part, result.shard.count)},
                     {"census_units", result.unit_count},
                     {"units", result.units},
                     {"pieces", result.pieces},
                     {"config", config_part},
                     {"inputs", inputs_part}};
    OutputTransaction transaction(config.out, &diagnostics);
    write_text(transaction.path_for(manifest_name), manifest.dump(2) + "\n");
    write_text(transaction.path_for(sums_name), sums);
    ScaledProgress(progress, 0.95, 1.0, "write")(0.9);
    result.outputs = transaction.commit();
    lap("write");
    ScaledProgress(progress, 0.95, 1.0, "write")(1);
    return result;
}

RunConfig merge_config(const std::vector<std::string>& dirs, const std::string& out, bool overwrite, int threads) {
    if (dirs.empty()) throw UsageError("SHARD_DIR", "no shard folder given; give the N folders of shadegap run --shard I/N");
    std::vector<json> manifests;
    std::vector<std::string> by_index;
    for (const std::string& dir : dirs) {
        json manifest = read_manifest(dir);
        const int index = manifest.at("shard").get<int>();
        const int count = manifest.at("shards").get<int>();
        if (count < 1 || index < 1 || index > count)
            throw InputError(dir, fmt::format("names shard {}, which is not one of 1 to N", shard_name(index, count)));
        if (!manifests.empty()) {
            const json& first = manifests.front();
            const int first_count = first.at("shards").get<int>();
            if (count != first_count)
                throw InputError(dir, fmt::format("is shard {} of a run in {} shards, but {} is of {} shards: give the "
                                                  "shards of one split",
                                                  shard_name(index, count), count, dirs.front(), first_count));
            if (manifest.at("fingerprint") != first.at("fingerprint"))
                throw InputError(dir, fmt::format("is shard {} of another run than {} ({})", shard_name(index, count),
                                                  dirs.front(), difference(first, manifest)));
        } else {
            by_index.assign(static_cast<std::size_t>(count), std::string());
        }
        std::string& slot = by_index[static_cast<std::size_t>(index - 1)];
        if (!slot.empty())
            throw InputError(dir, fmt::format("is shard {} again ({} is that shard too)", shard_name(index, count), slot));
        slot = dir;
        manifests.push_back(std::move(manifest));
    }
    const int count = manifests.front().at("shards").get<int>();
    for (int index = 1; index <= count; ++index)
        if (by_index[static_cast<std::size_t>(index - 1)].empty())
            throw InputError(dirs.front(), fmt::format("shard {} is missing: the run is in {} shards and {} were given",
                                                       shard_name(index, count), count, dirs.size()))
                .with_hint("give the folders of all N shards of the run");

    RunConfig config = config_from_json(manifests.front().at("config"));
    const json inputs_now = input_stats(config);
    for (std::size_t k = 0; k < dirs.size(); ++k) check_inputs_unchanged(dirs[k], manifests[k], inputs_now);
    config.out = out;
    config.overwrite = overwrite;
    config.threads = threads;
    config.merge_shards = by_index;
    return config;
}

namespace stages {

ZoneMeasures read_shard_sums(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned) {
    const int count = static_cast<int>(config.merge_shards.size());
    const std::vector<int> shares = shares_of(aligned.units, count);
    const std::size_t n = shares.size();
    const json inputs_now = input_stats(config);

    ZoneMeasures result;
    result.units.resize(n);
    result.pieces.resize(aligned.pieces.size());
    if (inputs.heat) result.heat.resize(n);
    std::vector<bool> unit_seen(n), piece_seen(aligned.pieces.size());
    for (int s = 0; s < count; ++s) {
        const std::string& dir = config.merge_shards[static_cast<std::size_t>(s)];
        const json manifest = read_manifest(dir);
        check_inputs_unchanged(dir, manifest, inputs_now);
        const std::string path = (fs::path(dir) / sums_name).string();
        std::error_code ec;
        if (!fs::exists(path, ec)) throw InputError(dir, "holds shard.json but no sums.tsv: an incomplete shard folder");
        std::istringstream lines(read_file(path));
        std::string line;
        std::size_t line_number = 0, units = 0, pieces = 0;
        const auto bad = [&](const std::string& what) {
            return InputError(path, fmt::format("line {}: {}", line_number, what));
        };
        while (std::getline(lines, line)) {
            ++line_number;
            if (line_number == 1) {
                if (line != sums_header) throw bad("expected the header of shadegap's sums.tsv");
                continue;
            }
            std::vector<std::string> cells;
            std::istringstream row(line);
            for (std::string cell; std::getline(row, cell, '\t');) cells.push_back(cell);
            if (cells.size() != sums_columns) throw bad(fmt::format("{} columns, expected {}", cells.size(), sums_columns));
            double v[sums_columns - 2];
            for (std::size_t c = 2; c < sums_columns; ++c) {
                char* end = nullptr;
                v[c - 2] = std::strtod(cells[c].c_str(), &end);
                if (cells[c].empty() || *end != '\0') throw bad("\"" + cells[c] + "\" is not a number");
            }
            char* end = nullptr;
            const unsigned long long index = std::strtoull(cells[1].c_str(), &end, 10);
            if (cells[1].empty() || *end != '\0') throw bad("\"" + cells[1] + "\" is not an index");
            const ZoneSums sums{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
            if (cells[0] == "unit") {
                if (index >= n || shares[index] != s)
                    throw bad(fmt::format("census unit {} does not belong to shard {} of these inputs",
                                          index, shard_name(s + 1, count)));
                if (unit_seen[index]) throw bad(fmt::format("census unit {} twice", index));
                unit_seen[index] = true;
                result.units[index] = sums;
                if (inputs.heat) result.heat[index] = {v[8], v[9]};
                ++units;
            } else if (cells[0] == "piece") {
                if (index >= aligned.pieces.size() || shares[aligned.pieces.unit[index]] != s)
                    throw bad(fmt::format("neighbourhood piece {} does not belong to shard {} of these inputs", index,
                                          shard_name(s + 1, count)));
                if (piece_seen[index]) throw bad(fmt::format("neighbourhood piece {} twice", index));
                piece_seen[index] = true;
                result.pieces[index] = sums;
                ++pieces;
            } else {
                throw bad("kind \"" + cells[0] + "\", expected unit or piece");
            }
        }
        std::size_t units_expected = 0, pieces_expected = 0;
        for (std::size_t i = 0; i < n; ++i) units_expected += shares[i] == s;
        for (std::size_t k = 0; k < aligned.pieces.size(); ++k) pieces_expected += shares[aligned.pieces.unit[k]] == s;
        if (units != units_expected || pieces != pieces_expected)
            throw InputError(path, fmt::format("holds {} census units and {} pieces; shard {} of these inputs has {} and {}",
                                               units, pieces, shard_name(s + 1, count), units_expected, pieces_expected));
    }
    return result;
}

}  // namespace stages
}  // namespace shadegap
