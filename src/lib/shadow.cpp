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

double radians(double degrees) { return degrees * pi / 180; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// The lines of one sun direction

LineFamily::LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
                       const SunDirection& sun, bool with_steps)
    : LineFamily(cols, rows, cell_width_m, cell_height_m, sun, 0,
                 with_steps ? std::numeric_limits<std::int64_t>::max() : 0) {}

LineFamily::LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
                       const SunDirection& sun, std::int64_t major_begin, std::int64_t major_end) {
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
    major_begin = std::max<std::int64_t>(major_begin, 0);
    major_end = std::min(major_end, majors);
    if (major_end <= major_begin) return;
    const double rise = metres_per_step * tan_elevation;
    steps_begin = major_begin;
    steps.resize(static_cast<std::size_t>(major_end - major_begin));
    for (std::int64_t a = major_begin; a < major_end; ++a) {
        Step& step = steps[static_cast<std::size_t>(a - major_begin)];
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

SweepPlane make_plane(const float* opaque, const float* canopy, std::int64_t source_cols, std::int64_t source_row0,
                      std::int64_t source_col0, const Window& w, bool columns_major, int threads) {
    SweepPlane plane;
    plane.columns_major = columns_major;
    plane.major0 = columns_major ? w.col0 : w.row0;
    plane.majors = columns_major ? w.cols : w.rows;
    plane.minor0 = columns_major ? w.row0 : w.col0;
    plane.minors = columns_major ? w.rows : w.cols;
    plane.stride = plane.minors + 2 * SweepPlane::pad;
    const auto lay_out = [&](const float* from, std::vector<float>& to) {
        to.assign(static_cast<std::size_t>(plane.majors * plane.stride), 0.0F);
        if (!from) return;
        const std::int64_t majors = plane.majors;
        const std::int64_t minors = plane.minors;
        const std::int64_t stride = plane.stride;
        const float* const origin = from + (w.row0 - source_row0) * source_cols + (w.col0 - source_col0);
        float* const into = to.data() + SweepPlane::pad;
        if (!columns_major) {
#pragma omp parallel for num_threads(threads)
            for (std::int64_t r = 0; r < majors; ++r)
                for (std::int64_t c = 0; c < minors; ++c)
                    into[r * stride + c] = sanitize_height(origin[r * source_cols + c]);
            return;
        }
        // Transposed in blocks of 64 × 64 cells, so that both sides stay in cache.
        constexpr std::int64_t block = 64;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (std::int64_t c0 = 0; c0 < majors; c0 += block)
            for (std::int64_t r0 = 0; r0 < minors; r0 += block)
                for (std::int64_t c = c0; c < std::min(c0 + block, majors); ++c)
                    for (std::int64_t r = r0; r < std::min(r0 + block, minors); ++r)
                        into[c * stride + r] = sanitize_height(origin[r * source_cols + c]);
    };
    lay_out(opaque, plane.opaque);
    if (canopy) lay_out(canopy, plane.canopy);
    return plane;
}

SweepPlane make_plane(const HeightWindow& heights, bool columns_major, int threads) {
    const Window& w = heights.window;
    return make_plane(heights.opaque.empty() ? nullptr : heights.opaque.data(),
                      heights.canopy.empty() ? nullptr : heights.canopy.data(), w.cols, w.row0, w.col0, w,
                      columns_major, threads);
}

}  // namespace detail

using detail::LineFamily;
using detail::make_plane;
using detail::sanitize_height;
using detail::shadow_window;
using detail::Step;
using detail::SweepPlane;
using detail::sweep_plane;

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
    const std::int64_t cols = heights.cols;
    for (std::int64_t row0 = 0; row0 < heights.rows; row0 += options.tile_size) {
        for (std::int64_t col0 = 0; col0 < heights.cols; col0 += options.tile_size) {
            const Window tile{row0, col0, std::min(options.tile_size, heights.rows - row0),
                              std::min(options.tile_size, heights.cols - col0)};
            const SweepPlane plane = make_plane(
                heights.opaque.empty() ? nullptr : heights.opaque.data(),
                heights.canopy.empty() ? nullptr : heights.canopy.data(), heights.cols, 0, 0,
                shadow_window(family, tile, reach, heights.cols, heights.rows), family.columns_major, threads);
            std::uint8_t* const out = result.data();
            const bool cm = family.columns_major;
            sweep_plane(family, plane, tile, reach, threads,
                        [out, cm, cols](std::int64_t major, std::int64_t minor, std::int64_t count,
                                        const double* codes) {
                            if (!cm) {
                                for (std::int64_t k = 0; k < count; ++k)
                                    out[major * cols + minor + k] = static_cast<std::uint8_t>(codes[k]);
                                return;
                            }
                            for (std::int64_t k = 0; k < count; ++k)
                                out[(minor + k) * cols + major] = static_cast<std::uint8_t>(codes[k]);
                        });
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
