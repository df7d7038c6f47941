// Sites: candidate cells zone by zone (a window per zone), the canopy clearance and the walkable
// crown area from row scans, ordered and spaced greedily, then spaced across zones in zone order.
// SPDX-License-Identifier: MIT
#include "shadegap/sites.hpp"

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
#include <optional>
#include <unordered_map>
#include <utility>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;
/// A row's distance in cells to its nearest canopy cell when it has none.
constexpr std::int32_t no_canopy = std::numeric_limits<std::int32_t>::max();

bool listed(const std::vector<double>& classes, double value) {
    return std::find(classes.begin(), classes.end(), value) != classes.end();
}

/// What a cell value is to the sites: flags of plantable, walkable and canopy.
enum CellFlag : std::uint8_t { plantable = 1, walkable = 2, canopy = 4 };

/// Classifies cell values. Values 0–255 (every value of a Byte raster) are looked up in a
/// table made once; others are classified as they come. Nodata and NaN are none of the three.
class CellClasses {
public:
    CellClasses(const RasterInfo& info, const SiteOptions& options) : m_info(info), m_options(options) {
        for (int v = 0; v < 256; ++v) m_table[static_cast<std::size_t>(v)] = classify(v);
    }

    std::uint8_t of(double value) const {
        if (value >= 0 && value < 256) {
            const auto index = static_cast<std::size_t>(value);
            if (static_cast<double>(index) == value) return m_table[index];
        }
        return classify(value);
    }

private:
    std::uint8_t classify(double value) const {
        if (std::isnan(value) || (m_info.nodata && value == *m_info.nodata)) return 0;
        std::uint8_t flags = 0;
        if (listed(m_options.plantable_classes, value)) flags |= plantable;
        if (listed(m_options.walkable_classes, value)) flags |= walkable;
        if (m_options.canopy) return flags;  // canopy comes from the canopy raster
        const std::optional<double> share = m_options.canopy_kind.canopy_of(value);
        if (share && *share >= 0.5) flags |= canopy;
        return flags;
    }

    const RasterInfo& m_info;
    const SiteOptions& m_options;
    std::uint8_t m_table[256] = {};
};

/// The centres of a window's cells, and which of them lie inside a multipolygon.
class CentreMask {
public:
    CentreMask(const Grid& grid, const Window& window) : m_grid(grid), m_window(window) {}

    double centre_x(std::int64_t col) const { return m_grid.x_min + (static_cast<double>(col) + 0.5) * m_grid.cell_width; }
    double centre_y(std::int64_t row) const { return m_grid.y_max - (static_cast<double>(row) + 0.5) * m_grid.cell_height; }

