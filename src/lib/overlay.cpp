// The overlay: exact zonal sums, streamed by raster blocks, parallel and merged in block order.
// SPDX-License-Identifier: MIT
#include "shadegap/overlay.hpp"

#include "block_iteration.hpp"
#include "coverage_runs.hpp"
#include "gdal_util.hpp"

// Boost 1.74's math constants include a header it deprecates itself; the note is noise.
#define BOOST_ALLOW_DEPRECATED_HEADERS
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cpl_conv.h>
#include <fmt/format.h>
#include <gdal.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
    /// `found` is scratch space, kept by the caller to spare an allocation per block.
    void find(const Window& block, std::vector<std::pair<std::size_t, Window>>& hits,
              std::vector<IndexEntry>& found) const {
        hits.clear();
        found.clear();
        const IndexBox query(IndexPoint(static_cast<double>(block.col0), static_cast<double>(block.row0)),
                             IndexPoint(static_cast<double>(block.col0 + block.cols),
                                        static_cast<double>(block.row0 + block.rows)));
        m_tree.query(bgi::intersects(query), std::back_inserter(found));
        for (const IndexEntry& entry : found) {
            const Window shared = detail::intersect(m_windows[entry.second], block);
            if (!shared.empty()) hits.emplace_back(entry.second, shared);
        }
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }

    /// Each zone's cells (its bounding box on the grid; empty when off the raster).
    const std::vector<Window>& windows() const { return m_windows; }

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

/// What each of the 256 values of a Byte raster means, decided once per overlay. Values of
/// the same meaning (kind of cell and canopy share) share a bin. When few values fall
/// outside the commonest bin (binary, classes and min kinds: a canopy class or two, nodata,
/// water), those "special" values are counted by comparison and the common bin takes
/// the rest; otherwise (percent, fraction) every value is counted.
struct ByteMeaning {
    static constexpr std::size_t max_special = 8;
    std::array<double, 256> share{};      ///< canopy share, or a negative marker
    std::array<std::uint8_t, 256> bin{};  ///< the bin of each value
    std::vector<double> bin_share;        ///< the share (or marker) of each bin
    std::vector<bool> bin_residential;    ///< whether the bin's values are residential classes
    std::size_t common_bin = 0;           ///< the bin holding the most values
    std::vector<std::uint8_t> special;    ///< the values of the other bins, if at most max_special
};

ByteMeaning describe_bytes(const CellClassifier& classifier, const std::vector<double>& residential_classes) {
    ByteMeaning meaning;
    for (std::size_t v = 0; v < 256; ++v) {
        const double share = classifier.share_of(static_cast<double>(v));
        const bool residential = std::find(residential_classes.begin(), residential_classes.end(),
                                           static_cast<double>(v)) != residential_classes.end();
        meaning.share[v] = share;
        std::size_t b = 0;
        while (b < meaning.bin_share.size() &&
               !(meaning.bin_share[b] == share && meaning.bin_residential[b] == residential))
            ++b;
        meaning.bin[v] = static_cast<std::uint8_t>(b);
        if (b == meaning.bin_share.size()) {
            meaning.bin_share.push_back(share);
            meaning.bin_residential.push_back(residential);
        }
    }
    std::vector<int> values_in_bin(meaning.bin_share.size(), 0);
    for (const std::uint8_t b : meaning.bin) ++values_in_bin[b];
    meaning.common_bin = static_cast<std::size_t>(std::max_element(values_in_bin.begin(), values_in_bin.end()) -
                                                  values_in_bin.begin());
    if (256 - values_in_bin[meaning.common_bin] <= static_cast<int>(ByteMeaning::max_special)) {
        for (std::size_t v = 0; v < 256; ++v)
            if (meaning.bin[v] != meaning.common_bin) meaning.special.push_back(static_cast<std::uint8_t>(v));
    }
    return meaning;
}

/// Counts, over many runs of cells, the cells equal to each of K values. With SSE2: sixteen
/// cells per compare into byte counters that stay in registers from run to run and are
/// added up before they can overflow (every 255 compares) and at the end.
template <std::size_t K>
class EqualCounter {
public:
    /// counts[k] receives the number of cells equal to values[k] (added by finish()).
    EqualCounter(const std::uint8_t* values, std::int64_t* counts) : m_values(values), m_counts(counts) {
#if defined(__SSE2__)
        for (std::size_t k = 0; k < K; ++k) {
            m_target[k] = _mm_set1_epi8(static_cast<char>(values[k]));
            m_acc[k] = _mm_setzero_si128();
        }
#endif
    }

    void add(const std::uint8_t* cells, std::int64_t n) {
        std::int64_t i = 0;
#if defined(__SSE2__)
        if (n >= 16) {
            for (; n - i >= 16; i += 16) {
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cells + i));
                for (std::size_t k = 0; k < K; ++k) m_acc[k] = _mm_sub_epi8(m_acc[k], _mm_cmpeq_epi8(x, m_target[k]));
                if (++m_compares == 255) flush();
            }
            if (i < n) {
                // The last sixteen cells, of which only the n − i not yet counted are kept.
                alignas(16) static const std::uint8_t keep_last[32] = {
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
                const __m128i keep = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keep_last + (n - i)));
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(cells + n - 16));
                for (std::size_t k = 0; k < K; ++k)
                    m_acc[k] = _mm_sub_epi8(m_acc[k], _mm_and_si128(_mm_cmpeq_epi8(x, m_target[k]), keep));
                if (++m_compares == 255) flush();
                return;
            }
        }
#endif
        for (; i < n; ++i)
            for (std::size_t k = 0; k < K; ++k) m_counts[k] += cells[i] == m_values[k];
    }

    /// Adds what the byte counters hold to counts.
    void finish() {
#if defined(__SSE2__)
        flush();
#endif
    }

