// Shadow casting by line sweeps along the sun's direction, its ray-march reference, and `shade` runs.
// SPDX-License-Identifier: MIT
#include "shadegap/shade.hpp"

#include "gdal_util.hpp"
#include "shadegap/output.hpp"

#include <cpl_string.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <ogr_srs_api.h>
#include <omp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

namespace shadegap {

namespace fs = std::filesystem;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double no_key = -std::numeric_limits<double>::infinity();

double radians(double degrees) { return degrees * pi / 180; }

/// A height as the casting reads it: NaN and negative values are no surface.
float sanitize_height(double value) {
    return std::isfinite(value) && value > 0 ? static_cast<float>(value) : 0.0F;
}

// ---------------------------------------------------------------------------------------------
// The lines of one sun direction

/// What a line meets in one step along the sun's main axis. Lines run parallel to the sun's
/// direction; in index coordinates (cell centres on integers) line ℓ is minor = ℓ + slope·major.
/// Over the step at major index a (major from a − ½ to a + ½) it crosses the cell ℓ + in_off,
/// entered where the step begins on the side away from the sun, and, when `crosses`, the cell
/// ℓ + out_off, entered where the line crosses the boundary between the two. The line's point
/// at major a lies in cell ℓ + sample_off: the cell this line looks from. The z values are the
/// rise of a ray toward the sun at each point, in metres, up to a per-direction constant: a
/// surface of height h entered at z shades the point at z_sample of a cell looking from height
/// h0 when h − z > h0 − z_sample.
struct Step {
    std::int64_t in_off = 0;
    std::int64_t out_off = 0;
    std::int64_t sample_off = 0;
    double z_in = 0;
    double z_cross = 0;
    double z_sample = 0;
    bool crosses = false;
    bool cross_ahead = false;  ///< the second cell is entered at or past the sample point
};

/// The family of lines of one sun direction over a grid: which axis the sun mostly lies along,
/// and the steps of every major index. Shared by the sweep and the ray march, so both see the
/// same cells at the same heights of the ray.
struct LineFamily {
    bool columns_major = true;  ///< major axis = columns (the sun lies more east–west)
    int sigma = 1;              ///< +1 when the sun lies toward increasing major index
    double slope = 0;           ///< minor index change per major index step, |slope| ≤ 1
    double metres_per_step = 1; ///< ray length in metres over one major step
    double tan_elevation = 1;
    std::int64_t majors = 0;
    std::int64_t minors = 0;
    std::vector<Step> steps;

    /// Without `with_steps`, only the direction and the reach (what shadow_window() needs).
    LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
               const SunDirection& sun, bool with_steps = true) {
        const double azimuth = radians(sun.azimuth_deg);
        tan_elevation = std::tan(radians(std::min(sun.elevation_deg, 90.0)));
        const double d_col = std::sin(azimuth) / cell_width_m;    // toward the sun, per metre
        const double d_row = -std::cos(azimuth) / cell_height_m;  // rows grow southward
        columns_major = std::abs(d_col) >= std::abs(d_row);
        if (columns_major) {
            sigma = d_col > 0 ? 1 : -1;
            slope = d_row / d_col;
            metres_per_step = std::hypot(cell_width_m, slope * cell_height_m);
            majors = cols;
            minors = rows;
        } else {
            sigma = d_row > 0 ? 1 : -1;
            slope = d_col / d_row;
            metres_per_step = std::hypot(cell_height_m, slope * cell_width_m);
            majors = rows;
            minors = cols;
        }
        if (!with_steps) return;
        const double rise = metres_per_step * tan_elevation;
        steps.resize(static_cast<std::size_t>(majors));
        for (std::int64_t a = 0; a < majors; ++a) {
            Step& step = steps[static_cast<std::size_t>(a)];
            const double centre = static_cast<double>(a);
            const double x_in = centre - 0.5 * sigma;
            const double x_out = centre + 0.5 * sigma;
            step.in_off = static_cast<std::int64_t>(std::floor(slope * x_in + 0.5));
            step.out_off = static_cast<std::int64_t>(std::floor(slope * x_out + 0.5));
            step.out_off = std::clamp(step.out_off, step.in_off - 1, step.in_off + 1);
            step.sample_off = static_cast<std::int64_t>(std::floor(slope * centre + 0.5));
            step.z_in = sigma * x_in * rise;
            step.z_sample = sigma * centre * rise;
            step.crosses = step.out_off != step.in_off;
            if (step.crosses) {
                const double boundary = 0.5 * static_cast<double>(step.in_off + step.out_off);
                const double x_cross = std::clamp(boundary / slope, std::min(x_in, x_out), std::max(x_in, x_out));
                step.z_cross = sigma * x_cross * rise;
                step.cross_ahead = sigma * x_cross >= sigma * centre;
            }
        }
    }