    /// Calls inside(window_row, window_col) for each cell whose centre the multipolygon holds.
    /// A scanline through the row's centres meets the edges of all rings, each edge counted
    /// when its ends lie on either side of the line (half-open: y0 > y differs from y1 > y);
    /// sorted, the crossings pair into runs [x_enter, x_leave), the even–odd rule, so holes
    /// and separate parts need no special case.
    template <typename Inside>
    void fill(const MultiPolygon& geometry, Inside&& inside) {
        for (std::int64_t r = 0; r < m_window.rows; ++r) {
            const double y = centre_y(m_window.row0 + r);
            m_crossings.clear();
            for (const Polygon& polygon : geometry) {
                add_crossings(polygon.shell, y);
                for (const Ring& hole : polygon.holes) add_crossings(hole, y);
            }
            std::sort(m_crossings.begin(), m_crossings.end());
            for (std::size_t i = 0; i + 1 < m_crossings.size(); i += 2) {
                const std::int64_t first = first_col_at_or_after(m_crossings[i]);
                const std::int64_t last = first_col_at_or_after(m_crossings[i + 1]);
                for (std::int64_t c = first; c < last; ++c) inside(r, c - m_window.col0);
            }
        }
    }

private:
    void add_crossings(const Ring& ring, double y) {
        const std::size_t n = ring.size();
        for (std::size_t i = 0; i < n; ++i) {
            const Point& a = ring[i];
            const Point& b = ring[(i + 1) % n];
            if ((a.y > y) == (b.y > y)) continue;
            m_crossings.push_back(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
        }
    }

    /// The first column of the window whose centre is at or east of x (the window's end if none).
    std::int64_t first_col_at_or_after(double x) const {
        const std::int64_t begin = m_window.col0;
        const std::int64_t end = m_window.col0 + m_window.cols;
        const double estimate = std::ceil(m_grid.col_of(x) - 0.5);
        if (!(estimate > static_cast<double>(begin))) return begin;
        if (!(estimate < static_cast<double>(end))) return end;
        auto col = static_cast<std::int64_t>(estimate);
        // The estimate may be one off either way after rounding; the centres decide.
        while (col < end && centre_x(col) < x) ++col;
        while (col > begin && centre_x(col - 1) >= x) --col;
        return col;
    }

    const Grid& m_grid;
    Window m_window;
    std::vector<double> m_crossings;
};

/// A candidate before spacing: its window cell and its keys of order.
struct Candidate {
    std::int64_t row = 0;  ///< raster row
    std::int64_t col = 0;  ///< raster column
    std::int64_t walkable_cells = 0;
    double density = 0;
};

/// Sites accepted so far, bucketed by squares of side `spacing` (CRS units), to find those
/// closer than `spacing` to a point by looking at the 3 × 3 buckets around it.
class SpacingGrid {
public:
    explicit SpacingGrid(double spacing) : m_spacing(spacing), m_spacing2(spacing * spacing) {}

    bool free_at(double x, double y) const {
        const std::int64_t bx = bucket(x);
        const std::int64_t by = bucket(y);
        for (std::int64_t i = bx - 1; i <= bx + 1; ++i) {
            for (std::int64_t j = by - 1; j <= by + 1; ++j) {
                const auto found = m_buckets.find(key(i, j));
                if (found == m_buckets.end()) continue;
                for (const Point& p : found->second) {
                    const double dx = p.x - x;
                    const double dy = p.y - y;
                    if (dx * dx + dy * dy < m_spacing2) return false;
                }
            }
        }
        return true;
    }

    void add(double x, double y) { m_buckets[key(bucket(x), bucket(y))].push_back({x, y}); }

private:
    std::int64_t bucket(double v) const { return static_cast<std::int64_t>(std::floor(v / m_spacing)); }
    static std::uint64_t key(std::int64_t i, std::int64_t j) {
        return (static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL) ^ static_cast<std::uint64_t>(j);
    }

    double m_spacing;
    double m_spacing2;
    // Distinct buckets may share a key; they then share a list, which only costs a few distance checks.
    std::unordered_map<std::uint64_t, std::vector<Point>> m_buckets;
};

/// The same for one zone's window: a dense grid of buckets of side max(spacing, cell size)
/// over the window (so never more buckets than cells), each bucket a list threaded
/// through the points. Reused from zone to zone by one thread.
class WindowSpacingGrid {
public:
    void reset(const Box& box, double spacing, double min_side) {
        m_x_min = box.x_min;
        m_y_min = box.y_min;
        m_side = std::max(spacing, min_side);
        m_spacing2 = spacing * spacing;
        m_nx = static_cast<std::int64_t>(std::floor((box.x_max - box.x_min) / m_side)) + 1;
        m_ny = static_cast<std::int64_t>(std::floor((box.y_max - box.y_min) / m_side)) + 1;
        m_heads.assign(static_cast<std::size_t>(m_nx * m_ny), -1);
        m_points.clear();
        m_next.clear();
    }

    bool free_at(double x, double y) const {
        const std::int64_t bx = bucket(x - m_x_min, m_nx);
        const std::int64_t by = bucket(y - m_y_min, m_ny);
        for (std::int64_t j = std::max<std::int64_t>(0, by - 1); j <= std::min(m_ny - 1, by + 1); ++j) {
            for (std::int64_t i = std::max<std::int64_t>(0, bx - 1); i <= std::min(m_nx - 1, bx + 1); ++i) {
                for (std::int32_t k = m_heads[static_cast<std::size_t>(j * m_nx + i)]; k >= 0;
                     k = m_next[static_cast<std::size_t>(k)]) {
                    const Point& p = m_points[static_cast<std::size_t>(k)];
                    const double dx = p.x - x;
                    const double dy = p.y - y;
                    if (dx * dx + dy * dy < m_spacing2) return false;
                }
            }
        }
        return true;
    }