private:
#if defined(__SSE2__)
    void flush() {
        const __m128i zero = _mm_setzero_si128();
        for (std::size_t k = 0; k < K; ++k) {
            const __m128i sums = _mm_sad_epu8(m_acc[k], zero);
            m_counts[k] += _mm_cvtsi128_si64(sums) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
            m_acc[k] = zero;
        }
        m_compares = 0;
    }

    __m128i m_target[K > 0 ? K : 1];  // (K = 0: none used)
    __m128i m_acc[K > 0 ? K : 1];
    int m_compares = 0;
#endif
    const std::uint8_t* m_values;
    std::int64_t* m_counts;
};

/// A block of a Float32 shade raster made ready for counting beside a Byte land cover
/// (ShadeReader::read_masked): `values` holds each cell's shade fraction where the cell is
/// in the shade mask (valid land of a mask class, with a shade value) and 0 elsewhere,
/// `in_mask` 1 there and 0 elsewhere; both row by row over the block, like its bytes.
/// `cell_m2` is the area of every cell.
struct ShadeCells {
    const float* values = nullptr;
    const std::uint8_t* in_mask = nullptr;
    double cell_m2 = 0;
};

/// A zone's shade in one block: shade_mask_m2 and shade_m2.
struct ShadeCovered {
    double mask_m2 = 0;
    double shade_m2 = 0;
};

/// Cells of one zone in one block of a Byte raster, counted by bin: cells wholly covered as
/// integers, partly covered cells by their fractions. Nothing here depends on where a cell
/// lies, so a wholly covered cell costs a compare or a table increment. With a shade raster,
/// the same sweep adds up Σ f m and Σ f m s along each row, cell by cell from left to right,
/// and adds each row's sums times the cell area: the additions of sum_zone, in its order, so
/// the shade sums have the same bits as there (a run of cells of another mask class adds
/// zeros, which change nothing).
class ByteTally {
public:
    explicit ByteTally(const ByteMeaning& meaning) : m_meaning(meaning) {
        m_count_zone = zone_counter<false>(meaning.special.size(),
                                           std::make_index_sequence<ByteMeaning::max_special + 1>{});
        m_count_zone_shade = zone_counter<true>(meaning.special.size(),
                                                std::make_index_sequence<ByteMeaning::max_special + 1>{});
    }

    /// Counts the cells of a zone in `window` (inside `block`), whose values are `bytes`,
    /// the block's cells row by row, as the rasteriser sweeps them: no runs are stored.
    /// With `shade` (the block's shade cells, laid out like `bytes`), sums the shade too.
    void count(detail::CoverageRasteriser& rasteriser, const detail::CellPolygon& zone, const Window& window,
               const Window& block, const std::uint8_t* bytes, const ShadeCells* shade = nullptr) {
        if (shade) {
            (this->*m_count_zone_shade)(rasteriser, zone, window, block, bytes, shade);
        } else {
            (this->*m_count_zone)(rasteriser, zone, window, block, bytes, nullptr);
        }
    }

    /// The shade summed since the last call, then zeroed.
    ShadeCovered take_shade() {
        const ShadeCovered out = m_shade;
        m_shade = {};
        return out;
    }

    /// The covered fraction of each bin (covered[b], b < the number of bins), then zeroed
    /// for the next zone.
    void take(std::vector<double>& covered) {
        const std::size_t bins = m_meaning.bin_share.size();
        covered.assign(bins, 0.0);
        std::int64_t rest = m_whole_total;
        if (!m_meaning.special.empty()) {
            for (std::size_t k = 0; k < m_meaning.special.size(); ++k) {
                m_whole_bin[m_meaning.bin[m_meaning.special[k]]] += m_special_counts[k];
                rest -= m_special_counts[k];
                m_special_counts[k] = 0;
            }
            m_whole_bin[m_meaning.common_bin] += rest;
        } else {
            for (std::size_t v = 0; v < 256; ++v) {
                const std::int64_t n = m_by_value[0][v] + m_by_value[1][v] + m_by_value[2][v] + m_by_value[3][v];
                if (n == 0) continue;
                m_by_value[0][v] = m_by_value[1][v] = m_by_value[2][v] = m_by_value[3][v] = 0;
                m_whole_bin[m_meaning.bin[v]] += n;
            }
        }
        for (std::size_t b = 0; b < bins; ++b) {
            covered[b] = static_cast<double>(m_whole_bin[b]) + m_partial[b];
            m_whole_bin[b] = 0;
            m_partial[b] = 0;
        }
        m_whole_total = 0;
    }

private:
    using ZoneCounter = void (ByteTally::*)(detail::CoverageRasteriser&, const detail::CellPolygon&, const Window&,
                                            const Window&, const std::uint8_t*, const ShadeCells*);

    template <bool Shade, std::size_t... K>
    static ZoneCounter zone_counter(std::size_t special, std::index_sequence<K...>) {
        constexpr ZoneCounter table[] = {&ByteTally::count_zone<K, Shade>...};
        return table[special];
    }