    /// Major steps a ray climbs before it rises `height_m` above where it started, plus slack
    /// for the cell a step begins in.
    std::int64_t reach_steps(double height_m) const {
        if (!(height_m > 0)) return 2;
        const double steps_needed = height_m / tan_elevation / metres_per_step;
        if (!(steps_needed < 1e15)) return std::numeric_limits<std::int64_t>::max() / 4;
        return static_cast<std::int64_t>(std::ceil(steps_needed)) + 2;
    }
};

/// Heights of a window of the raster, sanitised, row-major; a layer is empty when absent.
struct HeightWindow {
    Window window;
    std::vector<float> opaque;
    std::vector<float> canopy;
};

/// The rows and columns a tile's shadows depend on for one direction: the tile, stretched
/// toward the sun by the longest shadow, with two cells of slack, clipped to the grid.
Window shadow_window(const LineFamily& family, const Window& tile, std::int64_t reach, std::int64_t cols,
                     std::int64_t rows) {
    const std::int64_t major_reach = std::min<std::int64_t>(reach, family.majors);
    const auto minor_reach = static_cast<std::int64_t>(
        std::ceil(std::abs(family.slope) * static_cast<double>(major_reach))) + 2;
    const int minor_sign = family.slope * family.sigma >= 0 ? 1 : -1;
    std::int64_t major0 = family.columns_major ? tile.col0 : tile.row0;
    std::int64_t major1 = major0 + (family.columns_major ? tile.cols : tile.rows);
    std::int64_t minor0 = family.columns_major ? tile.row0 : tile.col0;
    std::int64_t minor1 = minor0 + (family.columns_major ? tile.rows : tile.cols);
    (family.sigma > 0 ? major1 : major0) += family.sigma * major_reach;
    major0 -= 2;
    major1 += 2;
    (minor_sign > 0 ? minor1 : minor0) += minor_sign * minor_reach;
    minor0 -= 2;
    minor1 += 2;
    const std::int64_t major_count = family.columns_major ? cols : rows;
    const std::int64_t minor_count = family.columns_major ? rows : cols;
    major0 = std::max<std::int64_t>(major0, 0);
    minor0 = std::max<std::int64_t>(minor0, 0);
    major1 = std::min(major1, major_count);
    minor1 = std::min(minor1, minor_count);
    if (family.columns_major) return {minor0, major0, minor1 - minor0, major1 - major0};
    return {major0, minor0, major1 - major0, minor1 - minor0};
}

Window union_of(const Window& a, const Window& b) {
    if (a.empty()) return b;
    const std::int64_t row0 = std::min(a.row0, b.row0);
    const std::int64_t col0 = std::min(a.col0, b.col0);
    const std::int64_t row1 = std::max(a.row0 + a.rows, b.row0 + b.rows);
    const std::int64_t col1 = std::max(a.col0 + a.cols, b.col0 + b.cols);
    return {row0, col0, row1 - row0, col1 - col0};
}

