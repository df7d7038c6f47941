// Lines over a raster: segments cut at cell lines, bucketed by block, measured in parallel, summed in block order.
// SPDX-License-Identifier: MIT
#include "shadegap/lines.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <utility>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double radians_per_degree = pi / 180;
constexpr double wgs84_semi_major_m = 6378137.0;
constexpr double wgs84_inverse_flattening = 298.257223563;
/// Geographic pieces longer than this in latitude are measured in steps of it (see lines.hpp).
constexpr double max_step_deg = 0.01;
constexpr double infinity = std::numeric_limits<double>::infinity();

/// One segment, in cell coordinates (u = column, v = row, both continuous) and in the CRS.
/// Both passes make it from the same two points, so they cut it at the same t values.
struct Segment {
    double u0, v0, du, dv;
    double y0, dx, dy;
    double length_m;  ///< projected CRSs: the whole segment's length
};

Segment make_segment(const Grid& grid, const LinePoint& a, const LinePoint& b, double unit_m) {
    Segment s{};
    s.u0 = grid.col_of(a.x);
    s.v0 = grid.row_of(a.y);
    s.du = grid.col_of(b.x) - s.u0;
    s.dv = grid.row_of(b.y) - s.v0;
    s.y0 = a.y;
    s.dx = b.x - a.x;
    s.dy = b.y - a.y;
    s.length_m = std::sqrt(s.dx * s.dx + s.dy * s.dy) * unit_m;
    return s;
}

/// The length in metres of the part t0 ≤ t ≤ t1 of a segment.
class Metres {
public:
    explicit Metres(const RasterInfo& info) : m_geographic(info.geographic) {
        const double flattening = 1 / wgs84_inverse_flattening;
        m_e2 = flattening * (2 - flattening);
    }

    double of(const Segment& s, double t0, double t1) const {
        if (!m_geographic) return (t1 - t0) * s.length_m;
        const double span_deg = std::abs(s.dy) * (t1 - t0);
        // The cap only matters for coordinates far beyond ±90°, which are not latitudes anyway.
        const double steps = span_deg > max_step_deg ? std::min(std::ceil(span_deg / max_step_deg), 1e6) : 1.0;
        double sum = 0;
        for (double i = 0; i < steps; ++i) {
            const double a = t0 + (t1 - t0) * (i / steps);
            const double b = i + 1 < steps ? t0 + (t1 - t0) * ((i + 1) / steps) : t1;
            sum += geographic_m(s, a, b);
        }
        return sum;
    }

private:
    /// Metres per degree of longitude (the parallel's radius) and of latitude (the
    /// meridian's radius of curvature) at the middle latitude, times the piece's degrees.
    double geographic_m(const Segment& s, double t0, double t1) const {
        const double phi = (s.y0 + 0.5 * (t0 + t1) * s.dy) * radians_per_degree;
        const double sin_phi = std::sin(phi);
        const double w = 1 - m_e2 * sin_phi * sin_phi;
        const double root_w = std::sqrt(w);
        const double per_lon = radians_per_degree * wgs84_semi_major_m * std::cos(phi) / root_w;
        const double per_lat = radians_per_degree * wgs84_semi_major_m * (1 - m_e2) / (w * root_w);
        const double east = s.dx * per_lon;
        const double north = s.dy * per_lat;
        return (t1 - t0) * std::sqrt(east * east + north * north);
    }

    bool m_geographic;
    double m_e2 = 0;
};

/// The lines 0, s, 2s, … and n that cut [0, n] into blocks of s (the last one cut short),
/// walked from a position up or down.
class BlockLines {
public:
    BlockLines(double size, double extent) : m_size(size), m_extent(extent) {}

    /// The first line above p, or +∞.
    double above(double p) const {
        if (p < 0) return 0;
        if (p >= m_extent) return infinity;
        double line = (std::floor(p / m_size) + 1) * m_size;
        // p / m_size may round onto an integer from either side.
        if (line - m_size > p) line -= m_size;
        if (line <= p) line += m_size;
        return std::min(line, m_extent);
    }

    /// The first line below p, or −∞.
    double below(double p) const {
        if (p > m_extent) return m_extent;
        if (p <= 0) return -infinity;
        double line = (std::ceil(p / m_size) - 1) * m_size;
        if (line + m_size < p) line += m_size;
        if (line >= p) line -= m_size;
        return line;
    }

private:
    double m_size;
    double m_extent;
};