    void add(double x, double y) {
        const auto b = static_cast<std::size_t>(bucket(y - m_y_min, m_ny) * m_nx + bucket(x - m_x_min, m_nx));
        m_points.push_back({x, y});
        m_next.push_back(m_heads[b]);
        m_heads[b] = static_cast<std::int32_t>(m_points.size() - 1);
    }

private:
    std::int64_t bucket(double offset, std::int64_t count) const {
        return std::clamp(static_cast<std::int64_t>(std::floor(offset / m_side)), std::int64_t{0}, count - 1);
    }

    double m_x_min = 0;
    double m_y_min = 0;
    double m_side = 1;
    double m_spacing2 = 0;
    std::int64_t m_nx = 0;
    std::int64_t m_ny = 0;
    std::vector<std::int32_t> m_heads;
    std::vector<Point> m_points;
    std::vector<std::int32_t> m_next;
};

/// What every zone shares: the raster, the options in CRS units and the disc's row spans.
struct Setup {
    const RasterInfo& info;
    CellClasses classes;
    const SiteOptions& options;
    const std::vector<MultiPolygon>& density_zones;
    const std::vector<double>& densities;
    std::vector<Box> density_boxes;
    double radius = 0;        ///< r in CRS units
    double spacing = 0;       ///< spacing in CRS units
    double cell_m2 = 0;
    /// Walkable disc: walk_half[|dr|] = the largest dc with (dc·w)² + (dr·h)² <= r² (dr <= walk_rows).
    std::int64_t walk_rows = 0;
    std::vector<std::int64_t> walk_half;
    /// Canopy clearance: rows with (|dr| − ½)·h < r, that is |dr| <= clear_rows.
    std::int64_t clear_rows = 0;
};

Setup make_setup(const RasterInfo& info, const SiteOptions& options, const std::vector<MultiPolygon>& density_zones,
                 const std::vector<double>& densities) {
    Setup s{info, CellClasses(info, options), options, density_zones, densities, {}, 0, 0, 0, 0, {}, 0};
    const double unit = info.linear_unit_m > 0 ? info.linear_unit_m : 1.0;
    s.radius = std::sqrt(options.crown_m2 / pi) / unit;
    s.spacing = options.spacing_m / unit;
    const double w = info.grid.cell_width;
    const double h = info.grid.cell_height;
    s.cell_m2 = w * h * unit * unit;
    const double r2 = s.radius * s.radius;
    s.walk_rows = static_cast<std::int64_t>(std::floor(s.radius / h)) + 1;
    while (s.walk_rows > 0 && std::pow(static_cast<double>(s.walk_rows) * h, 2) > r2) --s.walk_rows;
    for (std::int64_t dr = 0; dr <= s.walk_rows; ++dr) {
        const double dy = static_cast<double>(dr) * h;
        auto half = static_cast<std::int64_t>(std::floor(std::sqrt(std::max(0.0, r2 - dy * dy)) / w)) + 1;
        while (half >= 0 && std::pow(static_cast<double>(half) * w, 2) + dy * dy > r2) --half;
        s.walk_half.push_back(half);
    }
    s.clear_rows = static_cast<std::int64_t>(std::ceil(s.radius / h + 0.5)) + 1;
    while (s.clear_rows > 0 && (static_cast<double>(s.clear_rows) - 0.5) * h >= s.radius) --s.clear_rows;
    for (const MultiPolygon& zone : density_zones) s.density_boxes.push_back(bounding_box(zone));
    return s;
}

/// Buffers one thread reuses from zone to zone. Aligned to a cache line, so that two
/// threads never write to one.
struct alignas(64) ThreadScratch {
    std::unique_ptr<RasterSource> source;
    std::unique_ptr<RasterSource> canopy_source;  ///< with SiteOptions::canopy
    std::vector<double> values;
    std::vector<double> canopy_values;
    std::vector<std::uint8_t> flags;  ///< CellFlag per cell
    std::vector<std::uint8_t> inside;
    std::vector<double> density;
    std::vector<std::int32_t> nearest_canopy;  ///< per cell: |dc| to the row's nearest canopy cell
    std::vector<std::int32_t> walkable_prefix;  ///< per row: cols + 1 running counts
    std::vector<Candidate> candidates;
    WindowSpacingGrid accepted;
};

bool boxes_meet(const Box& a, const Box& b) {
    return a.x_min <= b.x_max && b.x_min <= a.x_max && a.y_min <= b.y_max && b.y_min <= a.y_max;
}

/// One zone's sites, in order, before the pass across zones.
std::vector<Site> zone_sites(const Setup& s, std::uint32_t zone_index, const MultiPolygon& zone,
                             ThreadScratch& scratch) {
    std::vector<Site> sites;
    const Grid& grid = s.info.grid;
    const Box box = bounding_box(zone);
    if (!(box.x_min <= box.x_max && box.y_min <= box.y_max)) return sites;
    const Window window = grid.window_of(box.x_min - s.radius, box.y_min - s.radius, box.x_max + s.radius,
                                         box.y_max + s.radius);
    if (window.empty()) return sites;
    const auto cells = static_cast<std::size_t>(window.cell_count());
    const std::int64_t cols = window.cols;
    if (!scratch.source) scratch.source = std::make_unique<RasterSource>(s.info);
    scratch.source->read(window, scratch.values);
    scratch.flags.resize(cells);
    for (std::size_t i = 0; i < cells; ++i) scratch.flags[i] = s.classes.of(scratch.values[i]);
    if (s.options.canopy) {
        // Existing canopy from the canopy raster, cell for cell (its nodata and NaN: none).
        if (!scratch.canopy_source) scratch.canopy_source = std::make_unique<RasterSource>(*s.options.canopy);
        scratch.canopy_source->read(window, scratch.canopy_values);
        const std::optional<double> nodata = s.options.canopy->nodata;
        for (std::size_t i = 0; i < cells; ++i) {
            const double v = scratch.canopy_values[i];
            if (std::isnan(v) || (nodata && v == *nodata)) continue;
            const std::optional<double> share = s.options.canopy_kind.canopy_of(v);
            if (share && *share >= 0.5) scratch.flags[i] |= canopy;
        }
    }

    // The zone's plantable centres.
    CentreMask mask(grid, window);
    scratch.inside.assign(cells, 0);
    std::int64_t inside_count = 0;
    mask.fill(zone, [&](std::int64_t r, std::int64_t c) {
        const auto i = static_cast<std::size_t>(r * cols + c);
        if (!(scratch.flags[i] & plantable)) return;
        scratch.inside[i] = 1;
        ++inside_count;
    });
    if (inside_count == 0) return sites;

    // Density: the first density zone (in list order) that holds the centre; NaN marks "none yet".
    const Box window_box{grid.x_min + static_cast<double>(window.col0) * grid.cell_width,
                         grid.y_max - static_cast<double>(window.row0 + window.rows) * grid.cell_height,
                         grid.x_min + static_cast<double>(window.col0 + window.cols) * grid.cell_width,
                         grid.y_max - static_cast<double>(window.row0) * grid.cell_height};
    scratch.density.assign(cells, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t d = 0; d < s.density_zones.size(); ++d) {
        if (!boxes_meet(s.density_boxes[d], window_box)) continue;
        const double density = s.densities[d];
        mask.fill(s.density_zones[d], [&](std::int64_t r, std::int64_t c) {
            double& cell = scratch.density[static_cast<std::size_t>(r * cols + c)];
            if (std::isnan(cell)) cell = density;
        });
    }

    // Per row, the distance in columns to the nearest canopy cell (two scans), and running
    // counts of walkable cells.
    scratch.nearest_canopy.assign(cells, no_canopy);
    scratch.walkable_prefix.assign(static_cast<std::size_t>(window.rows * (cols + 1)), 0);
    for (std::int64_t r = 0; r < window.rows; ++r) {
        const std::uint8_t* row_flags = scratch.flags.data() + r * cols;
        std::int32_t* nearest = scratch.nearest_canopy.data() + r * cols;
        std::int32_t* prefix = scratch.walkable_prefix.data() + r * (cols + 1);
        std::int64_t last = -1;
        for (std::int64_t c = 0; c < cols; ++c) {
            if (row_flags[c] & canopy) last = c;
            if (last >= 0) nearest[c] = static_cast<std::int32_t>(c - last);
            prefix[c + 1] = prefix[c] + ((row_flags[c] & walkable) ? 1 : 0);
        }
        last = -1;
        for (std::int64_t c = cols - 1; c >= 0; --c) {
            if (nearest[c] == 0) last = c;
            if (last >= 0) nearest[c] = std::min(nearest[c], static_cast<std::int32_t>(last - c));
        }
    }

    // Candidates: clear of canopy, with their walkable crown and density.
    const double w = grid.cell_width;
    const double h = grid.cell_height;
    const double r2 = s.radius * s.radius;
    scratch.candidates.clear();
    for (std::int64_t r = 0; r < window.rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            const auto i = static_cast<std::size_t>(r * cols + c);
            if (!scratch.inside[i]) continue;
            // Rows from the candidate's own outward: a near canopy cell ends the search soonest.
            bool clear = true;
            for (std::int64_t k = 0; k <= s.clear_rows && clear; ++k) {
                // The nearest point of a cell |d| cells away is (|d| − ½) cells away, 0 in the same column or row.
                const double dy = std::max(0.0, static_cast<double>(k) - 0.5) * h;
                for (const std::int64_t rr : {r - k, r + k}) {
                    if (rr < 0 || rr >= window.rows) continue;
                    const std::int32_t n = scratch.nearest_canopy[static_cast<std::size_t>(rr * cols + c)];
                    if (n == no_canopy) continue;
                    const double dx = std::max(0.0, static_cast<double>(n) - 0.5) * w;
                    if (dx * dx + dy * dy < r2) clear = false;
                }
            }
            if (!clear) continue;
            Candidate candidate;
            candidate.row = window.row0 + r;
            candidate.col = window.col0 + c;
            for (std::int64_t dr = -s.walk_rows; dr <= s.walk_rows; ++dr) {
                const std::int64_t rr = r + dr;
                if (rr < 0 || rr >= window.rows) continue;
                const std::int64_t half = s.walk_half[static_cast<std::size_t>(std::abs(dr))];
                if (half < 0) continue;
                const std::int32_t* prefix = scratch.walkable_prefix.data() + rr * (cols + 1);
                const std::int64_t c0 = std::max<std::int64_t>(0, c - half);
                const std::int64_t c1 = std::min(cols, c + half + 1);
                candidate.walkable_cells += prefix[c1] - prefix[c0];
            }
            const double density = scratch.density[i];
            candidate.density = std::isnan(density) ? 0 : density;
            scratch.candidates.push_back(candidate);
        }
    }