/// Casts the shadows of one direction into the cells of `tile` (row-major, tile.rows × tile.cols),
/// sweeping each line that crosses the tile from the far end of its halo toward the tile, and
/// carrying the highest reach of the surfaces met so far.
void sweep_tile(const LineFamily& family, const HeightWindow& heights, const Window& tile, std::int64_t reach,
                int threads, std::uint8_t* out) {
    const Window& w = heights.window;
    const bool cm = family.columns_major;
    const std::int64_t tile_major0 = cm ? tile.col0 : tile.row0;
    const std::int64_t tile_major1 = tile_major0 + (cm ? tile.cols : tile.rows);
    const std::int64_t tile_minor0 = cm ? tile.row0 : tile.col0;
    const std::int64_t tile_minor1 = tile_minor0 + (cm ? tile.rows : tile.cols);
    const std::int64_t win_major0 = cm ? w.col0 : w.row0;
    const std::int64_t win_major1 = win_major0 + (cm ? w.cols : w.rows);
    const std::int64_t win_minor0 = cm ? w.row0 : w.col0;
    const std::int64_t win_minor1 = win_minor0 + (cm ? w.rows : w.cols);
    // Offsets into the window buffer and the tile output per major and minor index step.
    const std::int64_t win_major_stride = cm ? 1 : w.cols;
    const std::int64_t win_minor_stride = cm ? w.cols : 1;
    const std::int64_t out_major_stride = cm ? 1 : tile.cols;
    const std::int64_t out_minor_stride = cm ? tile.cols : 1;
    const float* opaque = heights.opaque.empty() ? nullptr : heights.opaque.data();
    const float* canopy = heights.canopy.empty() ? nullptr : heights.canopy.data();
    const std::vector<Step>& steps = family.steps;
    const auto step_at = [&](std::int64_t a) -> const Step& { return steps[static_cast<std::size_t>(a)]; };

    const std::int64_t off_first = step_at(tile_major0).sample_off;
    const std::int64_t off_last = step_at(tile_major1 - 1).sample_off;
    const std::int64_t line0 = tile_minor0 - std::max(off_first, off_last);
    const std::int64_t line1 = tile_minor1 - std::min(off_first, off_last);  // exclusive
    const bool rising = family.slope >= 0;

#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
    for (std::int64_t line = line0; line < line1; ++line) {
        // The major indices of the tile whose sample on this line lies in the tile's minor range;
        // sample_off is monotonic in the major index, so they form one run.
        const auto first_at_least = [&](std::int64_t bound) {
            std::int64_t lo = tile_major0;
            std::int64_t hi = tile_major1;
            while (lo < hi) {
                const std::int64_t mid = lo + (hi - lo) / 2;
                const std::int64_t minor = line + step_at(mid).sample_off;
                if (rising ? minor >= bound : minor < bound) hi = mid; else lo = mid + 1;
            }
            return lo;
        };
        const std::int64_t run0 = rising ? first_at_least(tile_minor0) : first_at_least(tile_minor1);
        const std::int64_t run1 = rising ? first_at_least(tile_minor1) : first_at_least(tile_minor0);
        if (run0 >= run1) continue;

        std::int64_t a = 0;
        std::int64_t end = 0;
        if (family.sigma > 0) {
            a = std::min(run1 - 1 + std::min(reach, family.majors), win_major1 - 1);
            end = run0 - 1;
        } else {
            a = std::max(run0 - std::min(reach, family.majors), win_major0);
            end = run1;
        }
        double reach_opaque = no_key;
        double reach_canopy = no_key;
        for (; a != end; a -= family.sigma) {
            const Step& step = step_at(a);
            const std::int64_t base = (a - win_major0) * win_major_stride;
            double in_opaque = no_key, in_canopy = no_key, out_opaque = no_key, out_canopy = no_key;
            const std::int64_t minor_in = line + step.in_off;
            if (minor_in >= win_minor0 && minor_in < win_minor1) {
                const std::int64_t at = base + (minor_in - win_minor0) * win_minor_stride;
                if (opaque) in_opaque = opaque[at] - step.z_in;
                if (canopy) in_canopy = canopy[at] - step.z_in;
            }
            if (step.crosses) {
                const std::int64_t minor_out = line + step.out_off;
                if (minor_out >= win_minor0 && minor_out < win_minor1) {
                    const std::int64_t at = base + (minor_out - win_minor0) * win_minor_stride;
                    if (opaque) out_opaque = opaque[at] - step.z_cross;
                    if (canopy) out_canopy = canopy[at] - step.z_cross;
                }
            }
            if (a >= run0 && a < run1) {
                const std::int64_t minor = line + step.sample_off;
                const std::int64_t at = base + (minor - win_minor0) * win_minor_stride;
                const double own = opaque ? opaque[at] : 0.0;
                const double looking = own - step.z_sample;
                double ahead_opaque = reach_opaque;
                double ahead_canopy = reach_canopy;
                if (step.crosses && step.cross_ahead) {
                    ahead_opaque = std::max(ahead_opaque, out_opaque);
                    ahead_canopy = std::max(ahead_canopy, out_canopy);
                }
                Shadow shadow = Shadow::none;
                if (ahead_opaque > looking) {
                    shadow = Shadow::opaque;
                } else if (ahead_canopy > looking || (canopy && canopy[at] > own)) {
                    shadow = Shadow::canopy;
                }
                out[(a - tile_major0) * out_major_stride + (minor - tile_minor0) * out_minor_stride] =
                    static_cast<std::uint8_t>(shadow);
            }
            reach_opaque = std::max({reach_opaque, in_opaque, out_opaque});
            reach_canopy = std::max({reach_canopy, in_canopy, out_canopy});
        }
    }
}

void check_model(const HeightModel& heights) {
    const auto cells = static_cast<std::size_t>(heights.cols * heights.rows);
    if (heights.cols < 0 || heights.rows < 0)
        throw InputError("heights", fmt::format("a grid of {} × {} cells", heights.cols, heights.rows));
    if (!heights.opaque.empty() && heights.opaque.size() != cells)
        throw InputError("heights", fmt::format("the opaque layer has {} values for {} cells", heights.opaque.size(), cells));
    if (!heights.canopy.empty() && heights.canopy.size() != cells)
        throw InputError("heights", fmt::format("the canopy layer has {} values for {} cells", heights.canopy.size(), cells));
    if (!(heights.cell_width_m > 0) || !(heights.cell_height_m > 0))
        throw InputError("heights", fmt::format("cell size {} × {} m is not positive", heights.cell_width_m,
                                                heights.cell_height_m));
}

void check_sun(const SunDirection& sun) {
    if (!(sun.elevation_deg > 0)) {
        throw UsageError("elevation", fmt::format("the sun is at {}°, not above the horizon: it casts no shadow "
                                                  "to compute", sun.elevation_deg));
    }
    if (!std::isfinite(sun.azimuth_deg))
        throw UsageError("azimuth", fmt::format("{} is not an azimuth", sun.azimuth_deg));
}