    /// count() with K special values (0: every value counted), and with Shade the shade
    /// cells. Wholly covered cells are counted as integers, cells an edge crosses add their
    /// fractions to their bin.
    template <std::size_t K, bool Shade>
    void count_zone(detail::CoverageRasteriser& rasteriser, const detail::CellPolygon& zone, const Window& window,
                    const Window& block, const std::uint8_t* bytes, const ShadeCells* shade) {
        struct Sink {
            ByteTally& tally;
            EqualCounter<K>& equal;
            std::size_t first;  ///< the window's first cell in the block
            std::size_t stride;
            const std::uint8_t* bytes;
            ShadeCells shade;
            const std::uint8_t* cells = nullptr;  ///< the current row's, from the window's first column
            ShadeCells shade_row;                 ///< the same for the shade
            double mask_line = 0;                 ///< the current row's Σ f m
            double shade_line = 0;                ///< and Σ f m s

            void row(std::int64_t r) {
                const std::size_t offset = first + static_cast<std::size_t>(r) * stride;
                cells = bytes + offset;
                if constexpr (Shade) {
                    end_row();
                    shade_row = {shade.values + offset, shade.in_mask + offset, shade.cell_m2};
                }
            }
            /// Adds the row's shade (nothing before the first row: zeros).
            void end_row() {
                tally.m_shade.mask_m2 += mask_line * shade.cell_m2;
                tally.m_shade.shade_m2 += shade_line * shade.cell_m2;
                mask_line = 0;
                shade_line = 0;
            }
            void span(std::int64_t col, std::int64_t count, double fraction) {
                if (fraction == 1.0) {
                    tally.m_whole_total += count;
                    if constexpr (K == 0) {
                        tally.count_by_value(cells + col, count);
                    } else {
                        equal.add(cells + col, count);
                    }
                    if constexpr (Shade) {
                        // One by one: the sums round at each step, as in sum_zone.
                        double m = mask_line, v = shade_line;
                        for (std::int64_t c = col; c < col + count; ++c) {
                            m += static_cast<double>(shade_row.in_mask[c]);
                            v += static_cast<double>(shade_row.values[c]);
                        }
                        mask_line = m;
                        shade_line = v;
                    }
                } else {
                    for (std::int64_t c = col; c < col + count; ++c) cell(c, fraction);
                }
            }
            void cell(std::int64_t col, double fraction) {
                tally.m_partial[tally.m_meaning.bin[cells[col]]] += fraction;
                if constexpr (Shade) {
                    mask_line += fraction * static_cast<double>(shade_row.in_mask[col]);
                    shade_line += fraction * static_cast<double>(shade_row.values[col]);
                }
            }
        };
        EqualCounter<K> equal(m_meaning.special.data(), m_special_counts.data());
        Sink sink{*this,
                  equal,
                  static_cast<std::size_t>((window.row0 - block.row0) * block.cols + (window.col0 - block.col0)),
                  static_cast<std::size_t>(block.cols),
                  bytes,
                  shade ? *shade : ShadeCells{},
                  nullptr,
                  ShadeCells{},
                  0.0,
                  0.0};
        rasteriser.stream(zone, window, sink);
        if constexpr (Shade) sink.end_row();
        equal.finish();
    }

    /// Per-value counts in four interleaved copies, so that runs of one value do not wait
    /// on one counter. Eight cells come in one 64-bit load and are taken apart with shifts
    /// (their order does not matter to a count): left to itself, the compiler vectorises
    /// the byte loads and pays more moving each index back out of a vector register.
    void count_by_value(const std::uint8_t* cells, std::int64_t n) {
        auto& h = m_by_value;
        std::int64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            std::uint64_t x;
            std::memcpy(&x, cells + i, sizeof x);
            ++h[0][x & 0xff];
            ++h[1][(x >> 8) & 0xff];
            ++h[2][(x >> 16) & 0xff];
            ++h[3][(x >> 24) & 0xff];
            ++h[0][(x >> 32) & 0xff];
            ++h[1][(x >> 40) & 0xff];
            ++h[2][(x >> 48) & 0xff];
            ++h[3][x >> 56];
        }
        for (; i < n; ++i) ++h[0][cells[i]];
    }

    const ByteMeaning& m_meaning;
    ZoneCounter m_count_zone = nullptr;
    ZoneCounter m_count_zone_shade = nullptr;
    ShadeCovered m_shade;
    std::int64_t m_whole_total = 0;
    std::array<std::int64_t, ByteMeaning::max_special> m_special_counts{};
    std::array<std::int64_t, 256> m_whole_bin{};
    std::array<double, 256> m_partial{};
    std::array<std::array<std::int64_t, 256>, 4> m_by_value{};
};

/// Block size: the user's, or the raster's natural block grown to at least 256 cells a side
/// (a strip of one row would recompute every zone's edges once per row) and cut so that a
/// block holds at most 2²⁰ cells (a full-width strip of a wide raster). With a shade raster
/// of other tiles (`shade`), grown to whole tiles of both where that stays within 2²⁰ cells
/// (land cover in tiles of 256 and shade in tiles of 512: blocks of 512): each thread then
/// decodes the shade tiles it needs straight into its block, and no tile is decoded twice by
/// two threads.
std::pair<std::int64_t, std::int64_t> choose_block_size(const RasterInfo& info, const OverlayOptions& options,
                                                        const RasterInfo* shade = nullptr) {
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
    if (shade && options.block_rows <= 0 && options.block_cols <= 0 && shade->block_rows > 0 && shade->block_cols > 0) {
        const std::int64_t both_rows = std::lcm(rows, std::int64_t{shade->block_rows});
        const std::int64_t both_cols = std::lcm(cols, std::int64_t{shade->block_cols});
        if (both_rows * both_cols <= max_cells) return {both_rows, both_cols};
    }
    return {rows, cols};
}

/// A block row of the raster's width per thread, in the band's data type, and a quarter more;
/// at least 32 MB. (Measured on a mosaic of 10,000² tiles not aligned to the blocks: three
/// block rows were no faster, and took twice the memory.)
GIntBig cache_needed(const RasterInfo& info, std::int64_t block_rows, int threads) {
    const GDALDataType type = GDALGetDataTypeByName(info.data_type.c_str());
    const std::int64_t cell_bytes = std::max(1, GDALGetDataTypeSizeBytes(type));
    const std::int64_t row_bytes = static_cast<std::int64_t>(threads) * block_rows * info.grid.cols * cell_bytes;
    return std::max<GIntBig>(GIntBig{32} << 20, row_bytes + row_bytes / 4);
}

