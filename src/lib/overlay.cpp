// The overlay: exact zonal sums, streamed by raster blocks, parallel and merged in block order.
// SPDX-License-Identifier: MIT
#include "shadegap/overlay.hpp"

#include "block_iteration.hpp"
#include "shadegap/coverage.hpp"

// Boost 1.74's math constants include a header it deprecates itself; the note is noise.
#define BOOST_ALLOW_DEPRECATED_HEADERS
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <iterator>
#include <memory>
#include <utility>

namespace shadegap {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

using IndexPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using IndexBox = bg::model::box<IndexPoint>;
using IndexEntry = std::pair<IndexBox, std::size_t>;
using ZoneTree = bgi::rtree<IndexEntry, bgi::rstar<16>>;

/// Cell shares below zero mark cells that are not valid land.
constexpr double share_nodata = -1;
constexpr double share_water = -2;
constexpr double share_invalid = -3;

/// Zone bounding boxes in cell coordinates (x = column, y = row), indexed once.
class ZoneIndex {
public:
    ZoneIndex(const Grid& grid, const std::vector<MultiPolygon>& zones) : m_windows(zones.size()) {
        std::vector<IndexEntry> entries;
        entries.reserve(zones.size());
        for (std::size_t z = 0; z < zones.size(); ++z) {
            const Box box = bounding_box(zones[z]);
            const Window window = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
            if (window.empty()) continue;
            m_windows[z] = window;
            const IndexPoint low(static_cast<double>(window.col0), static_cast<double>(window.row0));
            const IndexPoint high(static_cast<double>(window.col0 + window.cols),
                                  static_cast<double>(window.row0 + window.rows));
            entries.emplace_back(IndexBox(low, high), z);
        }
        m_tree = ZoneTree(entries.begin(), entries.end());
    }

    /// Zones whose cells meet `block`, each with the shared cells, in zone order.
    void find(const Window& block, std::vector<std::pair<std::size_t, Window>>& hits) const {
        hits.clear();
        const IndexBox query(IndexPoint(static_cast<double>(block.col0), static_cast<double>(block.row0)),
                             IndexPoint(static_cast<double>(block.col0 + block.cols),
                                        static_cast<double>(block.row0 + block.rows)));
        std::vector<IndexEntry> found;
        m_tree.query(bgi::intersects(query), std::back_inserter(found));
        for (const IndexEntry& entry : found) {
            const Window shared = detail::intersect(m_windows[entry.second], block);
            if (!shared.empty()) hits.emplace_back(entry.second, shared);
        }
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }

private:
    std::vector<Window> m_windows;
    ZoneTree m_tree;
};

/// Turns raw cell values into canopy shares (or the negative markers above).
class CellClassifier {
public:
    CellClassifier(const RasterInfo& info, const OverlayOptions& options)
        : m_path(info.path), m_nodata(info.nodata), m_water(options.water_classes), m_kind(options.kind) {}

    double share_of(double value) const {
        if (std::isnan(value) || (m_nodata && value == *m_nodata)) return share_nodata;
        if (std::find(m_water.begin(), m_water.end(), value) != m_water.end()) return share_water;
        const std::optional<double> share = m_kind.canopy_of(value);
        return share ? *share : share_invalid;
    }

    [[noreturn]] void reject(double value, std::int64_t row, std::int64_t col) const {
        std::string expected;
        switch (m_kind.type) {
        case CanopyKind::Type::Binary: expected = "0 or 1"; break;
        case CanopyKind::Type::Percent: expected = "0 to 100"; break;
        case CanopyKind::Type::Fraction: expected = "0 to 1"; break;
        case CanopyKind::Type::Classes:
        case CanopyKind::Type::Min: expected = "a number"; break;
        }
        InputError error(m_path, fmt::format("value {} at row {}, column {} is not a valid {} canopy value "
                                             "(expected {}); if {} marks missing data, declare it as the "
                                             "raster's nodata value",
                                             value, row, col, m_kind.to_string(), expected, value));
        error.with_hint(fmt::format("gdal_edit.py -a_nodata {} {}", value, m_path));
        throw error;
    }

private:
    std::string m_path;
    std::optional<double> m_nodata;
    std::vector<double> m_water;
    CanopyKind m_kind;
};

/// Block size: the user's, or the raster's natural block grown to at least 256 cells a side
/// (a strip of one row would recompute every zone's edges once per row) and cut so that a
/// block holds at most 2²⁰ cells (a full-width strip of a wide raster).
std::pair<std::int64_t, std::int64_t> choose_block_size(const RasterInfo& info, const OverlayOptions& options) {
    constexpr std::int64_t min_side = 256;
    constexpr std::int64_t max_cells = std::int64_t{1} << 20;
    const auto grow = [](std::int64_t natural) {
        const std::int64_t n = std::max<std::int64_t>(1, natural);
        return n * ((min_side + n - 1) / n);
    };
    std::int64_t rows = options.block_rows > 0 ? options.block_rows : grow(info.block_rows);
    std::int64_t cols = options.block_cols > 0 ? options.block_cols : grow(info.block_cols);
    if (options.block_cols <= 0 && rows * cols > max_cells) cols = std::max(min_side, max_cells / rows);
    if (options.block_rows <= 0 && rows * cols > max_cells) rows = std::max(min_side, max_cells / cols);
    return {rows, cols};
}

struct BlockResult {
    std::vector<std::pair<std::size_t, ZoneSums>> sums;
    std::exception_ptr error;
};

/// Buffers one thread reuses from block to block.
struct ThreadScratch {
    std::unique_ptr<RasterSource> source;
    std::vector<double> values;
    std::vector<double> shares;
    std::vector<std::pair<std::size_t, Window>> hits;
};

class BlockProcessor {
public:
    BlockProcessor(const std::string& path, const RasterInfo& info, const std::vector<MultiPolygon>& zones,
                   const OverlayOptions& options)
        : m_path(path), m_grid(info.grid), m_areas(info), m_zones(zones), m_index(info.grid, zones),
          m_classifier(info, options) {}

