// `shadegap shade`: heights read tile by tile, the sun sampled, shadows cast and written through the output transaction.
// SPDX-License-Identifier: MIT
#include "shadegap/shade.hpp"

#include "cog_writer.hpp"
#include "gdal_util.hpp"
#include "shadegap/output.hpp"
#include "shadow_sweep.hpp"
#include "shadegap/config.hpp"
#include "shadegap/options.hpp"
#include "shadegap/version.hpp"

#include <cpl_string.h>
#include <fmt/format.h>
#include <omp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>

namespace shadegap {

namespace fs = std::filesystem;

using detail::HeightWindow;
using detail::LineFamily;
using detail::make_plane;
using detail::sanitize_height;
using detail::shadow_window;
using detail::SweepPlane;
using detail::sweep_plane;
using detail::union_of;

std::string shade_manifest_path(const std::string& out) {
    fs::path path(out);
    path.replace_extension(".json");
    return path.string();
}

namespace {

/// Metres per unit of a band's values from its unit type: empty or metres → 1, feet → 0.3048,
/// US survey feet → 1200/3937. Throws InputError for any other unit.
double height_unit_m(const std::string& path, const std::string& key) {
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture capture;
    detail::GdalDataset dataset(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    if (!dataset) throw InputError(path, capture.explain("cannot be opened as a raster"));
    const char* unit_text = GDALGetRasterUnitType(GDALGetRasterBand(dataset.get(), 1));
    std::string unit = unit_text ? unit_text : "";
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (unit.empty() || unit == "m" || unit == "metre" || unit == "meter" || unit == "metres" || unit == "meters")
        return 1.0;
    if (unit == "ft" || unit == "foot" || unit == "feet" || unit == "international foot") return 0.3048;
    if (unit == "us survey foot" || unit == "us-ft" || unit == "ftus" || unit == "us_survey_foot")
        return 1200.0 / 3937.0;
    InputError error(path, fmt::format("band 1 has the unit '{}'; heights must be in metres or feet ({})",
                                       unit_text ? unit_text : "", key_text(key)));
    error.with_hint("set the unit with gdal_edit.py -units m, or convert the heights to metres");
    throw error;
}

struct HeightLayer {
    std::string key;  ///< of shade_keys(): "surface", "buildings", "canopy_height"
    std::unique_ptr<RasterSource> source;
    double unit_m = 1;
};

/// A GeoTIFF being filled tile by tile, later turned into a COG. With `keep_open` false it is
/// closed between writes, so that hundreds of masks do not hold hundreds of open files.
class WorkRaster {
public:
    WorkRaster(const std::string& path, const RasterInfo& like, GDALDataType type, double nodata, bool keep_open)
        : m_path(path), m_keep_open(keep_open) {
        detail::GdalErrorCapture capture;
        GDALDriverH driver = GDALGetDriverByName("GTiff");
        const char* const options[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=LZW",
                                       "BIGTIFF=IF_SAFER", nullptr};
        m_dataset.reset(GDALCreate(driver, path.c_str(), static_cast<int>(like.grid.cols),
                                   static_cast<int>(like.grid.rows), 1, type, const_cast<char**>(options)));
        if (!m_dataset) throw OutputError(path, capture.explain("cannot be created"));
        double transform[6] = {like.grid.x_min, like.grid.cell_width, 0, like.grid.y_max, 0, -like.grid.cell_height};
        GDALSetGeoTransform(m_dataset.get(), transform);
        if (!like.crs_wkt.empty()) GDALSetProjection(m_dataset.get(), like.crs_wkt.c_str());
        GDALSetRasterNoDataValue(GDALGetRasterBand(m_dataset.get(), 1), nodata);
        m_type = type;
        if (!m_keep_open) close();
    }

    /// A raster made earlier by the constructor above, reopened for each write.
    WorkRaster(const std::string& path, GDALDataType type) : m_path(path), m_keep_open(false), m_type(type) {}

    void write(const Window& tile, void* values) {
        open();
        detail::GdalErrorCapture capture;
        if (GDALRasterIO(GDALGetRasterBand(m_dataset.get(), 1), GF_Write, static_cast<int>(tile.col0),
                         static_cast<int>(tile.row0), static_cast<int>(tile.cols), static_cast<int>(tile.rows), values,
                         static_cast<int>(tile.cols), static_cast<int>(tile.rows), m_type, 0, 0) != CE_None)
            throw OutputError(m_path, capture.explain("cannot be written"));
        if (!m_keep_open) close();
    }

    /// Writes the COG `target` (no overviews) from this raster and closes it.
    void copy_to_cog(const std::string& target) {
        detail::GdalErrorCapture capture;
        GDALDriverH driver = GDALGetDriverByName("COG");
        if (!driver) throw OutputError(target, "GDAL has no COG driver (GDAL 3.1 or later is needed)");
        const char* const options[] = {"COMPRESS=DEFLATE", "BLOCKSIZE=512", "OVERVIEWS=NONE",
                                       "BIGTIFF=IF_SAFER", nullptr};
        open();
        GDALFlushCache(m_dataset.get());
        detail::GdalDataset cog(GDALCreateCopy(driver, target.c_str(), m_dataset.get(), FALSE,
                                               const_cast<char**>(options), nullptr, nullptr));
        if (!cog) throw OutputError(target, capture.explain("cannot be written as a Cloud-Optimized GeoTIFF"));
        CPLErrorReset();
        cog.reset();
        if (CPLGetLastErrorType() >= CE_Failure) throw OutputError(target, capture.explain("cannot be finished"));
        m_dataset.reset();
        std::error_code ec;
        fs::remove(m_path, ec);
    }

private:
    void open() {
        if (m_dataset) return;
        detail::GdalErrorCapture capture;
        m_dataset.reset(GDALOpenEx(m_path.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE, nullptr, nullptr, nullptr));
        if (!m_dataset) throw OutputError(m_path, capture.explain("cannot be reopened"));
    }
    void close() {
        detail::GdalErrorCapture capture;
        CPLErrorReset();
        m_dataset.reset();
        if (CPLGetLastErrorType() >= CE_Failure) throw OutputError(m_path, capture.explain("cannot be written"));
    }

    std::string m_path;
    bool m_keep_open = true;
    detail::GdalDataset m_dataset;
    GDALDataType m_type = GDT_Byte;
};


std::string mask_name(const LocalDateTime& local) {
    return fmt::format("mask_{:04}{:02}{:02}T{:02}{:02}.tif", local.date.year, local.date.month, local.date.day,
                       local.hour, local.minute);
}

void refuse_existing(const fs::path& path, bool overwrite) {
    std::error_code ec;
    if (!overwrite && fs::exists(path, ec)) {
        OutputError error(path.string(), "already exists");
        error.with_hint("use " + key_text("overwrite", "true") + " to replace it");
        throw error;
    }
}

nlohmann::json raster_json(const HeightLayer& layer) {
    const RasterInfo& info = layer.source->info();
    // The manifest names each input by its flag ("--buildings"), as it always has: plan reads
    // it back (run_plan.cpp).
    return {{"flag", flag_of_key(layer.key)},
            {"path", info.path},
            {"columns", info.grid.cols},
            {"rows", info.grid.rows},
            {"pixel_width", info.grid.cell_width},
            {"pixel_height", info.grid.cell_height},
            {"crs", {{"name", info.crs_name}, {"authority", info.crs_authority}}},
            {"linear_unit_m", info.linear_unit_m},
            {"height_unit_m", layer.unit_m}};
}

std::string date_text(const CivilDate& date) { return fmt::format("{:04}-{:02}-{:02}", date.year, date.month, date.day); }
std::string clock_text(int minute) { return fmt::format("{:02}:{:02}", minute / 60, minute % 60); }

/// The height rasters of a run, opened and checked against each other.
struct ShadeInputs {
    HeightLayer opaque;
    HeightLayer canopy;
    /// The grid, CRS and path that the outputs follow.
    const RasterInfo& info() const { return (opaque.source ? opaque : canopy).source->info(); }
};

/// Checks the options that need no file, then opens the heights. Throws UsageError, InputError
/// or CrsError.
ShadeInputs open_inputs(const ShadeConfig& config) {
    if (!config.surface.empty() && (!config.buildings.empty() || !config.canopy_height.empty()))
        throw UsageError("surface", "cannot be combined with " + key_text("buildings") + " or " +
                                        key_text("canopy_height") +
                                        "; give the heights either as one opaque surface or as buildings and canopy");
    if (config.surface.empty() && config.buildings.empty() && config.canopy_height.empty()) {
        throw UsageError("surface", "heights are required: give " + key_text("surface", "PATH") + ", or " +
                                        key_text("buildings", "PATH") + " and/or " + key_text("canopy_height", "PATH"));
    }
    if (!(config.transmissivity >= 0 && config.transmissivity <= 1))
        throw UsageError("transmissivity", fmt::format("expected a share of light from 0 to 1, got {}", config.transmissivity));
    if (config.out.empty())
        throw UsageError("out", "required; give " + key_text("out", "PATH") + " (the shade-fraction COG)");
    if (!(config.sun_tolerance_deg >= 0 && std::isfinite(config.sun_tolerance_deg)))
        throw UsageError("sun_tolerance", fmt::format("expected a finite angle in degrees ≥ 0, got {}", config.sun_tolerance_deg));
    if (config.tile_size < 16)
        throw UsageError("tile_size", fmt::format("{} cells is below 16", config.tile_size));

    ShadeInputs inputs;
    HeightLayer& opaque_layer = inputs.opaque;
    HeightLayer& canopy_layer = inputs.canopy;
    if (!config.surface.empty()) {
        opaque_layer = {"surface", std::make_unique<RasterSource>(config.surface), height_unit_m(config.surface, "surface")};
    }
    if (!config.buildings.empty()) {
        opaque_layer = {"buildings", std::make_unique<RasterSource>(config.buildings),
                        height_unit_m(config.buildings, "buildings")};
    }
    if (!config.canopy_height.empty()) {
        canopy_layer = {"canopy_height", std::make_unique<RasterSource>(config.canopy_height),
                        height_unit_m(config.canopy_height, "canopy_height")};
    }
    const RasterInfo& info = inputs.info();
    if (opaque_layer.source && canopy_layer.source) {
        const RasterInfo& other = canopy_layer.source->info();
        if (!same_grid(info.grid, other.grid)) {
            InputError error(other.path, fmt::format("its grid ({} × {} cells of {} × {} from ({}, {})) differs from "
                                                     "{} ({} × {} cells of {} × {} from ({}, {}))",
                                                     other.grid.cols, other.grid.rows, other.grid.cell_width,
                                                     other.grid.cell_height, other.grid.x_min, other.grid.y_max,
                                                     key_text(opaque_layer.key),
                                                     info.grid.cols, info.grid.rows, info.grid.cell_width,
                                                     info.grid.cell_height, info.grid.x_min, info.grid.y_max));
            error.with_hint("warp one onto the other's grid, e.g. gdalwarp -te ... -tr ...");
            throw error;
        }
        if (!same_crs(info.crs_wkt, other.crs_wkt))
            throw CrsError(other.path, fmt::format("its CRS ({}) differs from {} ({})", other.crs_name,
                                                   key_text(opaque_layer.key), info.crs_name));
    }
    if (info.geographic) {
        CrsError error(info.path, fmt::format("its CRS ({}) is geographic: cells measured in degrees cannot carry "
                                              "shadows in metres", info.crs_name));
        error.with_hint("warp it to a projected CRS, e.g. gdalwarp -t_srs EPSG:32618");
        throw error;
    }
    return inputs;
}

/// The sampled instants of a run, made afresh from the sun's equations at each pass over them:
/// nothing is kept per instant, so memory does not grow with their number (a year at one-minute
/// steps is half a million instants).
class Instants {
public:
    Instants(const ShadeConfig& config, const RasterPlace& place) : m_config(config), m_place(place) {}

    /// Calls `visit(instant)` for every sampled instant, in order, and `on_missing(local)` for
    /// each local time skipped by a daylight-saving change.
    void each(const std::function<void(const ShadeInstant&)>& visit,
              const std::function<void(const LocalDateTime&)>& on_missing = {}) const {
        ShadeInstant instant;
        for_each_sun_sample(
            m_config.dates, m_config.window, m_config.step_minutes, m_config.zone, m_place.latitude_deg,
            m_place.longitude_deg,
            [&](const SunSample& sample) {
                instant.sample = sample;
                instant.grid_azimuth_deg =
                    std::fmod(sample.position.azimuth_deg + m_place.grid_convergence_deg + 360.0, 360.0);
                instant.used = sample.position.above_horizon();
                instant.mask = instant.used && !m_config.masks_dir.empty() ? mask_name(sample.local) : std::string();
                visit(instant);
            },
            on_missing);
    }

private:
    const ShadeConfig& m_config;
    RasterPlace m_place;
};

nlohmann::json instant_json(const ShadeInstant& instant) {
    const SunSample& s = instant.sample;
    nlohmann::json item = {{"local_time", format_local_time(s.local, s.offset_seconds)},
                           {"utc_time", format_utc_time(s.utc_seconds)},
                           {"azimuth_deg", s.position.azimuth_deg},
                           {"elevation_deg", s.position.elevation_deg},
                           {"grid_azimuth_deg", instant.grid_azimuth_deg},
                           {"used", instant.used}};
    if (!instant.used) item["skipped"] = "sun below the horizon";
    if (s.match == TimeZone::Match::ambiguous) item["note"] = "local time shown twice (clocks set back): the earlier instant";
    if (!instant.mask.empty()) item["mask"] = instant.mask;
    return item;
}

/// The sun positions whose shadows are cast, with --sun-tolerance above 0: the instants with
/// the sun up grouped by the cell of tolerance × tolerance degrees of (grid azimuth, elevation)
/// they fall in. Groups are numbered in the order of their first instant, and each position is
/// the mean of its instants' positions, summed in instant order: the same groups for any thread
/// count. A cell never straddles north (grid azimuths lie in [0, 360)), so the mean azimuth is
/// the plain mean.
struct SunGroup {
    double grid_azimuth_deg = 0;
    double elevation_deg = 0;
    std::vector<std::uint32_t> instants;  ///< numbers in the manifest's "instants" array
    std::vector<std::uint32_t> used;      ///< numbers among the instants with the sun up (masks)
};

std::vector<SunGroup> group_instants(const Instants& instants, double tolerance_deg) {
    std::vector<SunGroup> groups;
    std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> group_of_cell;
    std::uint32_t number = 0;
    std::uint32_t used = 0;
    instants.each([&](const ShadeInstant& instant) {
        if (instant.used) {
            const double elevation = instant.sample.position.elevation_deg;
            const std::pair<std::int64_t, std::int64_t> cell{
                static_cast<std::int64_t>(std::floor(instant.grid_azimuth_deg / tolerance_deg)),
                static_cast<std::int64_t>(std::floor(elevation / tolerance_deg))};
            const auto found = group_of_cell.emplace(cell, groups.size());
            if (found.second) groups.emplace_back();
            SunGroup& group = groups[found.first->second];
            group.grid_azimuth_deg += instant.grid_azimuth_deg;  // sums here, means below
            group.elevation_deg += elevation;
            group.instants.push_back(number);
            group.used.push_back(used++);
        }
        ++number;
    });
    for (SunGroup& group : groups) {
        const double count = static_cast<double>(group.instants.size());
        group.grid_azimuth_deg /= count;
        group.elevation_deg /= count;
    }
    return groups;
}

/// Writes `item` as an element of an array in the top-level object: two levels in, four spaces.
void write_item(std::ofstream& file, const nlohmann::json& item_json, bool& first) {
    file << (first ? "\n" : ",\n");
    first = false;
    const std::string item = item_json.dump(2);
    std::size_t line = 0;
    while (line < item.size()) {
        const std::size_t end = item.find('\n', line);
        const std::size_t stop = end == std::string::npos ? item.size() : end + 1;
        file << "    ";
        file.write(item.data() + line, static_cast<std::streamsize>(stop - line));
        line = stop;
    }
}

/// Writes the manifest beside the output (OUT.json): inputs, place, every instant and its sun.
/// The instants are written one by one as they are made again, into the place of a marker in
/// the rest of the document, which nlohmann::json lays out (keys in order, two-space indent):
/// the bytes are those of the whole document dumped at once.
void write_manifest(const std::string& path, const std::string& shown, const ShadeConfig& config,
                    const ShadeInputs& inputs, const ShadeResult& result, const Instants& instants,
                    const std::vector<SunGroup>& groups, float highest, int threads) {
    nlohmann::json missing = nlohmann::json::array();
    for (const LocalDateTime& local : result.missing) missing.push_back(format_local_time(local, 0).substr(0, 16));
    nlohmann::json rasters = nlohmann::json::array();
    for (const HeightLayer* layer : {&inputs.opaque, &inputs.canopy})
        if (layer->source) rasters.push_back(raster_json(*layer));
    nlohmann::json warnings = nlohmann::json::array();
    for (const Warning& warning : result.diagnostics.warnings())
        warnings.push_back({{"code", warning.code}, {"subject", warning.subject}, {"message", warning.message}});
    const std::string marker = "instants written here";
    const std::string positions_marker = "positions written here";
    const nlohmann::json head = {
        {"command", "shade"},
        {"version", SHADEGAP_VERSION_STRING},
        {"inputs", rasters},
        {"output", fs::path(config.out).filename().string()},
        {"masks_dir", config.masks_dir.empty() ? nlohmann::json(nullptr) : nlohmann::json(config.masks_dir)},
        {"place", {{"latitude_deg", result.place.latitude_deg},
                   {"longitude_deg", result.place.longitude_deg},
                   {"grid_convergence_deg", result.place.grid_convergence_deg},
                   {"from", "centre of the raster, through PROJ"}}},
        {"sun_algorithm", "NOAA solar-position equations (Meeus); azimuth clockwise from true north; "
                          "elevation apparent, with NOAA's refraction correction"},
        {"time_zone", config.zone.name()},
        {"dates", {{"first", date_text(config.dates.first)}, {"last", date_text(config.dates.last)}}},
        {"time", {{"start", clock_text(config.window.start_minute)}, {"end", clock_text(config.window.end_minute)}}},
        {"step_minutes", config.step_minutes},
        {"transmissivity", config.transmissivity},
        {"sun_tolerance_deg", config.sun_tolerance_deg},
        {"instants_sampled", result.sampled_count},
        {"instants_used", result.used_count},
        {"positions_computed", result.position_count},
        {"positions", positions_marker},
        {"instants", marker},
        {"missing_local_times", missing},
        {"highest_surface_m", highest},
        {"tile_size", config.tile_size},
        {"threads", threads},
        {"seconds", result.seconds},
        {"warnings", warnings}};
    const std::string text = head.dump(2);
    const std::string positions_placeholder = "\"positions\": \"" + positions_marker + "\"";
    const std::string placeholder = "\"instants\": \"" + marker + "\"";
    const std::size_t positions_at = text.find(positions_placeholder);
    const std::size_t instants_at = text.find(placeholder);
    if (instants_at == std::string::npos || positions_at == std::string::npos)
        throw OutputError(shown, "the manifest has no place for the instants");

    // The positions cast: with a tolerance, the groups; without, each instant with the sun up.
    const auto write_positions = [&](std::ofstream& file) {
        file << "\"positions\": [";
        bool first = true;
        if (config.sun_tolerance_deg > 0) {
            for (const SunGroup& group : groups)
                write_item(file, {{"grid_azimuth_deg", group.grid_azimuth_deg}, {"elevation_deg", group.elevation_deg},
                                  {"weight", group.instants.size()}, {"instants", group.instants}},
                           first);
        } else {
            std::uint32_t number = 0;
            instants.each([&](const ShadeInstant& instant) {
                if (instant.used)
                    write_item(file, {{"grid_azimuth_deg", instant.grid_azimuth_deg},
                                      {"elevation_deg", instant.sample.position.elevation_deg}, {"weight", 1},
                                      {"instants", {number}}},
                               first);
                ++number;
            });
        }
        file << (first ? "]" : "\n  ]");
    };
    const auto write_instants = [&](std::ofstream& file) {
        file << "\"instants\": [";
        bool first = true;
        instants.each([&](const ShadeInstant& instant) { write_item(file, instant_json(instant), first); });
        file << (first ? "]" : "\n  ]");
    };
    // The two arrays go where their markers are, in the document's (alphabetical) key order.
    const bool positions_first = positions_at < instants_at;
    const std::size_t first_at = positions_first ? positions_at : instants_at;
    const std::size_t first_end = first_at + (positions_first ? positions_placeholder : placeholder).size();
    const std::size_t second_at = positions_first ? instants_at : positions_at;
    const std::size_t second_end = second_at + (positions_first ? placeholder : positions_placeholder).size();

    std::ofstream file(path, std::ios::binary);
    file.write(text.data(), static_cast<std::streamsize>(first_at));
    if (positions_first) write_positions(file); else write_instants(file);
    file.write(text.data() + first_end, static_cast<std::streamsize>(second_at - first_end));
    if (positions_first) write_instants(file); else write_positions(file);
    file.write(text.data() + second_end, static_cast<std::streamsize>(text.size() - second_end));
    file << '\n';
    file.close();
    if (!file) throw OutputError(shown, "cannot be written");
}

}  // namespace

ShadeResult run_shade(const ShadeConfig& config, const ProgressFn& progress) {
    const auto started = std::chrono::steady_clock::now();
    ShadeResult result;

    ShadeInputs inputs = open_inputs(config);
    HeightLayer& opaque_layer = inputs.opaque;
    HeightLayer& canopy_layer = inputs.canopy;
    const RasterInfo& info = inputs.info();
    result.place = locate_raster(info);
    if (!config.force_tz) {
        check_zone_fits_place(config.zone, config.dates.first, result.place.longitude_deg, "the raster's centre");
        check_zone_fits_place(config.zone, config.dates.last, result.place.longitude_deg, "the raster's centre");
    }

    // Instants: counted here, made again at each pass below, never all kept.
    const Instants instants(config, result.place);
    std::size_t sampled = 0;
    instants.each([&](const ShadeInstant& instant) {
        ++sampled;
        if (instant.used) ++result.used_count;
    }, [&](const LocalDateTime& local) { result.missing.push_back(local); });
    result.sampled_count = sampled;
    if (result.used_count == 0) {
        UsageError error("time", fmt::format("the sun is below the horizon at all {} sampled instants at {:.4f}, "
                                               "{:.4f}", sampled, result.place.latitude_deg,
                                               result.place.longitude_deg));
        error.with_hint("check " + key_text("date") + ", " + key_text("time") + " and " + key_text("tz") +
                        " (the times are local clock times)");
        throw error;
    }
    for (const LocalDateTime& local : result.missing)
        result.diagnostics.warn_about_key("missing-local-time", "time",
                                fmt::format("{} does not exist in {} (daylight saving starts); left out",
                                            format_local_time(local, 0).substr(0, 16), config.zone.name()));
    const std::size_t used_count = result.used_count;

    // Sun positions: with a tolerance, the groups of instants, kept; without, every instant with
    // the sun up, made again at each pass. `each_position` visits them in order with their weight
    // and the numbers among the instants with the sun up of the instants they stand for.
    const double tolerance = config.sun_tolerance_deg;
    const std::vector<SunGroup> groups = tolerance > 0 ? group_instants(instants, tolerance) : std::vector<SunGroup>();
    result.position_count = tolerance > 0 ? groups.size() : used_count;
    const std::size_t position_count = result.position_count;
    const auto each_position = [&](const std::function<void(const SunDirection&, double, const std::uint32_t*,
                                                            std::size_t)>& visit) {
        if (tolerance > 0) {
            for (const SunGroup& group : groups)
                visit(SunDirection{group.grid_azimuth_deg, group.elevation_deg},
                      static_cast<double>(group.used.size()), group.used.data(), group.used.size());
            return;
        }
        std::uint32_t k = 0;
        instants.each([&](const ShadeInstant& instant) {
            if (!instant.used) return;
            visit(SunDirection{instant.grid_azimuth_deg, instant.sample.position.elevation_deg}, 1.0, &k, 1);
            ++k;
        });
    };

    // Outputs: refuse to replace anything before any work.
    const fs::path out_path(config.out);
    const fs::path manifest_path(shade_manifest_path(config.out));
    refuse_existing(out_path, config.overwrite);
    refuse_existing(manifest_path, config.overwrite);
    if (!config.masks_dir.empty())
        instants.each([&](const ShadeInstant& instant) {
            if (instant.used) refuse_existing(fs::path(config.masks_dir) / instant.mask, config.overwrite);
        });
    // The same transaction as `run`: a stop (an error, SIGINT, SIGTERM) leaves neither a partial
    // file nor a temporary folder, and the temporary folders of killed runs are removed.
    const fs::path out_dir = out_path.has_parent_path() ? out_path.parent_path() : fs::path(".");
    OutputTransaction staging(out_dir.string(), &result.diagnostics);
    std::unique_ptr<OutputTransaction> mask_staging;
    if (!config.masks_dir.empty())
        mask_staging = std::make_unique<OutputTransaction>(config.masks_dir, &result.diagnostics);

    // The highest surface anywhere (it bounds every shadow).
    const double unit = info.linear_unit_m > 0 ? info.linear_unit_m : 1.0;
    const double cell_width_m = info.grid.cell_width * unit;
    const double cell_height_m = info.grid.cell_height * unit;
    const std::int64_t cols = info.grid.cols;
    const std::int64_t rows = info.grid.rows;
    const int threads = resolve_threads(config.threads);

    // Heights in metres of `layer` over `window`, read through `source` (the layer's own, or a
    // thread's handle on the same raster); missing cells are 0 m and, with `valid`, marked so.
    const auto read_heights = [&](const HeightLayer& layer, RasterSource& source, const Window& window,
                                  std::vector<float>& heights, std::vector<std::uint8_t>* valid) {
        std::vector<double> values;
        source.read(window, values);
        const std::optional<double> nodata = layer.source->info().nodata;
        heights.resize(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const bool missing = std::isnan(values[i]) || (nodata && values[i] == *nodata);
            heights[i] = missing ? 0.0F : sanitize_height(values[i] * layer.unit_m);
            if (valid && !missing) (*valid)[i] = 1;
        }
    };

    // The tiles of the run (whole blocks of the inputs when the tile size is a multiple of
    // their block size, so that they are read without GDAL's block cache).
    const std::int64_t tile_size = config.tile_size;
    const std::int64_t tile_rows = (rows + tile_size - 1) / tile_size;
    const std::int64_t tile_cols = (cols + tile_size - 1) / tile_size;
    const auto tile_at = [&](std::int64_t tr, std::int64_t tc) {
        return Window{tr * tile_size, tc * tile_size, std::min(tile_size, rows - tr * tile_size),
                      std::min(tile_size, cols - tc * tile_size)};
    };

    // The highest surface anywhere (it bounds every shadow), read tile by tile, the tiles of
    // each row side by side: each thread with handles of its own on the rasters (a GDAL
    // dataset is not shared between threads). The highest is the same in any order.
    std::optional<detail::ScopedCacheLimit> cache_cap(std::in_place, GIntBig{64} << 20);
    float highest = 0;
    {
        struct Reader {
            std::unique_ptr<RasterSource> own[2];
            std::vector<float> heights;
            float highest = 0;
            std::exception_ptr error;
        };
        const int pass_threads = static_cast<int>(std::min<std::int64_t>(threads, tile_cols));
        std::vector<Reader> readers(static_cast<std::size_t>(pass_threads));
        HeightLayer* const layers[2] = {&opaque_layer, &canopy_layer};
        for (std::size_t t = 1; t < readers.size(); ++t)
            for (int l = 0; l < 2; ++l)
                if (layers[l]->source) readers[t].own[l] = std::make_unique<RasterSource>(layers[l]->source->info());
        for (std::int64_t tr = 0; tr < tile_rows; ++tr) {
#pragma omp parallel for num_threads(pass_threads) schedule(dynamic, 1)
            for (std::int64_t tc = 0; tc < tile_cols; ++tc) {
                const auto t = static_cast<std::size_t>(omp_get_thread_num());
                Reader& reader = readers[t];
                if (reader.error) continue;
                try {
                    for (int l = 0; l < 2; ++l) {
                        const HeightLayer& layer = *layers[l];
                        if (!layer.source) continue;
                        read_heights(layer, t == 0 ? *layer.source : *reader.own[l], tile_at(tr, tc), reader.heights,
                                     nullptr);
                        for (const float h : reader.heights) reader.highest = std::max(reader.highest, h);
                    }
                } catch (...) {
                    reader.error = std::current_exception();
                }
            }
            for (const Reader& reader : readers)
                if (reader.error) std::rethrow_exception(reader.error);
            if (progress) progress(0.1 * static_cast<double>(tr + 1) / static_cast<double>(tile_rows), "heights");
        }
        for (const Reader& reader : readers) highest = std::max(highest, reader.highest);
    }

    // Tiles, and the window of heights each needs for the longest shadow of any position: one
    // window per tile, whatever the number of positions.
    std::vector<Window> needed(static_cast<std::size_t>(tile_rows * tile_cols));
    bool sweeps_rows = false;     // some position's lines run mostly along columns (major = rows)
    bool sweeps_columns = false;  // … mostly along rows (major = columns)
    each_position([&](const SunDirection& sun, double, const std::uint32_t*, std::size_t) {
        const LineFamily family(cols, rows, cell_width_m, cell_height_m, sun, false);
        (family.columns_major ? sweeps_columns : sweeps_rows) = true;
        const std::int64_t reach = family.reach_steps(highest);
        for (std::int64_t tr = 0; tr < tile_rows; ++tr)
            for (std::int64_t tc = 0; tc < tile_cols; ++tc) {
                Window& window = needed[static_cast<std::size_t>(tr * tile_cols + tc)];
                window = union_of(window, shadow_window(family, tile_at(tr, tc), reach, cols, rows));
            }
    });

    // GDAL's cache holds what the windows read across block boundaries (a tile's halo is its
    // neighbours' cells): a few windows' worth, whatever the size of the raster.
    std::int64_t largest_window = 0;
    for (const Window& w : needed) largest_window = std::max(largest_window, w.cell_count());
    cache_cap.reset();
    cache_cap.emplace(std::max<GIntBig>(GIntBig{64} << 20, 4 * largest_window * 4 * 2));

    // The fractions go into the COG as each tile is done (cog_writer.hpp); with tiles of a
    // multiple of its 512-cell blocks (the default 1024), each tile completes its blocks.
    detail::StreamingCog fraction_cog(staging.path_for(out_path.filename().string()),
                                      staging.scratch_path("fraction"), info, -9999.0F, threads);
    // Masks stay open between tiles unless there are so many that files would run short; then
    // each is made at the first tile and reopened for the next.
    const bool keep_masks_open = used_count <= 64;
    std::vector<std::unique_ptr<WorkRaster>> open_masks(mask_staging && keep_masks_open ? used_count : 0);
    const auto mask_work_path = [&](std::size_t k) {
        return mask_staging->scratch_path(fmt::format("mask{}.work.tif", k));
    };

    // Each tile: the heights it needs are read once and laid out for the sweeps along each axis,
    // then every position is cast over them and counts once for each instant it stands for.
    // The counts are integers held exactly in a double per cell: 2²⁶ × (instants in opaque
    // shadow) + (instants in canopy shadow), below 2⁵³. One addition per cell and position,
    // exact, in any order: the same bytes at any thread count and tile size. (A double rather
    // than an integer, so that the compiler adds several cells at once on any x86-64.)
    constexpr double opaque_unit = 67108864.0;  // 2²⁶
    constexpr double short_opaque_unit = 4096.0;  // 2¹²
    if (static_cast<double>(used_count) >= opaque_unit)
        throw UsageError("step", fmt::format("{} instants with the sun up: more than 2²⁶ − 1 cannot be counted",
                                               used_count));
    const double shade_of_canopy = 1.0 - config.transmissivity;
    std::vector<std::uint8_t> codes;
    std::vector<std::uint8_t> valid;
    std::vector<std::uint8_t> window_valid;
    std::vector<std::uint8_t> canopy_valid;
    std::vector<double> counts_by_rows;     // the tile's cells, row-major
    std::vector<double> counts_by_columns;  // the tile's cells, column-major
    std::vector<float> fraction;
    std::vector<std::uint8_t> mask;
    HeightWindow window;
    SweepPlane plane_rows;
    SweepPlane plane_columns;
    // With several threads and enough positions, the threads cast whole positions side by side,
    // each into counts of its own, rather than the lines of one position: one position's lines
    // are a few chunks, and its threads would wait for each other at every position.
    // (At one thread the same path, for the short counts below.)
    const bool by_positions =
        !mask_staging && (threads == 1 || position_count >= 4 * static_cast<std::size_t>(threads));
    // Short counts: when fewer than 2¹² instants have the sun up (a summer at 15-minute steps
    // has 3,404), the threads count in floats, 2¹² × opaque + canopy, integers below 2²⁴ and so
    // exact in a float: half the memory traffic of doubles. Widened into the tile's doubles at
    // the tile's end; with more instants, doubles as above.
    const bool short_counts = by_positions && used_count < static_cast<std::size_t>(short_opaque_unit);
    std::vector<std::vector<double>> thread_counts_rows(by_positions && !short_counts ? static_cast<std::size_t>(threads) : 0);
    std::vector<std::vector<double>> thread_counts_columns(by_positions && !short_counts ? static_cast<std::size_t>(threads) : 0);
    std::vector<std::vector<float>> short_counts_rows(short_counts ? static_cast<std::size_t>(threads) : 0);
    std::vector<std::vector<float>> short_counts_columns(short_counts ? static_cast<std::size_t>(threads) : 0);
    const std::size_t batch_capacity = 32 * static_cast<std::size_t>(threads);
    std::vector<std::pair<SunDirection, double>> batch;
    for (std::int64_t tr = 0; tr < tile_rows; ++tr) {
        for (std::int64_t tc = 0; tc < tile_cols; ++tc) {
            const Window tile = tile_at(tr, tc);
            const bool first_tile = tr == 0 && tc == 0;
            window.window = needed[static_cast<std::size_t>(tr * tile_cols + tc)];
            window.opaque.clear();
            window.canopy.clear();
            // A cell is valid when any input has a value there; the tile lies in its window.
            window_valid.assign(static_cast<std::size_t>(window.window.cell_count()), 0);
            canopy_valid.assign(canopy_layer.source ? window_valid.size() : 0, 0);
            {
                // The two layers side by side when there are two threads: each GDAL dataset
                // is read by one thread only.
                std::exception_ptr errors[2];
                const int readers = opaque_layer.source && canopy_layer.source && threads > 1 ? 2 : 1;
#pragma omp parallel for num_threads(readers) schedule(static, 1)
                for (int l = 0; l < 2; ++l) {
                    try {
                        if (l == 0 && opaque_layer.source)
                            read_heights(opaque_layer, *opaque_layer.source, window.window, window.opaque,
                                         &window_valid);
                        if (l == 1 && canopy_layer.source)
                            read_heights(canopy_layer, *canopy_layer.source, window.window, window.canopy,
                                         &canopy_valid);
                    } catch (...) {
                        errors[l] = std::current_exception();
                    }
                }
                for (const std::exception_ptr& error : errors)
                    if (error) std::rethrow_exception(error);
                for (std::size_t i = 0; i < canopy_valid.size(); ++i) window_valid[i] |= canopy_valid[i];
            }
            if (sweeps_rows) plane_rows = make_plane(window, false, threads);
            if (sweeps_columns) plane_columns = make_plane(window, true, threads);
            valid.resize(static_cast<std::size_t>(tile.cell_count()));
            for (std::int64_t r = 0; r < tile.rows; ++r)
                std::copy_n(window_valid.begin() + (tile.row0 - window.window.row0 + r) * window.window.cols +
                                (tile.col0 - window.window.col0),
                            tile.cols, valid.begin() + r * tile.cols);

            counts_by_rows.assign(sweeps_rows || mask_staging ? static_cast<std::size_t>(tile.cell_count()) : 0, 0);
            counts_by_columns.assign(sweeps_columns && !mask_staging ? static_cast<std::size_t>(tile.cell_count()) : 0, 0);
            if (mask_staging) codes.resize(static_cast<std::size_t>(tile.cell_count()));
            // Casts one position over the tile with `sweep_threads` threads, counting into
            // `into_rows` and `into_columns` (the layouts of the two axes).
            // Counts of floats (short counts, below) count opaque instants in units of 2¹².
            const auto cast_counted = [&](const SunDirection& sun, double weight, auto* into_rows, auto* into_columns,
                                          int sweep_threads) {
                using Count = std::remove_pointer_t<decltype(into_rows)>;
                constexpr bool short_count = std::is_same_v<Count, float>;
                const bool cm = LineFamily(cols, rows, cell_width_m, cell_height_m, sun, false).columns_major;
                const SweepPlane& plane = cm ? plane_columns : plane_rows;
                const LineFamily family(cols, rows, cell_width_m, cell_height_m, sun, plane.major0,
                                        plane.major0 + plane.majors);
                const std::int64_t reach = family.reach_steps(highest);
                const auto add_opaque = static_cast<Count>(weight * (short_count ? short_opaque_unit : opaque_unit));
                const auto add_canopy = static_cast<Count>(weight);
                // Counted as the sweep finds them, in the layout of the sweep's axis.
                Count* const counts = cm ? into_columns : into_rows;
                const std::int64_t major0 = cm ? tile.col0 : tile.row0;
                const std::int64_t minor0 = cm ? tile.row0 : tile.col0;
                const std::int64_t minors = cm ? tile.rows : tile.cols;
                sweep_plane(family, plane, tile, reach, sweep_threads,
                            [=](std::int64_t major, std::int64_t minor, std::int64_t k, const double* code) {
                                // Locals, not the closure's members: stores into the
                                // counts could alias those, which stops vectorisation.
                                const Count opaque_add = add_opaque;
                                const Count canopy_add = add_canopy;
                                Count* const at = counts + (major - major0) * minors + (minor - minor0);
                                for (std::int64_t i = 0; i < k; ++i) {
                                    const double shadow = code[i];
                                    const Count canopy_or_none = shadow > 0.5 ? canopy_add : Count(0);
                                    at[i] += shadow > 1.5 ? opaque_add : canopy_or_none;
                                }
                            });
            };
            std::size_t p = 0;  // the position's number
            const auto report = [&]() {
                if (!progress) return;
                const double tiles_done = static_cast<double>(tr * tile_cols + tc) +
                                          static_cast<double>(p) / static_cast<double>(position_count);
                progress(0.1 + 0.8 * tiles_done / static_cast<double>(tile_rows * tile_cols), "shadows");
            };
            if (by_positions) {
                // Each thread casts whole positions, one at a time, into counts of its own
                // (thread 0 into the tile's); their sums are exact integers, so adding them up
                // gives the bytes of one thread. Positions are taken in batches, so that no list
                // grows with the number of instants.
                for (std::size_t t = 1; t < thread_counts_rows.size(); ++t) {
                    thread_counts_rows[t].assign(counts_by_rows.size(), 0);
                    thread_counts_columns[t].assign(counts_by_columns.size(), 0);
                }
                for (std::size_t t = 0; t < short_counts_rows.size(); ++t) {
                    short_counts_rows[t].assign(counts_by_rows.size(), 0);
                    short_counts_columns[t].assign(counts_by_columns.size(), 0);
                }
                const auto run_batch = [&]() {
                    const auto batch_size = static_cast<std::int64_t>(batch.size());
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
                    for (std::int64_t b = 0; b < batch_size; ++b) {
                        const auto t = static_cast<std::size_t>(omp_get_thread_num());
                        const std::pair<SunDirection, double>& position = batch[static_cast<std::size_t>(b)];
                        if (short_counts)
                            cast_counted(position.first, position.second, short_counts_rows[t].data(),
                                         short_counts_columns[t].data(), 1);
                        else
                            cast_counted(position.first, position.second,
                                         t == 0 ? counts_by_rows.data() : thread_counts_rows[t].data(),
                                         t == 0 ? counts_by_columns.data() : thread_counts_columns[t].data(), 1);
                    }
                    p += batch.size();
                    batch.clear();
                    report();
                };
                each_position([&](const SunDirection& sun, double weight, const std::uint32_t*, std::size_t) {
                    batch.emplace_back(sun, weight);
                    if (batch.size() == batch_capacity) run_batch();
                });
                if (!batch.empty()) run_batch();
                for (std::size_t t = 1; t < thread_counts_rows.size(); ++t) {
                    for (std::size_t i = 0; i < counts_by_rows.size(); ++i) counts_by_rows[i] += thread_counts_rows[t][i];
                    for (std::size_t i = 0; i < counts_by_columns.size(); ++i)
                        counts_by_columns[i] += thread_counts_columns[t][i];
                }
                const auto widen = [](const std::vector<float>& from, std::vector<double>& into) {
                    for (std::size_t i = 0; i < from.size(); ++i) {
                        const double total = from[i];
                        const double in_opaque = std::floor(total / short_opaque_unit);
                        into[i] += in_opaque * opaque_unit + (total - in_opaque * short_opaque_unit);
                    }
                };
                for (std::size_t t = 0; t < short_counts_rows.size(); ++t) {
                    widen(short_counts_rows[t], counts_by_rows);
                    widen(short_counts_columns[t], counts_by_columns);
                }
            } else {
                each_position([&](const SunDirection& sun, double weight, const std::uint32_t* used, std::size_t n) {
                    if (!mask_staging) {
                        cast_counted(sun, weight, counts_by_rows.data(), counts_by_columns.data(), threads);
                        ++p;
                        report();
                        return;
                    }
                    const bool cm = LineFamily(cols, rows, cell_width_m, cell_height_m, sun, false).columns_major;
                    const SweepPlane& plane = cm ? plane_columns : plane_rows;
                    const LineFamily family(cols, rows, cell_width_m, cell_height_m, sun, plane.major0,
                                            plane.major0 + plane.majors);
                    const std::int64_t reach = family.reach_steps(highest);
                    const double add_opaque = weight * opaque_unit;
                    const double add_canopy = weight;
                    // Masks need the codes of the whole tile: cast into them, then counted.
                    std::uint8_t* const out = codes.data();
                    const std::int64_t tile_cols_n = tile.cols;
                    const std::int64_t row0 = tile.row0;
                    const std::int64_t col0 = tile.col0;
                    sweep_plane(family, plane, tile, reach, threads,
                                [=](std::int64_t major, std::int64_t minor, std::int64_t k, const double* code) {
                                    for (std::int64_t i = 0; i < k; ++i) {
                                        const std::int64_t r = (cm ? minor + i : major) - row0;
                                        const std::int64_t c = (cm ? major : minor + i) - col0;
                                        out[r * tile_cols_n + c] = static_cast<std::uint8_t>(code[i]);
                                    }
                                });
                    for (std::size_t i = 0; i < codes.size(); ++i)
                        counts_by_rows[i] += codes[i] == 2 ? add_opaque : codes[i] == 1 ? add_canopy : 0.0;
                    // Every instant the position stands for gets its shadow as its mask.
                    mask.resize(codes.size());
                    for (std::size_t i = 0; i < codes.size(); ++i)
                        mask[i] = valid[i] ? (codes[i] != 0 ? 1 : 0) : 255;
                    for (std::size_t j = 0; j < n; ++j) {
                        const std::size_t k = used[j];
                        if (keep_masks_open) {
                            if (first_tile)
                                open_masks[k] = std::make_unique<WorkRaster>(mask_work_path(k), info, GDT_Byte, 255.0, true);
                            open_masks[k]->write(tile, mask.data());
                        } else if (first_tile) {
                            WorkRaster(mask_work_path(k), info, GDT_Byte, 255.0, false).write(tile, mask.data());
                        } else {
                            WorkRaster(mask_work_path(k), GDT_Byte).write(tile, mask.data());
                        }
                    }
                    ++p;
                    report();
                });
            }
            // Fraction = (instants in opaque shadow + (1 − T) × instants in canopy shadow) / instants.
            fraction.resize(static_cast<std::size_t>(tile.cell_count()));
            const double instants_used = static_cast<double>(used_count);
            for (std::int64_t r = 0; r < tile.rows; ++r)
                for (std::int64_t c = 0; c < tile.cols; ++c) {
                    const auto i = static_cast<std::size_t>(r * tile.cols + c);
                    double total = counts_by_rows.empty() ? 0.0 : counts_by_rows[i];
                    if (!counts_by_columns.empty()) total += counts_by_columns[static_cast<std::size_t>(c * tile.rows + r)];
                    const double in_opaque = std::floor(total / opaque_unit);
                    const double in_canopy = total - in_opaque * opaque_unit;
                    fraction[i] = valid[i] ? static_cast<float>((in_opaque + in_canopy * shade_of_canopy) / instants_used)
                                           : -9999.0F;
                }
            fraction_cog.write(tile, fraction.data());
        }
    }

    // Cloud-Optimized GeoTIFFs, the manifest, then everything into place.
    if (mask_staging) {
        std::size_t k = 0;
        instants.each([&](const ShadeInstant& instant) {
            if (!instant.used) return;
            if (keep_masks_open) {
                open_masks[k]->copy_to_cog(mask_staging->path_for(instant.mask));
                open_masks[k].reset();
            } else {
                WorkRaster(mask_work_path(k), GDT_Byte).copy_to_cog(mask_staging->path_for(instant.mask));
            }
            ++k;
            if (progress) progress(0.9 + 0.05 * static_cast<double>(k) / static_cast<double>(used_count), "writing");
        });
    }
    fraction_cog.finish();

    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    write_manifest(staging.path_for(manifest_path.filename().string()), manifest_path.string(), config, inputs, result,
                   instants, groups, highest, threads);
    if (mask_staging)
        for (const std::string& written : mask_staging->commit()) result.outputs.push_back(written);
    for (const std::string& written : staging.commit())
        result.outputs.push_back(out_path.has_parent_path() ? written : fs::path(written).filename().string());
    result.manifest = manifest_path.string();
    if (progress) progress(1.0, "writing");
    return result;
}

}  // namespace shadegap
