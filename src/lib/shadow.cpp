// Shadow casting by line sweeps along the sun's direction, and its ray-march reference.
// SPDX-License-Identifier: MIT
#include "shadegap/shadow.hpp"

#include "shadegap/error.hpp"
#include "shadow_sweep.hpp"
#include "shadegap/config.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace shadegap {

namespace detail {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double no_key = -std::numeric_limits<double>::infinity();

double radians(double degrees) { return degrees * pi / 180; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// The lines of one sun direction

LineFamily::LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
                       const SunDirection& sun, bool with_steps) {
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

std::int64_t LineFamily::reach_steps(double height_m) const {
    if (!(height_m > 0)) return 2;
    const double steps_needed = height_m / tan_elevation / metres_per_step;
    if (!(steps_needed < 1e15)) return std::numeric_limits<std::int64_t>::max() / 4;
    return static_cast<std::int64_t>(std::ceil(steps_needed)) + 2;
}

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


}  // namespace detail

using detail::HeightWindow;
using detail::LineFamily;
using detail::sanitize_height;
using detail::shadow_window;
using detail::Step;
using detail::sweep_tile;

namespace {

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
    const int threads = resolve_threads(options.threads);
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

}  // namespace shadegap