/// The next line a coordinate meets along a segment: its position and its t.
struct NextLine {
    double position = 0;
    double t = infinity;
};

/// The part t0 ≤ t ≤ t1 of a line's segment that lies in one block.
struct Crossing {
    std::int64_t block = 0;
    std::size_t line = 0;
    std::size_t point = 0;  ///< the segment from lines[line][point] to lines[line][point + 1]
    double t0 = 0;
    double t1 = 0;
};

/// Cuts a segment at the block lines and the raster's edges (the same t formula as the cells'
/// lines, of which they are a subset), and hands each piece to `piece(block, t0, t1)`, with
/// block −1 for the pieces off the raster. A piece belongs to the block of its midpoint's cell.
template <typename Piece>
void cut_by_blocks(const Segment& s, const Grid& grid, std::int64_t block_rows, std::int64_t block_cols,
                   Piece&& piece) {
    const BlockLines columns(static_cast<double>(block_cols), static_cast<double>(grid.cols));
    const BlockLines rows(static_cast<double>(block_rows), static_cast<double>(grid.rows));
    const std::int64_t blocks_across = (grid.cols + block_cols - 1) / block_cols;
    const auto advance = [](const BlockLines& lines, double start, double delta, NextLine& next) {
        next.position = delta > 0 ? lines.above(next.position) : lines.below(next.position);
        next.t = std::isfinite(next.position) ? (next.position - start) / delta : infinity;
    };
    NextLine u{s.u0, infinity}, v{s.v0, infinity};
    if (s.du != 0) advance(columns, s.u0, s.du, u);
    if (s.dv != 0) advance(rows, s.v0, s.dv, v);
    double t = 0;
    for (;;) {
        const double next = std::min(std::min(u.t, v.t), 1.0);
        if (next > t) {
            const double middle = 0.5 * (t + next);
            const double um = s.u0 + middle * s.du;
            const double vm = s.v0 + middle * s.dv;
            std::int64_t block = -1;
            if (um >= 0 && um < static_cast<double>(grid.cols) && vm >= 0 && vm < static_cast<double>(grid.rows)) {
                const auto col = static_cast<std::int64_t>(std::floor(um));
                const auto row = static_cast<std::int64_t>(std::floor(vm));
                block = (row / block_rows) * blocks_across + col / block_cols;
            }
            piece(block, t, next);
            t = next;
        }
        if (next >= 1) break;
        if (u.t == next) advance(columns, s.u0, s.du, u);
        if (v.t == next) advance(rows, s.v0, s.dv, v);
    }
}

/// The first cell line after t0 along one coordinate (start + t·delta), or t = +∞.
NextLine first_cell_line(double start, double delta, double t0) {
    NextLine next;
    if (delta == 0) return next;
    const double at = start + t0 * delta;
    const double step = delta > 0 ? 1.0 : -1.0;
    next.position = delta > 0 ? std::floor(at) : std::ceil(at);
    next.t = (next.position - start) / delta;
    // Rounding may leave the first line at or before t0; the walk wants the first after it.
    while (next.t <= t0) {
        next.position += step;
        next.t = (next.position - start) / delta;
    }
    return next;
}

/// Buffers one thread reuses from block to block. Aligned to a cache line, so that two
/// threads never write to one.
struct alignas(64) ThreadScratch {
    std::unique_ptr<RasterSource> source;
    std::vector<double> values;
    std::vector<std::uint8_t> bytes;
};

class BlockMeasurer {
public:
    BlockMeasurer(const RasterInfo& info, const ShadeOf& shade_of, const std::vector<Polyline>& lines)
        : m_info(info), m_grid(info.grid), m_shade_of(shade_of), m_lines(lines), m_metres(info),
          m_unit_m(info.linear_unit_m > 0 ? info.linear_unit_m : 1.0), m_bytes(info.data_type == "Byte") {}

    Segment segment(std::size_t line, std::size_t point) const {
        const Polyline& points = m_lines[line];
        return make_segment(m_grid, points[point], points[point + 1], m_unit_m);
    }

    const Metres& metres() const { return m_metres; }