    void process(const Window& block, ThreadScratch& scratch, BlockResult& result) const {
        m_index.find(block, scratch.hits);
        if (scratch.hits.empty()) return;
        if (!scratch.source) scratch.source = std::make_unique<RasterSource>(m_path);
        scratch.source->read(block, scratch.values);
        scratch.shares.resize(scratch.values.size());
        std::transform(scratch.values.begin(), scratch.values.end(), scratch.shares.begin(),
                       [this](double value) { return m_classifier.share_of(value); });
        result.sums.reserve(scratch.hits.size());
        for (const auto& [zone, window] : scratch.hits) {
            const CoverageMatrix coverage = compute_coverage(m_grid, window, m_zones[zone]);
            result.sums.emplace_back(zone, sum_zone(block, coverage, scratch));
        }
    }

private:
    ZoneSums sum_zone(const Window& block, const CoverageMatrix& coverage, const ThreadScratch& scratch) const {
        ZoneSums sums;
        const Window& w = coverage.window;
        for (std::int64_t r = w.row0; r < w.row0 + w.rows; ++r) {
            const double cell_m2 = m_areas.cell_area_m2(r);
            const double* fractions = &coverage.fractions[static_cast<std::size_t>((r - w.row0) * w.cols)];
            const std::int64_t block_offset = (r - block.row0) * block.cols - block.col0;
            for (std::int64_t c = w.col0; c < w.col0 + w.cols; ++c) {
                const double f = fractions[c - w.col0];
                if (f == 0) continue;
                const auto cell = static_cast<std::size_t>(block_offset + c);
                const double share = scratch.shares[cell];
                const double covered_m2 = f * cell_m2;
                sums.covered_m2 += covered_m2;
                if (share >= 0) {
                    sums.valid_m2 += covered_m2;
                    sums.canopy_m2 += covered_m2 * share;
                } else if (share == share_nodata) {
                    sums.nodata_m2 += covered_m2;
                } else if (share == share_water) {
                    sums.water_m2 += covered_m2;
                } else {
                    m_classifier.reject(scratch.values[cell], r, c);
                }
            }
        }
        return sums;
    }

    const std::string& m_path;
    const Grid& m_grid;
    CellAreas m_areas;
    const std::vector<MultiPolygon>& m_zones;
    ZoneIndex m_index;
    CellClassifier m_classifier;
};

}  // namespace

std::vector<ZoneSums> overlay_zones(const std::string& raster_path, const std::vector<MultiPolygon>& zones,
                                    const OverlayOptions& options, const ProgressFn& progress) {
    if (options.threads < 0) {
        throw UsageError("--threads", fmt::format("'{}' is not a thread count (expected 0 for all cores, "
                                                  "or a positive number)", options.threads));
    }
    auto first_source = std::make_unique<RasterSource>(raster_path);
    const RasterInfo info = first_source->info();
    const int threads = options.threads > 0 ? options.threads : std::max(1, omp_get_max_threads());

    const auto [block_rows, block_cols] = choose_block_size(info, options);
    const detail::BlockLayout layout(info.grid.rows, info.grid.cols, block_rows, block_cols);
    const BlockProcessor processor(raster_path, info, zones, options);

    std::vector<ThreadScratch> scratch(static_cast<std::size_t>(threads));
    scratch[0].source = std::move(first_source);
    std::vector<ZoneSums> totals(zones.size());

    // Batches bound the partial sums held at once; merging each batch in block order
    // makes the totals independent of which thread finished which block first.
    const std::int64_t block_count = layout.count();
    const std::int64_t batch_size = static_cast<std::int64_t>(threads) * 4;
    std::vector<BlockResult> results;
    for (std::int64_t batch_start = 0; batch_start < block_count; batch_start += batch_size) {
        const std::int64_t batch_end = std::min(block_count, batch_start + batch_size);
        results.assign(static_cast<std::size_t>(batch_end - batch_start), BlockResult{});
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (std::int64_t block = batch_start; block < batch_end; ++block) {
            BlockResult& result = results[static_cast<std::size_t>(block - batch_start)];
            try {
                processor.process(layout.window(block), scratch[static_cast<std::size_t>(omp_get_thread_num())],
                                  result);
            } catch (...) {
                result.error = std::current_exception();
            }
        }
        for (const BlockResult& result : results) {
            if (result.error) std::rethrow_exception(result.error);
            for (const auto& [zone, sums] : result.sums) totals[zone].merge(sums);
        }
        if (progress) progress(static_cast<double>(batch_end) / static_cast<double>(block_count), "overlay");
    }
    if (progress && block_count == 0) progress(1.0, "overlay");
    return totals;
}

}  // namespace shadegap