/// One block's sums per zone, in zone order; a cache line each, as neighbours are written by
/// different threads.
struct alignas(64) BlockResult {
    std::vector<std::pair<std::size_t, ZoneSums>> sums;
    std::exception_ptr error;
};

/// Buffers one thread reuses from block to block: nothing is allocated per cell or per zone.
/// Aligned to a cache line, so that two threads never write to one.
struct alignas(64) ThreadScratch {
    std::unique_ptr<RasterSource> source;
    std::vector<std::uint8_t> bytes;
    std::vector<double> values;
    std::vector<double> shares;
    std::vector<std::pair<std::size_t, Window>> hits;
    std::vector<IndexEntry> found;
    detail::CoverageRasteriser rasteriser;
    detail::CoverageRuns runs;
    std::unique_ptr<ByteTally> tally;
    std::vector<double> bin_covered;
    std::unique_ptr<RasterSource> shade_source;
    std::vector<double> shade;         ///< shade fraction per cell, NaN where missing
    std::vector<float> shade_cells;    ///< Float32 shade beside Byte land cover (ShadeCells::values)
    std::vector<std::uint8_t> in_mask;  ///< 1 where the cell belongs to the shade mask
    std::vector<std::uint8_t> residential;  ///< 1 where the cell is of a residential class
};

/// A set of byte values: a table, and when at most eight values are in the set or out of
/// it, those values, so that sixteen cells are tested at a time by comparison.
struct ByteSet {
    static constexpr std::size_t max_listed = 8;
    std::array<std::uint8_t, 256> member{};  ///< 1 for the values in the set
    bool by_compare = false;                 ///< `listed` holds the values in the set or out of it
    bool listed_are_members = false;         ///< `listed` are the values in the set (else out of it)
    std::vector<std::uint8_t> listed;

    explicit ByteSet(const std::array<std::uint8_t, 256>& members) : member(members) {
        std::vector<std::uint8_t> in, out;
        for (std::size_t v = 0; v < 256; ++v) (member[v] ? in : out).push_back(static_cast<std::uint8_t>(v));
        listed_are_members = in.size() <= out.size();
        listed = listed_are_members ? in : out;
        by_compare = listed.size() <= max_listed;
    }
};

/// Makes a block of Float32 shade ShadeCells in place: values[i] is kept where bytes[i] is
/// in `in_mask` and values[i] is a fraction 0–1 other than `missing` (then in_mask_out[i] is
/// 1), and set to 0 elsewhere (in_mask_out[i] 0). Returns false when some value is neither
/// a fraction 0–1, nor NaN, nor `missing` (values are then left half done). With SSE2,
/// sixteen cells at a time when the set is tested by comparison.
bool mask_shade(float* values, const std::uint8_t* bytes, std::size_t n, const ByteSet& in_mask, float missing,
                std::uint8_t* in_mask_out) {
    std::size_t i = 0;
#if defined(__SSE2__)
    if (in_mask.by_compare) {
        __m128i targets[ByteSet::max_listed];
        const std::size_t listed = in_mask.listed.size();
        for (std::size_t k = 0; k < listed; ++k) targets[k] = _mm_set1_epi8(static_cast<char>(in_mask.listed[k]));
        const __m128i flip = in_mask.listed_are_members ? _mm_setzero_si128() : _mm_set1_epi8(-1);
        const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f), missing4 = _mm_set1_ps(missing);
        __m128 bad = _mm_setzero_ps();
        for (; i + 16 <= n; i += 16) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
            __m128i hit = _mm_setzero_si128();
            for (std::size_t k = 0; k < listed; ++k) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(b, targets[k]));
            const __m128i member = _mm_xor_si128(hit, flip);  // 0xff for the cells in the set
            const __m128i low = _mm_unpacklo_epi8(member, member), high = _mm_unpackhi_epi8(member, member);
            const __m128i member32[4] = {_mm_unpacklo_epi16(low, low), _mm_unpackhi_epi16(low, low),
                                         _mm_unpacklo_epi16(high, high), _mm_unpackhi_epi16(high, high)};
            __m128i kept32[4];
            for (std::size_t q = 0; q < 4; ++q) {
                const __m128 v = _mm_loadu_ps(values + i + 4 * q);
                const __m128 fraction = _mm_and_ps(_mm_cmpge_ps(v, zero), _mm_cmple_ps(v, one));  // NaN: false
                const __m128 is_missing = _mm_or_ps(_mm_cmpunord_ps(v, v), _mm_cmpeq_ps(v, missing4));
                bad = _mm_or_ps(bad, _mm_andnot_ps(_mm_or_ps(fraction, is_missing), _mm_castsi128_ps(_mm_set1_epi8(-1))));
                const __m128 kept = _mm_andnot_ps(is_missing, _mm_and_ps(fraction, _mm_castsi128_ps(member32[q])));
                _mm_storeu_ps(values + i + 4 * q, _mm_and_ps(kept, v));
                kept32[q] = _mm_castps_si128(kept);
            }
            // 32-bit masks (0 or −1) to bytes, then −1 to 1.
            const __m128i kept8 = _mm_packs_epi16(_mm_packs_epi32(kept32[0], kept32[1]),
                                                  _mm_packs_epi32(kept32[2], kept32[3]));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(in_mask_out + i), _mm_and_si128(kept8, _mm_set1_epi8(1)));
        }
        if (_mm_movemask_ps(bad) != 0) return false;
    }
#endif
    bool fine = true;
    for (; i < n; ++i) {
        const float v = values[i];
        const bool fraction = v >= 0 && v <= 1;
        const bool is_missing = v != v || v == missing;
        fine = fine && (fraction || is_missing);
        const bool kept = in_mask.member[bytes[i]] != 0 && fraction && !is_missing;
        in_mask_out[i] = static_cast<std::uint8_t>(kept);
        values[i] = kept ? v : 0.0f;
    }
    return fine;
}