    /// Reads `block` and measures the crossings [first, last) in it into `out` (one each).
    void measure(const Window& block, const Crossing* first, const Crossing* last, ThreadScratch& scratch,
                 LineShade* out) const {
        if (!scratch.source) scratch.source = std::make_unique<RasterSource>(m_info);
        if (m_bytes) {
            scratch.source->read(block, scratch.bytes);
            measure_cells(block, scratch.bytes.data(), first, last, out);
        } else {
            scratch.source->read(block, scratch.values);
            measure_cells(block, scratch.values.data(), first, last, out);
        }
    }

private:
    /// Walks each crossing's part of its segment cell by cell, as Amanatides and Woo do, but
    /// with each cut's t taken from the segment's endpoints rather than accumulated, and each
    /// piece given to the cell of its midpoint (kept inside the block against rounding).
    template <typename T>
    void measure_cells(const Window& block, const T* cells, const Crossing* first, const Crossing* last,
                       LineShade* out) const {
        const std::int64_t col_last = block.col0 + block.cols - 1;
        const std::int64_t row_last = block.row0 + block.rows - 1;
        for (const Crossing* c = first; c != last; ++c, ++out) {
            const Segment s = segment(c->line, c->point);
            NextLine u = first_cell_line(s.u0, s.du, c->t0);
            NextLine v = first_cell_line(s.v0, s.dv, c->t0);
            const double u_step = s.du > 0 ? 1.0 : -1.0;
            const double v_step = s.dv > 0 ? 1.0 : -1.0;
            LineShade sums;
            double t = c->t0;
            for (;;) {
                const double next = std::min(std::min(u.t, v.t), c->t1);
                if (next > t) {
                    const double middle = 0.5 * (t + next);
                    const auto col = std::clamp(static_cast<std::int64_t>(std::floor(s.u0 + middle * s.du)),
                                                block.col0, col_last);
                    const auto row = std::clamp(static_cast<std::int64_t>(std::floor(s.v0 + middle * s.dv)),
                                                block.row0, row_last);
                    const double value = static_cast<double>(
                        cells[static_cast<std::size_t>((row - block.row0) * block.cols + (col - block.col0))]);
                    add_piece(m_metres.of(s, t, next), value, sums);
                    t = next;
                }
                if (next >= c->t1) break;
                if (u.t == next) {
                    u.position += u_step;
                    u.t = (u.position - s.u0) / s.du;
                }
                if (v.t == next) {
                    v.position += v_step;
                    v.t = (v.position - s.v0) / s.dv;
                }
            }
            *out = sums;
        }
    }

    void add_piece(double length_m, double value, LineShade& sums) const {
        sums.length_m += length_m;
        if (std::isnan(value) || (m_info.nodata && value == *m_info.nodata)) {
            sums.unknown_m += length_m;
            return;
        }
        const std::optional<double> fraction = m_shade_of(value);
        if (fraction) {
            sums.shaded_m += length_m * *fraction;
        } else {
            sums.unknown_m += length_m;
        }
    }

    const RasterInfo& m_info;
    const Grid& m_grid;
    const ShadeOf& m_shade_of;
    const std::vector<Polyline>& m_lines;
    Metres m_metres;
    double m_unit_m;
    bool m_bytes;
};

/// Block size: the user's, or the raster's natural block grown to at least 256 cells a side
/// (rows of strips, so that a segment is not cut into a block per row) and cut so that a
/// block holds at most 2²⁰ cells (a full-width strip of a wide raster), as the overlay does.
std::pair<std::int64_t, std::int64_t> choose_block_size(const RasterInfo& info, int block_size) {
    if (block_size > 0) return {block_size, block_size};
    constexpr std::int64_t min_side = 256;
    constexpr std::int64_t max_cells = std::int64_t{1} << 20;
    const auto grow = [](std::int64_t natural) {
        const std::int64_t n = std::max<std::int64_t>(1, natural);
        return n * ((min_side + n - 1) / n);
    };
    std::int64_t rows = grow(info.block_rows);
    std::int64_t cols = grow(info.block_cols);
    if (rows * cols > max_cells) cols = std::max(min_side, max_cells / rows);
    if (rows * cols > max_cells) rows = std::max(min_side, max_cells / cols);
    return {rows, cols};
}

void add_to(LineShade& total, const LineShade& part) {
    total.length_m += part.length_m;
    total.shaded_m += part.shaded_m;
    total.unknown_m += part.unknown_m;
}

}  // namespace