    // Order, then greedy spacing.
    std::vector<Candidate>& candidates = scratch.candidates;
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.walkable_cells != b.walkable_cells) return a.walkable_cells > b.walkable_cells;
        if (a.density != b.density) return a.density > b.density;
        if (a.row != b.row) return a.row < b.row;
        return a.col < b.col;
    });
    WindowSpacingGrid& accepted = scratch.accepted;
    accepted.reset(window_box, s.spacing, std::max(w, h));
    for (const Candidate& candidate : candidates) {
        const double x = mask.centre_x(candidate.col);
        const double y = mask.centre_y(candidate.row);
        if (!accepted.free_at(x, y)) continue;
        accepted.add(x, y);
        Site site;
        site.x = x;
        site.y = y;
        site.zone = zone_index;
        site.order = static_cast<std::uint32_t>(sites.size());
        site.walkable_m2 = static_cast<double>(candidate.walkable_cells) * s.cell_m2;
        site.density = candidate.density;
        sites.push_back(site);
    }
    return sites;
}

}  // namespace

std::vector<Site> find_sites(const RasterInfo& landcover, const std::vector<MultiPolygon>& zones,
                             const std::vector<MultiPolygon>& density_zones, const std::vector<double>& densities,
                             const SiteOptions& options) {
    if (options.canopy) require_same_grid(landcover, *options.canopy, "the land cover " + landcover.path);
    if (landcover.geographic) {
        throw InputError(landcover.path, fmt::format("sites need a projected CRS (metres), but the raster is in "
                                                     "the geographic CRS '{}'", landcover.crs_name));
    }
    if (!(options.spacing_m > 0) || !std::isfinite(options.spacing_m)) {
        throw UsageError("spacing", fmt::format("'{}' is not a spacing (expected a positive number of metres)",
                                                options.spacing_m));
    }
    if (!(options.crown_m2 > 0) || !std::isfinite(options.crown_m2)) {
        throw UsageError("crown_m2", fmt::format("'{}' is not a crown area (expected a positive number of m²)",
                                                 options.crown_m2));
    }
    if (densities.size() != density_zones.size()) {
        throw UsageError("densities", fmt::format("{} densities for {} density zones (expected one each)",
                                                  densities.size(), density_zones.size()));
    }
    if (options.threads < 0) {
        throw UsageError("threads", fmt::format("'{}' is not a thread count (expected {} for all cores, "
                                                "or a positive number)", options.threads, all_cores));
    }
    const int thread_count = resolve_threads(options.threads);
    const Setup setup = make_setup(landcover, options, density_zones, densities);

    // Zones in parallel; each writes only its own slot.
    const auto zone_count = static_cast<std::int64_t>(zones.size());
    std::vector<std::vector<Site>> per_zone(zones.size());
    std::vector<std::exception_ptr> errors(zones.size());
    std::vector<ThreadScratch> scratch(static_cast<std::size_t>(thread_count));
#pragma omp parallel for num_threads(thread_count) schedule(dynamic, 1)
    for (std::int64_t z = 0; z < zone_count; ++z) {
        const auto index = static_cast<std::size_t>(z);
        try {
            per_zone[index] = zone_sites(setup, static_cast<std::uint32_t>(z), zones[index],
                                         scratch[static_cast<std::size_t>(omp_get_thread_num())]);
        } catch (...) {
            errors[index] = std::current_exception();
        }
    }
    for (const std::exception_ptr& error : errors)
        if (error) std::rethrow_exception(error);

    // Across zones, in zone order then order: a site closer than the spacing to one kept
    // before it goes. Sites of one zone are already spaced, so only other zones' sites drop it.
    std::vector<Site> result;
    SpacingGrid kept(setup.spacing);
    for (const std::vector<Site>& sites : per_zone) {
        std::uint32_t order = 0;
        for (const Site& site : sites) {
            if (!kept.free_at(site.x, site.y)) continue;
            kept.add(site.x, site.y);
            result.push_back(site);
            result.back().order = order++;
        }
    }
    return result;
}

std::vector<Site> apart_first(const std::vector<Site>& sites, double distance) {
    std::vector<Site> out;
    out.reserve(sites.size());
    std::vector<char> first(sites.size(), 0);
    for (std::size_t begin = 0; begin < sites.size();) {
        std::size_t end = begin;
        while (end < sites.size() && sites[end].zone == sites[begin].zone) ++end;
        SpacingGrid kept(distance);
        for (std::size_t k = begin; k < end; ++k) {
            if (!kept.free_at(sites[k].x, sites[k].y)) continue;
            kept.add(sites[k].x, sites[k].y);
            first[k] = 1;
        }
        std::uint32_t order = 0;
        for (const char pass : {char{1}, char{0}})
            for (std::size_t k = begin; k < end; ++k)
                if (first[k] == pass) {
                    out.push_back(sites[k]);
                    out.back().order = order++;
                }
        begin = end;
    }
    return out;
}

}  // namespace shadegap