float max_height(const HeightModel& heights, int threads) {
    float highest = 0;
    for (const std::vector<float>* layer : {&heights.opaque, &heights.canopy}) {
        const auto count = static_cast<std::int64_t>(layer->size());
        const float* values = layer->data();
#pragma omp parallel for num_threads(threads) reduction(max : highest)
        for (std::int64_t i = 0; i < count; ++i) highest = std::max(highest, sanitize_height(values[i]));
    }
    return highest;
}

HeightWindow copy_window(const HeightModel& heights, const Window& window, int threads) {
    HeightWindow copy;
    copy.window = window;
    const auto copy_layer = [&](const std::vector<float>& layer, std::vector<float>& to) {
        if (layer.empty()) return;
        to.resize(static_cast<std::size_t>(window.cell_count()));
#pragma omp parallel for num_threads(threads)
        for (std::int64_t r = 0; r < window.rows; ++r)
            for (std::int64_t c = 0; c < window.cols; ++c)
                to[static_cast<std::size_t>(r * window.cols + c)] = sanitize_height(
                    layer[static_cast<std::size_t>((window.row0 + r) * heights.cols + window.col0 + c)]);
    };
    copy_layer(heights.opaque, copy.opaque);
    copy_layer(heights.canopy, copy.canopy);
    return copy;
}

int thread_count(int requested) { return requested > 0 ? requested : std::max(1, omp_get_max_threads()); }

}  // namespace

std::vector<std::uint8_t> cast_shadows(const HeightModel& heights, const SunDirection& sun,
                                       const CastOptions& options) {
    check_model(heights);
    check_sun(sun);
    if (options.tile_size < 1)
        throw UsageError("tile size", fmt::format("{} is not a positive number of cells", options.tile_size));
    std::vector<std::uint8_t> result(static_cast<std::size_t>(heights.cols * heights.rows), 0);
    if (result.empty()) return result;
    const LineFamily family(heights.cols, heights.rows, heights.cell_width_m, heights.cell_height_m, sun);
    const int threads = thread_count(options.threads);
    const std::int64_t reach = family.reach_steps(max_height(heights, threads));
    std::vector<std::uint8_t> tile_out;
    for (std::int64_t row0 = 0; row0 < heights.rows; row0 += options.tile_size) {
        for (std::int64_t col0 = 0; col0 < heights.cols; col0 += options.tile_size) {
            const Window tile{row0, col0, std::min(options.tile_size, heights.rows - row0),
                              std::min(options.tile_size, heights.cols - col0)};
            const HeightWindow window =
                copy_window(heights, shadow_window(family, tile, reach, heights.cols, heights.rows), threads);
            tile_out.assign(static_cast<std::size_t>(tile.cell_count()), 0);
            sweep_tile(family, window, tile, reach, threads, tile_out.data());
            for (std::int64_t r = 0; r < tile.rows; ++r)
                std::copy_n(tile_out.begin() + r * tile.cols, tile.cols,
                            result.begin() + (row0 + r) * heights.cols + col0);
        }
    }
    return result;
}