std::vector<LineShade> measure_lines(const RasterInfo& raster, const ShadeOf& shade_of,
                                     const std::vector<Polyline>& lines, int threads, int block_size) {
    if (threads < 0) {
        throw UsageError("threads", fmt::format("'{}' is not a thread count (expected {} for all cores, "
                                                "or a positive number)", threads, all_cores));
    }
    if (block_size < 0) {
        throw UsageError("block_size", fmt::format("'{}' is not a block size (expected 0 for the raster's own "
                                                   "blocks, or a positive number of cells)", block_size));
    }
    const int thread_count = resolve_threads(threads);
    const Grid& grid = raster.grid;
    const std::pair<std::int64_t, std::int64_t> block_shape = choose_block_size(raster, block_size);
    const std::int64_t block_rows = block_shape.first;
    const std::int64_t block_cols = block_shape.second;
    const std::int64_t blocks_across = (grid.cols + block_cols - 1) / block_cols;
    const BlockMeasurer measurer(raster, shade_of, lines);

    // Bucketing, in line and segment order: the parts off the raster are measured here, the
    // others listed by block. A stable sort by block then leaves each block's list in line,
    // segment and t order, the order in which the sums are taken.
    std::vector<LineShade> totals(lines.size());
    std::vector<Crossing> crossings;
    for (std::size_t line = 0; line < lines.size(); ++line) {
        const Polyline& points = lines[line];
        for (std::size_t point = 0; point < points.size(); ++point) {
            if (!std::isfinite(points[point].x) || !std::isfinite(points[point].y)) {
                throw GeometryError("lines", fmt::format("line {} has point {} at ({}, {}), which is not a finite "
                                                         "coordinate", line, point, points[point].x, points[point].y));
            }
        }
        for (std::size_t point = 0; point + 1 < points.size(); ++point) {
            const Segment s = measurer.segment(line, point);
            if (s.du == 0 && s.dv == 0) continue;
            cut_by_blocks(s, grid, block_rows, block_cols, [&](std::int64_t block, double t0, double t1) {
                if (block < 0) {
                    const double length_m = measurer.metres().of(s, t0, t1);
                    totals[line].length_m += length_m;
                    totals[line].unknown_m += length_m;
                } else if (!crossings.empty() && crossings.back().block == block && crossings.back().line == line &&
                           crossings.back().point == point && crossings.back().t1 == t0) {
                    crossings.back().t1 = t1;
                } else {
                    crossings.push_back({block, line, point, t0, t1});
                }
            });
        }
    }
    std::stable_sort(crossings.begin(), crossings.end(),
                     [](const Crossing& a, const Crossing& b) { return a.block < b.block; });
    std::vector<std::size_t> block_starts;
    for (std::size_t i = 0; i < crossings.size(); ++i)
        if (i == 0 || crossings[i].block != crossings[i - 1].block) block_starts.push_back(i);
    block_starts.push_back(crossings.size());

    // Each block writes only its own crossings' slots; the sums are then taken serially,
    // in block order, never in the order blocks finish.
    std::vector<LineShade> parts(crossings.size());
    const auto block_count = static_cast<std::int64_t>(block_starts.size()) - 1;
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(std::max<std::int64_t>(0, block_count)));
    std::vector<ThreadScratch> scratch(static_cast<std::size_t>(thread_count));
#pragma omp parallel for num_threads(thread_count) schedule(dynamic, 1)
    for (std::int64_t b = 0; b < block_count; ++b) {
        const std::size_t begin = block_starts[static_cast<std::size_t>(b)];
        const std::size_t end = block_starts[static_cast<std::size_t>(b) + 1];
        const std::int64_t index = crossings[begin].block;
        Window block;
        block.row0 = (index / blocks_across) * block_rows;
        block.col0 = (index % blocks_across) * block_cols;
        block.rows = std::min(block_rows, grid.rows - block.row0);
        block.cols = std::min(block_cols, grid.cols - block.col0);
        try {
            measurer.measure(block, crossings.data() + begin, crossings.data() + end,
                             scratch[static_cast<std::size_t>(omp_get_thread_num())], parts.data() + begin);
        } catch (...) {
            errors[static_cast<std::size_t>(b)] = std::current_exception();
        }
    }
    for (const std::exception_ptr& error : errors)
        if (error) std::rethrow_exception(error);
    for (std::size_t i = 0; i < crossings.size(); ++i) add_to(totals[crossings[i].line], parts[i]);
    return totals;
}

}  // namespace shadegap