/// Reads the shade raster's blocks, checked to be fractions 0–1 (or nodata, or NaN).
class ShadeReader {
public:
    explicit ShadeReader(const RasterInfo& info)
        : m_info(info),
          m_path(info.path),
          m_nodata(info.nodata),
          m_missing(info.nodata ? *info.nodata : std::numeric_limits<double>::quiet_NaN()),
          m_missing_float(as_float(m_missing)) {}

    /// The block's shade fractions into scratch.shade; missing values become NaN.
    void read(const Window& block, ThreadScratch& scratch) const {
        read_checked(block, scratch);
        for (double& value : scratch.shade)
            if (value == m_missing) value = std::numeric_limits<double>::quiet_NaN();
    }

    /// For a Byte land cover (`bytes`, the block's cells) and a Float32 shade raster: the
    /// block's shade as ShadeCells, into scratch.shade_cells and scratch.in_mask.
    void read_masked(const Window& block, const std::uint8_t* bytes, const ByteSet& in_mask,
                     ThreadScratch& scratch) const {
        if (!scratch.shade_source) scratch.shade_source = std::make_unique<RasterSource>(m_info);
        scratch.shade_source->read(block, scratch.shade_cells);
        scratch.in_mask.resize(scratch.shade_cells.size());
        if (!mask_shade(scratch.shade_cells.data(), bytes, scratch.shade_cells.size(), in_mask, m_missing_float,
                        scratch.in_mask.data())) {
            // Some value is neither a fraction nor missing: read it again as doubles to name it.
            read_checked(block, scratch);
            throw std::logic_error("overlay: a shade value was rejected but not found");
        }
    }

private:
    /// The value as a float if it is one (a float equals it only then), else NaN.
    static float as_float(double value) {
        if (std::isnan(value) || (std::isfinite(value) && std::abs(value) > std::numeric_limits<float>::max()))
            return std::numeric_limits<float>::quiet_NaN();
        const auto narrow = static_cast<float>(value);
        return static_cast<double>(narrow) == value ? narrow : std::numeric_limits<float>::quiet_NaN();
    }

    /// Reads the block into scratch.shade and throws InputError naming the first cell, row
    /// by row, that is neither a fraction 0–1, nor nodata, nor NaN.
    void read_checked(const Window& block, ThreadScratch& scratch) const {
        if (!scratch.shade_source) scratch.shade_source = std::make_unique<RasterSource>(m_info);
        scratch.shade_source->read(block, scratch.shade);
        const double* const values = scratch.shade.data();
        const std::size_t n = scratch.shade.size();
        const double missing = m_missing;
        // First a loop without a branch (vectorised), then the search only where it failed.
        bool all_fine = true;
        for (std::size_t i = 0; i < n; ++i) {
            const double v = values[i];
            all_fine &= (v >= 0 && v <= 1) || v != v || v == missing;
        }
        if (all_fine) return;
        for (std::size_t i = 0; i < n; ++i) {
            const double value = values[i];
            if (std::isnan(value) || (m_nodata && value == *m_nodata) || (value >= 0 && value <= 1)) continue;
            const auto cells = static_cast<std::int64_t>(i);
            throw InputError(m_path, fmt::format("value {} at row {}, column {} is not a shade fraction "
                                                 "(expected 0 to 1, or the raster's nodata value)",
                                                 value, block.row0 + cells / block.cols,
                                                 block.col0 + cells % block.cols));
        }
    }

    RasterInfo m_info;
    std::string m_path;
    std::optional<double> m_nodata;
    double m_missing;  ///< the nodata value, NaN without one (which equals nothing)
    float m_missing_float;  ///< the same as a float, NaN when it is not one
};

class BlockProcessor {
public:
    /// values: the cells hold plain values (mean_zones), summed into valid_m2 and canopy_m2.
    BlockProcessor(const RasterInfo& info, const std::vector<MultiPolygon>& zones, const OverlayOptions& options,
                   const RasterInfo* shade, bool values)
        : m_info(info), m_grid(info.grid), m_areas(info), m_index(info.grid, zones), m_classifier(info, options),
          m_bytes(describe_bytes(m_classifier, options.residential_classes)),
          // A shade raster is summed in the same sweep when it is Float32 (what `shadegap
          // shade` writes); another type goes the general way, one cell at a time.
          m_count_bytes(info.data_type == "Byte" && m_areas.constant() && !values &&
                        (!shade || shade->data_type == "Float32")),
          m_shade_mask(options.shade.mask), m_residential(options.residential_classes), m_values(values) {
        if (shade) m_shade.emplace(*shade);
        // Which bytes are valid land of the shade mask, for the shade beside Byte counting.
        std::array<std::uint8_t, 256> in_mask{};
        for (std::size_t v = 0; v < 256; ++v)
            in_mask[v] = static_cast<std::uint8_t>(m_bytes.share[v] >= 0 && m_shade_mask.contains(static_cast<double>(v)));
        m_byte_in_mask.emplace(in_mask);
        // Each zone on the raster in cell coordinates, once, rather than once per block it meets.
        m_cell_zones.resize(zones.size());
        for (std::size_t z = 0; z < zones.size(); ++z)
            if (!m_index.windows()[z].empty()) m_cell_zones[z] = detail::to_cell_polygon(m_grid, zones[z]);
    }