std::vector<std::uint8_t> cast_shadows_by_ray_march(const HeightModel& heights, const SunDirection& sun) {
    check_model(heights);
    check_sun(sun);
    std::vector<std::uint8_t> result(static_cast<std::size_t>(heights.cols * heights.rows), 0);
    if (result.empty()) return result;
    const LineFamily family(heights.cols, heights.rows, heights.cell_width_m, heights.cell_height_m, sun);
    const double highest = max_height(heights, 1);
    const bool has_opaque = !heights.opaque.empty();
    const bool has_canopy = !heights.canopy.empty();
    const auto height_at = [&](const std::vector<float>& layer, std::int64_t major, std::int64_t minor) {
        const std::int64_t row = family.columns_major ? minor : major;
        const std::int64_t col = family.columns_major ? major : minor;
        return static_cast<double>(sanitize_height(layer[static_cast<std::size_t>(row * heights.cols + col)]));
    };
    for (std::int64_t row = 0; row < heights.rows; ++row) {
        for (std::int64_t col = 0; col < heights.cols; ++col) {
            const std::int64_t a = family.columns_major ? col : row;
            const std::int64_t b = family.columns_major ? row : col;
            const Step& here = family.steps[static_cast<std::size_t>(a)];
            const std::int64_t line = b - here.sample_off;
            const double own = has_opaque ? height_at(heights.opaque, a, b) : 0.0;
            const double looking = own - here.z_sample;
            bool opaque_hit = false;
            bool canopy_hit = has_canopy && height_at(heights.canopy, a, b) > own;
            // Walk toward the sun one major step at a time, testing each cell the ray enters.
            const auto test = [&](std::int64_t major, std::int64_t minor, double z) {
                if (minor < 0 || minor >= family.minors) return;
                if (has_opaque && height_at(heights.opaque, major, minor) - z > looking) opaque_hit = true;
                if (has_canopy && height_at(heights.canopy, major, minor) - z > looking) canopy_hit = true;
            };
            for (std::int64_t step_major = a; step_major >= 0 && step_major < family.majors && !opaque_hit;
                 step_major += family.sigma) {
                const Step& step = family.steps[static_cast<std::size_t>(step_major)];
                if (step.z_in - here.z_sample > highest) break;  // the ray is above every surface
                if (step_major != a) test(step_major, line + step.in_off, step.z_in);
                if (step.crosses && (step_major != a || step.cross_ahead))
                    test(step_major, line + step.out_off, step.z_cross);
            }
            const Shadow shadow = opaque_hit ? Shadow::opaque : canopy_hit ? Shadow::canopy : Shadow::none;
            result[static_cast<std::size_t>(row * heights.cols + col)] = static_cast<std::uint8_t>(shadow);
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Where a raster is

RasterPlace locate_raster(const RasterInfo& raster) {
    if (raster.crs_wkt.empty()) {
        CrsError error(raster.path, "has no CRS, so the place of the sun cannot be known");
        error.with_hint("assign the CRS, e.g. gdal_edit.py -a_srs EPSG:32618");
        throw error;
    }
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture capture;
    detail::OwnedSrs source(OSRNewSpatialReference(nullptr));
    detail::OwnedSrs wgs84(OSRNewSpatialReference(nullptr));
    if (OSRSetFromUserInput(source.get(), raster.crs_wkt.c_str()) != OGRERR_NONE || OSRImportFromEPSG(wgs84.get(), 4326) != OGRERR_NONE)
        throw CrsError(raster.path, capture.explain("its CRS cannot be read"));
    OSRSetAxisMappingStrategy(source.get(), OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs84.get(), OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH to_wgs84 = OCTNewCoordinateTransformation(source.get(), wgs84.get());
    OGRCoordinateTransformationH to_grid = OCTNewCoordinateTransformation(wgs84.get(), source.get());
    const auto cleanup = [&] {
        if (to_wgs84) OCTDestroyCoordinateTransformation(to_wgs84);
        if (to_grid) OCTDestroyCoordinateTransformation(to_grid);
    };
    if (!to_wgs84 || !to_grid) {
        cleanup();
        throw CrsError(raster.path, capture.explain("no transformation between its CRS and WGS 84"));
    }
    const Grid& g = raster.grid;
    double x = 0.5 * (g.x_min + g.x_max());
    double y = 0.5 * (g.y_min() + g.y_max);
    const double centre_x = x;
    const double centre_y = y;
    RasterPlace place;
    int ok = 0;
    if (!OCTTransformEx(to_wgs84, 1, &x, &y, nullptr, &ok) || !ok) {
        cleanup();
        throw CrsError(raster.path, capture.explain(fmt::format("its centre ({}, {}) cannot be transformed to WGS 84",
                                                                centre_x, centre_y)));
    }
    place.longitude_deg = x;
    place.latitude_deg = y;
    // True north on the grid: a point a little north of the centre, back in the grid's CRS.
    const double step_deg = place.latitude_deg < 89.9 ? 1e-4 : -1e-4;
    double north_x = place.longitude_deg;
    double north_y = place.latitude_deg + step_deg;
    ok = 0;
    if (OCTTransformEx(to_grid, 1, &north_x, &north_y, nullptr, &ok) && ok) {
        const double sign = step_deg > 0 ? 1 : -1;
        place.grid_convergence_deg = std::atan2(sign * (north_x - centre_x), sign * (north_y - centre_y)) * 180 / pi;
    }
    cleanup();
    return place;
}

// ---------------------------------------------------------------------------------------------
// `shadegap shade`

std::string shade_manifest_path(const std::string& out) {
    fs::path path(out);
    path.replace_extension(".json");
    return path.string();
}

namespace {

/// Metres per unit of a band's values from its unit type: empty or metres → 1, feet → 0.3048,
/// US survey feet → 1200/3937. Throws InputError for any other unit.
double height_unit_m(const std::string& path, const std::string& flag) {
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
                                       unit_text ? unit_text : "", flag));
    error.with_hint("set the unit with gdal_edit.py -units m, or convert the heights to metres");
    throw error;
}

struct HeightLayer {
    std::string flag;
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

    /// Writes the COG `target` from this raster and closes it.
    void copy_to_cog(const std::string& target, bool overviews) {
        detail::GdalErrorCapture capture;
        GDALDriverH driver = GDALGetDriverByName("COG");
        if (!driver) throw OutputError(target, "GDAL has no COG driver (GDAL 3.1 or later is needed)");
        const char* const options[] = {"COMPRESS=DEFLATE", "BLOCKSIZE=512", overviews ? "OVERVIEWS=AUTO" : "OVERVIEWS=NONE",
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
        error.with_hint("use --overwrite to replace it");
        throw error;
    }
}

nlohmann::json raster_json(const HeightLayer& layer) {
    const RasterInfo& info = layer.source->info();
    return {{"flag", layer.flag},
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
        throw UsageError("--surface", "cannot be combined with --buildings or --canopy-height; give the heights "
                                      "either as one opaque surface or as buildings and canopy");
    if (config.surface.empty() && config.buildings.empty() && config.canopy_height.empty()) {
        UsageError error("--surface", "heights are required: give --surface PATH, or --buildings PATH and/or "
                                      "--canopy-height PATH");
        error.with_hint("see shadegap shade --help");
        throw error;
    }
    if (!(config.transmissivity >= 0 && config.transmissivity <= 1))
        throw UsageError("--transmissivity", fmt::format("expected a share of light from 0 to 1, got {}", config.transmissivity));
    if (config.out.empty()) throw UsageError("--out", "required; give --out PATH (the shade-fraction COG)");
    if (config.tile_size < 16) throw UsageError("tile size", fmt::format("{} cells is below 16", config.tile_size));

    ShadeInputs inputs;
    HeightLayer& opaque_layer = inputs.opaque;
    HeightLayer& canopy_layer = inputs.canopy;
    if (!config.surface.empty()) {
        opaque_layer = {"--surface", std::make_unique<RasterSource>(config.surface), height_unit_m(config.surface, "--surface")};
    }
    if (!config.buildings.empty()) {
        opaque_layer = {"--buildings", std::make_unique<RasterSource>(config.buildings),
                        height_unit_m(config.buildings, "--buildings")};
    }
    if (!config.canopy_height.empty()) {
        canopy_layer = {"--canopy-height", std::make_unique<RasterSource>(config.canopy_height),
                        height_unit_m(config.canopy_height, "--canopy-height")};
    }
    const RasterInfo& info = inputs.info();
    if (opaque_layer.source && canopy_layer.source) {
        const RasterInfo& other = canopy_layer.source->info();
        if (!same_grid(info.grid, other.grid)) {
            InputError error(other.path, fmt::format("its grid ({} × {} cells of {} × {} from ({}, {})) differs from "
                                                     "--buildings ({} × {} cells of {} × {} from ({}, {}))",
                                                     other.grid.cols, other.grid.rows, other.grid.cell_width,
                                                     other.grid.cell_height, other.grid.x_min, other.grid.y_max,
                                                     info.grid.cols, info.grid.rows, info.grid.cell_width,
                                                     info.grid.cell_height, info.grid.x_min, info.grid.y_max));
            error.with_hint("warp one onto the other's grid, e.g. gdalwarp -te ... -tr ...");
            throw error;
        }
        if (!same_crs(info.crs_wkt, other.crs_wkt))
            throw CrsError(other.path, fmt::format("its CRS ({}) differs from --buildings ({})", other.crs_name, info.crs_name));
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

/// Writes the manifest beside the output (OUT.json): inputs, place, every instant and its sun.
/// The instants are written one by one as they are made again, into the place of a marker in
/// the rest of the document, which nlohmann::json lays out (keys in order, two-space indent):
/// the bytes are those of the whole document dumped at once.
void write_manifest(const std::string& path, const std::string& shown, const ShadeConfig& config,
                    const ShadeInputs& inputs, const ShadeResult& result, const Instants& instants, float highest,
                    int threads) {
    nlohmann::json missing = nlohmann::json::array();
    for (const LocalDateTime& local : result.missing) missing.push_back(format_local_time(local, 0).substr(0, 16));
    nlohmann::json rasters = nlohmann::json::array();
    for (const HeightLayer* layer : {&inputs.opaque, &inputs.canopy})
        if (layer->source) rasters.push_back(raster_json(*layer));
    nlohmann::json warnings = nlohmann::json::array();
    for (const Warning& warning : result.diagnostics.warnings())
        warnings.push_back({{"code", warning.code}, {"subject", warning.subject}, {"message", warning.message}});
    const std::string marker = "instants written here";
    const nlohmann::json head = {
        {"command", "shade"},
        {"version", SHADEGAP_VERSION},
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
        {"instants_sampled", result.sampled_count},
        {"instants_used", result.used_count},
        {"instants", marker},
        {"missing_local_times", missing},
        {"highest_surface_m", highest},
        {"tile_size", config.tile_size},
        {"threads", threads},
        {"seconds", result.seconds},
        {"warnings", warnings}};
    const std::string text = head.dump(2);
    const std::string placeholder = "\"instants\": \"" + marker + "\"";
    const std::size_t at = text.find(placeholder);
    if (at == std::string::npos) throw OutputError(shown, "the manifest has no place for the instants");

    std::ofstream file(path, std::ios::binary);
    file.write(text.data(), static_cast<std::streamsize>(at));
    file << "\"instants\": [";
    bool first = true;
    instants.each([&](const ShadeInstant& instant) {
        file << (first ? "\n" : ",\n");
        first = false;
        // An element of an array in the top-level object: two levels in, four spaces.
        const std::string item = instant_json(instant).dump(2);
        std::size_t line = 0;
        while (line < item.size()) {
            const std::size_t end = item.find('\n', line);
            const std::size_t stop = end == std::string::npos ? item.size() : end + 1;
            file << "    ";
            file.write(item.data() + line, static_cast<std::streamsize>(stop - line));
            line = stop;
        }
    });
    file << (first ? "]" : "\n  ]");
    file.write(text.data() + at + placeholder.size(), static_cast<std::streamsize>(text.size() - at - placeholder.size()));
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
        UsageError error("--time", fmt::format("the sun is below the horizon at all {} sampled instants at {:.4f}, "
                                               "{:.4f}", sampled, result.place.latitude_deg,
                                               result.place.longitude_deg));
        error.with_hint("check --date, --time and --tz (the times are local clock times)");
        throw error;
    }
    for (const LocalDateTime& local : result.missing)
        result.diagnostics.warn("missing-local-time", "--time",
                                fmt::format("{} does not exist in {} (daylight saving starts); left out",
                                            format_local_time(local, 0).substr(0, 16), config.zone.name()));
    const std::size_t used_count = result.used_count;

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
    const int threads = thread_count(config.threads);

    const auto read_layer = [&](HeightLayer& layer, const Window& window, std::vector<float>& heights,
                                std::vector<std::uint8_t>* valid) {
        std::vector<double> values;
        layer.source->read(window, values);
        const std::optional<double> nodata = layer.source->info().nodata;
        heights.resize(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const bool missing = std::isnan(values[i]) || (nodata && values[i] == *nodata);
            heights[i] = missing ? 0.0F : sanitize_height(values[i] * layer.unit_m);
            if (valid && !missing) (*valid)[i] = 1;
        }
    };

    float highest = 0;
    {
        const std::int64_t band_rows = std::max<std::int64_t>(1, (1 << 22) / std::max<std::int64_t>(cols, 1));
        std::vector<float> heights;
        for (std::int64_t row0 = 0; row0 < rows; row0 += band_rows) {
            const Window band{row0, 0, std::min(band_rows, rows - row0), cols};
            for (HeightLayer* layer : {&opaque_layer, &canopy_layer}) {
                if (!layer->source) continue;
                read_layer(*layer, band, heights, nullptr);
                for (const float h : heights) highest = std::max(highest, h);
            }
            if (progress) progress(0.1 * static_cast<double>(row0 + band.rows) / static_cast<double>(rows), "heights");
        }
    }
    const auto direction_of = [](const ShadeInstant& instant) {
        return SunDirection{instant.grid_azimuth_deg, instant.sample.position.elevation_deg};
    };

    // Tiles, and the window of heights each needs for the longest shadow of any instant: one
    // window per tile, whatever the number of instants.
    const std::int64_t tile_size = config.tile_size;
    const std::int64_t tile_rows = (rows + tile_size - 1) / tile_size;
    const std::int64_t tile_cols = (cols + tile_size - 1) / tile_size;
    const auto tile_at = [&](std::int64_t tr, std::int64_t tc) {
        return Window{tr * tile_size, tc * tile_size, std::min(tile_size, rows - tr * tile_size),
                      std::min(tile_size, cols - tc * tile_size)};
    };
    std::vector<Window> needed(static_cast<std::size_t>(tile_rows * tile_cols));
    instants.each([&](const ShadeInstant& instant) {
        if (!instant.used) return;
        const LineFamily family(cols, rows, cell_width_m, cell_height_m, direction_of(instant), false);
        const std::int64_t reach = family.reach_steps(highest);
        for (std::int64_t tr = 0; tr < tile_rows; ++tr)
            for (std::int64_t tc = 0; tc < tile_cols; ++tc) {
                Window& window = needed[static_cast<std::size_t>(tr * tile_cols + tc)];
                window = union_of(window, shadow_window(family, tile_at(tr, tc), reach, cols, rows));
            }
    });

    WorkRaster fraction_work(staging.scratch_path("fraction.work.tif"), info, GDT_Float32, -9999.0, true);
    // Masks stay open between tiles unless there are so many that files would run short; then
    // each is made at the first tile and reopened for the next.
    const bool keep_masks_open = used_count <= 64;
    std::vector<std::unique_ptr<WorkRaster>> open_masks;
    const auto mask_work_path = [&](std::size_t k) {
        return mask_staging->scratch_path(fmt::format("mask{}.work.tif", k));
    };

    // Each tile: the heights it needs are read once, then every instant is cast over them.
    const double shade_of_canopy = 1.0 - config.transmissivity;
    std::vector<std::uint8_t> codes;
    std::vector<std::uint8_t> valid;
    std::vector<double> shade_sum;
    std::vector<float> fraction;
    std::vector<std::uint8_t> mask;
    HeightWindow window;
    for (std::int64_t tr = 0; tr < tile_rows; ++tr) {
        for (std::int64_t tc = 0; tc < tile_cols; ++tc) {
            const Window tile = tile_at(tr, tc);
            const bool first_tile = tr == 0 && tc == 0;
            window.window = needed[static_cast<std::size_t>(tr * tile_cols + tc)];
            window.opaque.clear();
            window.canopy.clear();
            if (opaque_layer.source) read_layer(opaque_layer, window.window, window.opaque, nullptr);
            if (canopy_layer.source) read_layer(canopy_layer, window.window, window.canopy, nullptr);

            // A tile cell is valid when any input has a value there.
            valid.assign(static_cast<std::size_t>(tile.cell_count()), 0);
            {
                std::vector<float> ignored;
                if (opaque_layer.source) read_layer(opaque_layer, tile, ignored, &valid);
                if (canopy_layer.source) read_layer(canopy_layer, tile, ignored, &valid);
            }

            shade_sum.assign(static_cast<std::size_t>(tile.cell_count()), 0.0);
            codes.resize(static_cast<std::size_t>(tile.cell_count()));
            std::size_t k = 0;  // the instant's number among those with the sun up
            instants.each([&](const ShadeInstant& instant) {
                if (!instant.used) return;
                const LineFamily family(cols, rows, cell_width_m, cell_height_m, direction_of(instant));
                std::fill(codes.begin(), codes.end(), 0);
                sweep_tile(family, window, tile, family.reach_steps(highest), threads, codes.data());
                for (std::size_t i = 0; i < codes.size(); ++i) {
                    if (codes[i] == static_cast<std::uint8_t>(Shadow::opaque)) shade_sum[i] += 1.0;
                    else if (codes[i] == static_cast<std::uint8_t>(Shadow::canopy)) shade_sum[i] += shade_of_canopy;
                }
                if (mask_staging) {
                    mask.resize(codes.size());
                    for (std::size_t i = 0; i < codes.size(); ++i)
                        mask[i] = valid[i] ? (codes[i] != 0 ? 1 : 0) : 255;
                    if (keep_masks_open) {
                        if (first_tile)
                            open_masks.push_back(
                                std::make_unique<WorkRaster>(mask_work_path(k), info, GDT_Byte, 255.0, true));
                        open_masks[k]->write(tile, mask.data());
                    } else if (first_tile) {
                        WorkRaster(mask_work_path(k), info, GDT_Byte, 255.0, false).write(tile, mask.data());
                    } else {
                        WorkRaster(mask_work_path(k), GDT_Byte).write(tile, mask.data());
                    }
                }
                ++k;
                if (progress) {
                    const double tiles_done = static_cast<double>(tr * tile_cols + tc) +
                                              static_cast<double>(k) / static_cast<double>(used_count);
                    progress(0.1 + 0.8 * tiles_done / static_cast<double>(tile_rows * tile_cols), "shadows");
                }
            });
            fraction.resize(shade_sum.size());
            for (std::size_t i = 0; i < shade_sum.size(); ++i)
                fraction[i] = valid[i] ? static_cast<float>(shade_sum[i] / static_cast<double>(used_count)) : -9999.0F;
            fraction_work.write(tile, fraction.data());
        }
    }

    // Cloud-Optimized GeoTIFFs, the manifest, then everything into place.
    if (mask_staging) {
        std::size_t k = 0;
        instants.each([&](const ShadeInstant& instant) {
            if (!instant.used) return;
            if (keep_masks_open) {
                open_masks[k]->copy_to_cog(mask_staging->path_for(instant.mask), false);
                open_masks[k].reset();
            } else {
                WorkRaster(mask_work_path(k), GDT_Byte).copy_to_cog(mask_staging->path_for(instant.mask), false);
            }
            ++k;
            if (progress) progress(0.9 + 0.05 * static_cast<double>(k) / static_cast<double>(used_count), "writing");
        });
    }
    fraction_work.copy_to_cog(staging.path_for(out_path.filename().string()), true);

    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    write_manifest(staging.path_for(manifest_path.filename().string()), manifest_path.string(), config, inputs, result,
                   instants, highest, threads);
    if (mask_staging)
        for (const std::string& written : mask_staging->commit()) result.outputs.push_back(written);
    for (const std::string& written : staging.commit())
        result.outputs.push_back(out_path.has_parent_path() ? written : fs::path(written).filename().string());
    result.manifest = manifest_path.string();
    if (progress) progress(1.0, "writing");
    return result;
}

}  // namespace shadegap