    /// The blocks that some zone meets, in block order: the others are never read.
    std::vector<std::int64_t> blocks_with_zones(std::int64_t block_rows, std::int64_t block_cols) const {
        const std::int64_t across = (m_grid.cols + block_cols - 1) / block_cols;
        const std::int64_t down = (m_grid.rows + block_rows - 1) / block_rows;
        std::vector<bool> met(static_cast<std::size_t>(across * down), false);
        for (const Window& w : m_index.windows()) {
            if (w.empty()) continue;
            for (std::int64_t br = w.row0 / block_rows; br <= (w.row0 + w.rows - 1) / block_rows; ++br)
                for (std::int64_t bc = w.col0 / block_cols; bc <= (w.col0 + w.cols - 1) / block_cols; ++bc)
                    met[static_cast<std::size_t>(br * across + bc)] = true;
        }
        std::vector<std::int64_t> blocks;
        for (std::size_t b = 0; b < met.size(); ++b)
            if (met[b]) blocks.push_back(static_cast<std::int64_t>(b));
        return blocks;
    }

    void process(const Window& block, ThreadScratch& scratch, BlockResult& result) const {
        m_index.find(block, scratch.hits, scratch.found);
        if (scratch.hits.empty()) return;
        if (!scratch.source) scratch.source = std::make_unique<RasterSource>(m_info);
        if (m_count_bytes) {
            scratch.source->read(block, scratch.bytes);
            if (m_shade) m_shade->read_masked(block, scratch.bytes.data(), *m_byte_in_mask, scratch);
        } else if (m_values) {
            scratch.source->read(block, scratch.values);
            check_values(block, scratch.values);
        } else {
            scratch.source->read(block, scratch.values);
            scratch.shares.resize(scratch.values.size());
            std::transform(scratch.values.begin(), scratch.values.end(), scratch.shares.begin(),
                           [this](double value) { return m_classifier.share_of(value); });
            if (!m_residential.empty()) {
                scratch.residential.resize(scratch.values.size());
                std::transform(scratch.values.begin(), scratch.values.end(), scratch.residential.begin(),
                               [this](double value) {
                                   return static_cast<std::uint8_t>(
                                       std::find(m_residential.begin(), m_residential.end(), value) !=
                                       m_residential.end());
                               });
            }
        }
        if (m_shade && !m_count_bytes) {
            m_shade->read(block, scratch);
            scratch.in_mask.resize(scratch.values.size());
            std::transform(scratch.values.begin(), scratch.values.end(), scratch.in_mask.begin(),
                           [this](double value) { return static_cast<std::uint8_t>(m_shade_mask.contains(value)); });
        }
        result.sums.reserve(scratch.hits.size());
        for (const auto& [zone, window] : scratch.hits) {
            if (m_count_bytes) {
                result.sums.emplace_back(zone, count_zone(block, zone, window, scratch));
            } else {
                scratch.rasteriser.compute(m_cell_zones[zone], window, scratch.runs);
                result.sums.emplace_back(zone, m_values ? sum_values(block, scratch) : sum_zone(block, scratch));
            }
        }
    }

private:
    /// Byte values and one cell area: count cells per bin, then weigh each bin once.
    ZoneSums count_zone(const Window& block, std::size_t zone, const Window& window, ThreadScratch& scratch) const {
        if (!scratch.tally) scratch.tally = std::make_unique<ByteTally>(m_bytes);
        ByteTally& tally = *scratch.tally;
        const double cell_m2 = m_areas.cell_area_m2(window.row0);
        const ShadeCells shade{scratch.shade_cells.data(), scratch.in_mask.data(), cell_m2};
        tally.count(scratch.rasteriser, m_cell_zones[zone], window, block, scratch.bytes.data(),
                    m_shade ? &shade : nullptr);
        tally.take(scratch.bin_covered);
        ZoneSums sums;
        if (m_shade) {
            const ShadeCovered covered = tally.take_shade();
            sums.shade_mask_m2 = covered.mask_m2;
            sums.shade_m2 = covered.shade_m2;
        }
        bool invalid = false;
        for (std::size_t b = 0; b < scratch.bin_covered.size(); ++b) {
            if (scratch.bin_covered[b] == 0) continue;
            const double covered_m2 = scratch.bin_covered[b] * cell_m2;
            const double share = m_bytes.bin_share[b];
            sums.covered_m2 += covered_m2;
            if (share >= 0) {
                sums.valid_m2 += covered_m2;
                sums.canopy_m2 += covered_m2 * share;
                if (m_bytes.bin_residential[b]) sums.residential_m2 += covered_m2;
            } else if (share == share_nodata) {
                sums.nodata_m2 += covered_m2;
            } else if (share == share_water) {
                sums.water_m2 += covered_m2;
            } else {
                invalid = true;
            }
        }
        if (invalid) reject_first_invalid(block, zone, window, scratch);
        return sums;
    }

    /// Names the first covered cell, row by row, whose byte the canopy kind cannot hold.
    [[noreturn]] void reject_first_invalid(const Window& block, std::size_t zone, const Window& window,
                                           ThreadScratch& scratch) const {
        scratch.rasteriser.compute(m_cell_zones[zone], window, scratch.runs);
        const detail::CoverageRuns& runs = scratch.runs;
        const Window& w = runs.window;
        for (std::int64_t r = 0; r < w.rows; ++r) {
            for (std::size_t i = runs.row_start[static_cast<std::size_t>(r)];
                 i < runs.row_start[static_cast<std::size_t>(r + 1)]; ++i) {
                const detail::CoverageRun& run = runs.runs[i];
                for (std::int64_t c = w.col0 + run.col; c < w.col0 + run.col + run.count; ++c) {
                    const std::uint8_t value = scratch.bytes[static_cast<std::size_t>(
                        (w.row0 + r - block.row0) * block.cols + (c - block.col0))];
                    if (m_bytes.share[value] == share_invalid) m_classifier.reject(value, w.row0 + r, c);
                }
            }
        }
        throw std::logic_error("overlay: an invalid value was counted but not found");
    }

    /// Any other raster: per-row sums of covered fractions by kind of cell, times the row's cell area.
    ZoneSums sum_zone(const Window& block, const ThreadScratch& scratch) const {
        const detail::CoverageRuns& runs = scratch.runs;
        const Window& w = runs.window;
        ZoneSums sums;
        for (std::int64_t r = 0; r < w.rows; ++r) {
            const std::int64_t row_offset = (w.row0 + r - block.row0) * block.cols + (w.col0 - block.col0);
            double land = 0, canopy = 0, water = 0, nodata = 0, shade_mask = 0, shade = 0, residential = 0;
            for (std::size_t i = runs.row_start[static_cast<std::size_t>(r)];
                 i < runs.row_start[static_cast<std::size_t>(r + 1)]; ++i) {
                const detail::CoverageRun& run = runs.runs[i];
                const double f = run.fraction;
                for (std::int64_t c = run.col; c < run.col + run.count; ++c) {
                    const auto cell = static_cast<std::size_t>(row_offset + c);
                    const double share = scratch.shares[cell];
                    if (share >= 0) {
                        land += f;
                        canopy += f * share;
                        if (!m_residential.empty() && scratch.residential[cell]) residential += f;
                        if (m_shade && scratch.in_mask[cell] && !std::isnan(scratch.shade[cell])) {
                            shade_mask += f;
                            shade += f * scratch.shade[cell];
                        }
                    } else if (share == share_nodata) {
                        nodata += f;
                    } else if (share == share_water) {
                        water += f;
                    } else {
                        m_classifier.reject(scratch.values[cell], w.row0 + r, w.col0 + c);
                    }
                }
            }
            if (land == 0 && water == 0 && nodata == 0) continue;
            const double cell_m2 = m_areas.cell_area_m2(w.row0 + r);
            sums.valid_m2 += land * cell_m2;
            sums.canopy_m2 += canopy * cell_m2;
            sums.water_m2 += water * cell_m2;
            sums.nodata_m2 += nodata * cell_m2;
            sums.covered_m2 += (land + water + nodata) * cell_m2;
            sums.shade_mask_m2 += shade_mask * cell_m2;
            sums.shade_m2 += shade * cell_m2;
            sums.residential_m2 += residential * cell_m2;
        }
        return sums;
    }

    /// mean_zones: nodata and NaN leave a cell out; any other value must be finite.
    void check_values(const Window& block, std::vector<double>& values) const {
        for (std::size_t i = 0; i < values.size(); ++i) {
            double& value = values[i];
            if (std::isnan(value) || (m_info.nodata && value == *m_info.nodata)) {
                value = std::numeric_limits<double>::quiet_NaN();
            } else if (!std::isfinite(value)) {
                const auto cell = static_cast<std::int64_t>(i);
                throw InputError(m_info.path, fmt::format("value {} at row {}, column {} is not a finite number "
                                                          "(expected a value, or the raster's nodata value)",
                                                          value, block.row0 + cell / block.cols,
                                                          block.col0 + cell % block.cols));
            }
        }
    }

    /// mean_zones: Σ f a over the cells with a value into valid_m2, Σ f a v into canopy_m2.
    ZoneSums sum_values(const Window& block, const ThreadScratch& scratch) const {
        const detail::CoverageRuns& runs = scratch.runs;
        const Window& w = runs.window;
        ZoneSums sums;
        for (std::int64_t r = 0; r < w.rows; ++r) {
            const std::int64_t row_offset = (w.row0 + r - block.row0) * block.cols + (w.col0 - block.col0);
            double valid = 0, value = 0;
            for (std::size_t i = runs.row_start[static_cast<std::size_t>(r)];
                 i < runs.row_start[static_cast<std::size_t>(r + 1)]; ++i) {
                const detail::CoverageRun& run = runs.runs[i];
                for (std::int64_t c = run.col; c < run.col + run.count; ++c) {
                    const double v = scratch.values[static_cast<std::size_t>(row_offset + c)];
                    if (std::isnan(v)) continue;
                    valid += run.fraction;
                    value += run.fraction * v;
                }
            }
            const double cell_m2 = m_areas.cell_area_m2(w.row0 + r);
            sums.valid_m2 += valid * cell_m2;
            sums.canopy_m2 += value * cell_m2;
        }
        return sums;
    }

    RasterInfo m_info;  ///< to open the raster again on each thread
    const Grid& m_grid;
    CellAreas m_areas;
    ZoneIndex m_index;
    std::vector<detail::CellPolygon> m_cell_zones;
    CellClassifier m_classifier;
    ByteMeaning m_bytes;
    bool m_count_bytes;
    ShadeMask m_shade_mask;
    std::optional<ByteSet> m_byte_in_mask;
    std::vector<double> m_residential;
    bool m_values;
    std::optional<ShadeReader> m_shade;
};

/// overlay_zones, or with `values` the sums of mean_zones (Σ f a v in canopy_m2).
std::vector<ZoneSums> sum_zones(const std::string& raster_path, const std::vector<MultiPolygon>& zones,
                                const OverlayOptions& options, bool values, const ProgressFn& progress) {
    if (options.threads < 0) {
        throw UsageError("threads", fmt::format("'{}' is not a thread count (expected {} for all cores, "
                                                "or a positive number)", options.threads, all_cores));
    }
    auto first_source = std::make_unique<RasterSource>(raster_path);
    const RasterInfo info = first_source->info();
    const int threads = resolve_threads(options.threads);

    std::optional<RasterInfo> shade_info;
    if (!options.shade.path.empty()) {
        shade_info = describe_raster(options.shade.path);
        require_same_grid(info, *shade_info, "the canopy raster " + raster_path);
    }
    const auto [block_rows, block_cols] = choose_block_size(info, options, shade_info ? &*shade_info : nullptr);
    const detail::BlockLayout layout(info.grid.rows, info.grid.cols, block_rows, block_cols);
    const BlockProcessor processor(info, zones, options, shade_info ? &*shade_info : nullptr, values);
    // The shade raster's tiles go through the cache too: a block row of them as well.
    const GIntBig shade_cache =
        shade_info ? cache_needed(*shade_info, std::max<std::int64_t>(block_rows, shade_info->block_rows), threads) : 0;
    const detail::ScopedCacheLimit cache_limit(cache_needed(info, block_rows, threads) + shade_cache);

    std::vector<ThreadScratch> scratch(static_cast<std::size_t>(threads));
    scratch[0].source = std::move(first_source);
    std::vector<ZoneSums> totals(zones.size());

    // Blocks go out in batches, each one parallel region: the calling thread merges a
    // batch's sums in block order, never in the order blocks finish, so the totals do not
    // depend on the thread count, and reports progress between batches. A batch grows
    // until it takes a tenth of a second or so, so that few regions start and stop (each
    // ends in a barrier, slow on a busy machine), while progress stays lively.
    const std::vector<std::int64_t> blocks = processor.blocks_with_zones(block_rows, block_cols);
    // Reads that go through GDAL's block cache (a VRT's sources, tiles the blocks cut across)
    // share tiles with the neighbouring blocks, above and below too; each thread has its own
    // datasets, so a tile two threads need is decoded twice. There, each thread takes fixed
    // stripes of block columns (interleaved, several per thread for balance) in every block
    // row, so that a tile shared down a column stays in one thread's cache. Blocks that are
    // whole tiles decoded straight from the file share nothing and go to whichever thread is free.
    const std::int64_t blocks_across = (info.grid.cols + block_cols - 1) / block_cols;
    const auto cuts_tiles = [](const RasterInfo& raster, std::int64_t rows, std::int64_t cols) {
        return raster.driver == "VRT" || raster.block_cols <= 0 || raster.block_rows <= 0 ||
               cols % raster.block_cols != 0 || rows % raster.block_rows != 0;
    };
    const bool shares_tiles = cuts_tiles(info, block_rows, block_cols) ||
                              (shade_info && cuts_tiles(*shade_info, block_rows, block_cols));
    const std::int64_t stripe_blocks =
        shares_tiles && threads > 1 ? std::max<std::int64_t>(1, blocks_across / (static_cast<std::int64_t>(threads) * 8)) : 0;
    const auto block_count = static_cast<std::int64_t>(blocks.size());
    const std::int64_t max_batch = static_cast<std::int64_t>(threads) * 1024;
    std::int64_t batch_size = static_cast<std::int64_t>(threads) * 8;
    std::vector<BlockResult> results;
    for (std::int64_t batch_start = 0, batch_end = 0; batch_start < block_count; batch_start = batch_end) {
        const auto started = std::chrono::steady_clock::now();
        batch_end = std::min(block_count, batch_start + batch_size);
        // Kept from batch to batch, so that each block's list of sums keeps its capacity.
        if (results.size() < static_cast<std::size_t>(batch_end - batch_start))
            results.resize(static_cast<std::size_t>(batch_end - batch_start));
        for (BlockResult& result : results) {
            result.sums.clear();
            result.error = nullptr;
        }
        const auto process = [&](std::int64_t i, int thread) {
            BlockResult& result = results[static_cast<std::size_t>(i - batch_start)];
            try {
                processor.process(layout.window(blocks[static_cast<std::size_t>(i)]),
                                  scratch[static_cast<std::size_t>(thread)], result);
            } catch (...) {
                result.error = std::current_exception();
            }
        };
        if (stripe_blocks == 0) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
            for (std::int64_t i = batch_start; i < batch_end; ++i) process(i, omp_get_thread_num());
        } else {
#pragma omp parallel num_threads(threads)
            {
                const int thread = omp_get_thread_num();
                for (std::int64_t i = batch_start; i < batch_end; ++i) {
                    const std::int64_t column = blocks[static_cast<std::size_t>(i)] % blocks_across;
                    if ((column / stripe_blocks) % threads == thread) process(i, thread);
                }
            }
        }
        for (std::int64_t i = batch_start; i < batch_end; ++i) {
            const BlockResult& result = results[static_cast<std::size_t>(i - batch_start)];
            if (result.error) std::rethrow_exception(result.error);
            for (const auto& [zone, sums] : result.sums) totals[zone].merge(sums);
        }
        if (progress) progress(static_cast<double>(batch_end) / static_cast<double>(block_count), "overlay");
        if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(50))
            batch_size = std::min(max_batch, batch_size * 2);
    }
    if (progress && block_count == 0) progress(1.0, "overlay");
    return totals;
}

}  // namespace

std::vector<ZoneSums> overlay_zones(const std::string& raster_path, const std::vector<MultiPolygon>& zones,
                                    const OverlayOptions& options, const ProgressFn& progress) {
    return sum_zones(raster_path, zones, options, false, progress);
}

std::vector<ZoneMean> mean_zones(const std::string& raster_path, const std::vector<MultiPolygon>& zones,
                                 const OverlayOptions& options, const ProgressFn& progress) {
    OverlayOptions values_only;
    values_only.threads = options.threads;
    values_only.block_rows = options.block_rows;
    values_only.block_cols = options.block_cols;
    const std::vector<ZoneSums> sums = sum_zones(raster_path, zones, values_only, true, progress);
    std::vector<ZoneMean> means(sums.size());
    for (std::size_t z = 0; z < sums.size(); ++z) means[z] = {sums[z].valid_m2, sums[z].canopy_m2};
    return means;
}

}  // namespace shadegap
