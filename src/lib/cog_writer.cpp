// A Cloud-Optimized GeoTIFF of one Float32 band, written as its cells are made (see the header).
// SPDX-License-Identifier: MIT
#include "cog_writer.hpp"

#include "gdal_util.hpp"
#include "shadegap/error.hpp"

#include <fmt/format.h>
#include <libdeflate.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "StreamingCog writes little-endian TIFF from the machine's own floats"
#endif

namespace shadegap::detail {

namespace {

constexpr std::int64_t kBlock = StreamingCog::block;
constexpr std::int64_t kBlockCells = kBlock * kBlock;

// TIFF field types and the tags written here (TIFF 6.0, BigTIFF, GeoTIFF 1.1, GDAL's own).
constexpr std::uint16_t kShort = 3, kLong = 4, kLong8 = 16;
constexpr std::uint16_t kNewSubfileType = 254, kImageWidth = 256, kImageLength = 257, kBitsPerSample = 258,
                        kCompression = 259, kPhotometric = 262, kSamplesPerPixel = 277, kPlanarConfig = 284,
                        kTileWidth = 322, kTileLength = 323, kTileOffsets = 324, kTileByteCounts = 325,
                        kSampleFormat = 339, kGdalNodata = 42113;
// Copied from GDAL's own GeoTIFF of the same grid: ModelPixelScale, ModelTiepoint,
// ModelTransformation, GeoKeyDirectory, GeoDoubleParams, GeoAsciiParams, GDAL_METADATA, GDAL_NODATA.
constexpr std::uint16_t kCopiedTags[] = {33550, 33922, 34264, 34735, 34736, 34737, 42112, kGdalNodata};

std::uint64_t type_size(std::uint16_t type) {
    switch (type) {
        case 1: case 2: case 6: case 7: return 1;  // BYTE, ASCII, SBYTE, UNDEFINED
        case 3: case 8: return 2;                  // SHORT, SSHORT
        case 4: case 9: case 11: case 13: return 4;  // LONG, SLONG, FLOAT, IFD
        case 5: case 10: case 12: case 16: case 17: case 18: return 8;  // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
        default: return 0;
    }
}

/// Spreads the bits of x over the even bits of the result.
std::uint64_t spread(std::uint64_t x) {
    x &= 0xFFFFFFFFULL;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}
/// The even bits of x, packed.
std::uint64_t gather(std::uint64_t x) {
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return x;
}

template <typename T>
void put(std::vector<std::uint8_t>& out, std::size_t at, T value) {
    std::memcpy(out.data() + at, &value, sizeof value);
}
template <typename T>
T get(const std::uint8_t* data, std::size_t size, std::uint64_t at) {
    if (at + sizeof(T) > size) throw std::runtime_error("GDAL's GeoTIFF of the grid is shorter than its IFD says");
    T value;
    std::memcpy(&value, data + at, sizeof value);
    return value;
}

/// The tags GDAL writes for `like`'s georeferencing and `nodata`, read back from a one-cell
/// GeoTIFF made in memory: the GeoTIFF keys are GDAL's (and PROJ's) to choose, not this writer's.
std::vector<StreamingCog::Tag> gdal_geo_tags(const std::string& path, const RasterInfo& like, float nodata) {
    ensure_gdal_registered();
    GdalErrorCapture capture;
    static std::atomic<std::uint64_t> made{0};  // a name of its own for each writer, in any thread
    const std::string name = fmt::format("/vsimem/shadegap_cog_tags_{}.tif", made.fetch_add(1));
    {
        GDALDriverH driver = GDALGetDriverByName("GTiff");
        const char* const options[] = {"BIGTIFF=NO", nullptr};
        GdalDataset dataset(GDALCreate(driver, name.c_str(), 1, 1, 1, GDT_Float32, const_cast<char**>(options)));
        if (!dataset) throw OutputError(path, capture.explain("cannot be georeferenced"));
        double transform[6] = {like.grid.x_min, like.grid.cell_width, 0, like.grid.y_max, 0, -like.grid.cell_height};
        GDALSetGeoTransform(dataset.get(), transform);
        if (!like.crs_wkt.empty() && GDALSetProjection(dataset.get(), like.crs_wkt.c_str()) != CE_None)
            throw OutputError(path, capture.explain("cannot be given the CRS of the heights"));
        GDALSetRasterNoDataValue(GDALGetRasterBand(dataset.get(), 1), nodata);
    }
    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(name.c_str(), &length, FALSE);
    std::vector<StreamingCog::Tag> tags;
    try {
        if (!data || length < 8 || data[0] != 'I' || data[1] != 'I' || get<std::uint16_t>(data, length, 2) != 42)
            throw std::runtime_error("GDAL's GeoTIFF of the grid is not a little-endian classic TIFF");
        const std::uint32_t ifd = get<std::uint32_t>(data, length, 4);
        const std::uint16_t entries = get<std::uint16_t>(data, length, ifd);
        for (std::uint16_t e = 0; e < entries; ++e) {
            const std::uint64_t at = ifd + 2 + 12ULL * e;
            StreamingCog::Tag tag;
            tag.tag = get<std::uint16_t>(data, length, at);
            if (std::find(std::begin(kCopiedTags), std::end(kCopiedTags), tag.tag) == std::end(kCopiedTags)) continue;
            tag.type = get<std::uint16_t>(data, length, at + 2);
            tag.count = get<std::uint32_t>(data, length, at + 4);
            const std::uint64_t bytes = type_size(tag.type) * tag.count;
            if (bytes == 0 && tag.count != 0) throw std::runtime_error(fmt::format("tag {} has an unknown type", tag.tag));
            const std::uint64_t from = bytes <= 4 ? at + 8 : get<std::uint32_t>(data, length, at + 8);
            if (from + bytes > length) throw std::runtime_error("GDAL's GeoTIFF of the grid is cut short");
            tag.bytes.assign(data + from, data + from + bytes);
            tags.push_back(std::move(tag));
        }
    } catch (const std::runtime_error& error) {
        VSIUnlink(name.c_str());
        throw OutputError(path, error.what());
    }
    VSIUnlink(name.c_str());
    return tags;
}

std::string errno_text() { return std::strerror(errno); }

/// Writes all of `data` at `offset`; throws OutputError naming `path`.
void write_at(int fd, const std::string& path, const void* data, std::uint64_t size, std::uint64_t offset) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, bytes, static_cast<std::size_t>(std::min<std::uint64_t>(size, 1U << 30)),
                                   static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw OutputError(path, "cannot be written: " + errno_text());
        bytes += n;
        size -= static_cast<std::uint64_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
}
void read_at(int fd, const std::string& path, void* data, std::uint64_t size, std::uint64_t offset) {
    auto* bytes = static_cast<std::uint8_t*>(data);
    while (size > 0) {
        const ssize_t n = ::pread(fd, bytes, static_cast<std::size_t>(size), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw OutputError(path, "cannot be read back: " + (n == 0 ? std::string("too short") : errno_text()));
        bytes += n;
        size -= static_cast<std::uint64_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
}

}  // namespace

std::uint64_t morton_code(std::int64_t x, std::int64_t y) {
    return spread(static_cast<std::uint64_t>(x)) | (spread(static_cast<std::uint64_t>(y)) << 1);
}

/// A block not yet complete: its cells (full resolution) or the sums and counts of the
/// full-resolution cells under each of its cells (overviews).
struct StreamingCog::Block {
    std::vector<float> values;   ///< full resolution; overviews once complete
    std::vector<double> sums;    ///< overviews
    std::vector<double> counts;  ///< overviews
    std::int64_t filled = 0;     ///< cells (full resolution) or children (overviews) arrived
    std::int64_t expected = 0;
};

struct StreamingCog::Level {
    std::int64_t cols = 0, rows = 0;    // cells
    std::int64_t bcols = 0, brows = 0;  // blocks
    std::uint64_t end_code = 0;         // past the last block's Morton code
    std::map<std::uint64_t, std::unique_ptr<Block>> pending;  // by index (level 0) or Morton code
    std::size_t next_index = 0;         // level 0: the next block to write, row-major
    std::vector<bool> done;             // level 0: the blocks complete, by index
    std::size_t blocks_done = 0;        // overviews: blocks in the scratch file
    std::vector<std::uint64_t> offsets, sizes;  // by block index: data offset from `base`, bytes
    std::vector<std::uint64_t> scratch_offsets;  // overviews: where each waits in the scratch file
    std::uint64_t written = 0;          // bytes of the level in the output (with leaders, trailers)
    std::uint64_t scratch_written = 0;
    std::string scratch;                // overviews: the file their tiles wait in
    int fd = -1;
    std::uint64_t base = 0;             // where the level's tiles begin in the output

    std::size_t block_count() const { return offsets.size(); }
    bool in_grid(std::uint64_t code) const {
        return static_cast<std::int64_t>(gather(code)) < bcols && static_cast<std::int64_t>(gather(code >> 1)) < brows;
    }
    std::size_t index(std::uint64_t code) const {
        return static_cast<std::size_t>(static_cast<std::int64_t>(gather(code >> 1)) * bcols +
                                        static_cast<std::int64_t>(gather(code)));
    }
};

int StreamingCog::level_count(std::int64_t cols, std::int64_t rows) {
    int levels = 1;
    while (cols > kBlock || rows > kBlock) {
        cols = (cols + 1) / 2;
        rows = (rows + 1) / 2;
        ++levels;
    }
    return levels;
}

namespace {
int open_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) throw OutputError(path, "cannot be created: " + errno_text());
    return fd;
}
/// A tile as it lies in the file: its size (4 bytes), its bytes, its last 4 bytes again.
std::vector<std::uint8_t> framed(const std::uint8_t* data, std::uint64_t size) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(size + 8), 0);
    const auto size32 = static_cast<std::uint32_t>(size);
    std::memcpy(out.data(), &size32, 4);
    std::memcpy(out.data() + 4, data, static_cast<std::size_t>(size));
    if (size >= 4) std::memcpy(out.data() + 4 + size, data + size - 4, 4);
    return out;
}
}  // namespace

StreamingCog::StreamingCog(std::string path, std::string scratch_prefix, const RasterInfo& like, float nodata,
                           int threads, bool force_bigtiff)
    : m_path(std::move(path)), m_scratch_prefix(std::move(scratch_prefix)), m_nodata(nodata),
      m_threads(std::max(1, threads)) {
    try {
        open(like, force_bigtiff);
    } catch (...) {
        release();  // the destructor does not run after a throwing constructor
        throw;
    }
}

void StreamingCog::open(const RasterInfo& like, bool force_bigtiff) {
    m_geo_tags = gdal_geo_tags(m_path, like, m_nodata);
    for (const Tag& tag : m_geo_tags)
        if (tag.tag == kGdalNodata) m_nodata_tags.push_back(tag);
    for (int t = 0; t < m_threads; ++t) {
        libdeflate_compressor* compressor = libdeflate_alloc_compressor(6);
        if (!compressor) throw OutputError(m_path, "cannot be compressed: out of memory");
        m_compressors.push_back(compressor);
    }
    const double block_bound = static_cast<double>(libdeflate_zlib_compress_bound(
        static_cast<libdeflate_compressor*>(m_compressors[0]), kBlockCells * sizeof(float)));

    const int count = level_count(like.grid.cols, like.grid.rows);
    std::int64_t cols = like.grid.cols, rows = like.grid.rows;
    double bound = 1 << 20;  // bytes if no tile compressed at all, with the IFDs
    for (int k = 0; k < count; ++k) {
        auto level = std::make_unique<Level>();
        level->cols = cols;
        level->rows = rows;
        level->bcols = (cols + kBlock - 1) / kBlock;
        level->brows = (rows + kBlock - 1) / kBlock;
        level->end_code = morton_code(level->bcols - 1, level->brows - 1) + 1;
        level->offsets.assign(static_cast<std::size_t>(level->bcols * level->brows), 0);
        level->sizes.assign(level->offsets.size(), 0);
        if (k > 0) level->scratch_offsets.assign(level->offsets.size(), 0);
        if (k == 0) level->done.assign(level->offsets.size(), false);
        bound += static_cast<double>(level->offsets.size()) * (block_bound + 8 + 16);
        m_levels.push_back(std::move(level));
        cols = (cols + 1) / 2;
        rows = (rows + 1) / 2;
    }
    // Classic TIFF's offsets are 32 bits: BigTIFF when the file could pass them even if no tile
    // compressed at all (so the choice depends on the size of the image alone).
    m_bigtiff = force_bigtiff || bound > static_cast<double>(0xFFFFFFFFULL);
    m_header_bytes = encode_header().size();

    m_fd = open_file(m_path);
    m_created = true;
    for (int k = 1; k < count; ++k) {
        Level& level = *m_levels[static_cast<std::size_t>(k)];
        level.scratch = fmt::format("{}.ovr{}", m_scratch_prefix, k);
        level.fd = open_file(level.scratch);
    }
}

StreamingCog::~StreamingCog() { release(); }

void StreamingCog::release() {
    for (void* compressor : m_compressors) libdeflate_free_compressor(static_cast<libdeflate_compressor*>(compressor));
    for (const auto& level : m_levels) {
        if (level->fd >= 0) ::close(level->fd);
        if (!level->scratch.empty()) ::unlink(level->scratch.c_str());
    }
    if (m_spill_fd >= 0) ::close(m_spill_fd);
    if (!m_spill_path.empty()) ::unlink(m_spill_path.c_str());
    if (m_fd >= 0) ::close(m_fd);
    if (m_created && !m_finished) ::unlink(m_path.c_str());  // no partial output
    m_created = false;
    m_compressors.clear();
    m_levels.clear();
    m_spill_fd = m_fd = -1;
}

std::vector<std::vector<std::uint8_t>> StreamingCog::compress(const Done& done) {
    // Side by side; the bytes do not depend on the thread.
    std::vector<std::vector<std::uint8_t>> compressed(done.size());
    const auto n = static_cast<std::int64_t>(done.size());
    const int threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(m_threads, n)));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (std::int64_t i = 0; i < n; ++i) {
        auto* compressor = static_cast<libdeflate_compressor*>(m_compressors[static_cast<std::size_t>(omp_get_thread_num())]);
        const std::vector<float>& values = done[static_cast<std::size_t>(i)].second->values;
        std::vector<std::uint8_t>& out = compressed[static_cast<std::size_t>(i)];
        out.resize(libdeflate_zlib_compress_bound(compressor, values.size() * sizeof(float)));
        out.resize(libdeflate_zlib_compress(compressor, values.data(), values.size() * sizeof(float), out.data(), out.size()));
    }
    for (const auto& bytes : compressed)
        if (bytes.empty()) throw OutputError(m_path, "a block cannot be compressed");
    return compressed;
}

void StreamingCog::emit_full(std::size_t index, const std::vector<std::uint8_t>& bytes) {
    Level& level = *m_levels[0];
    const std::vector<std::uint8_t> tile = framed(bytes.data(), bytes.size());
    write_at(m_fd, m_path, tile.data(), tile.size(), m_header_bytes + level.written);
    level.offsets[index] = level.written + 4;
    level.sizes[index] = bytes.size();
    level.written += tile.size();
}

void StreamingCog::write(const Window& window, const float* values) {
    Level& level = *m_levels[0];
    if (window.empty()) return;
    if (window.row0 < 0 || window.col0 < 0 || window.row0 + window.rows > level.rows ||
        window.col0 + window.cols > level.cols)
        throw std::logic_error("StreamingCog::write: a window outside the raster");
    Done done;
    for (std::int64_t by = window.row0 / kBlock; by <= (window.row0 + window.rows - 1) / kBlock; ++by) {
        for (std::int64_t bx = window.col0 / kBlock; bx <= (window.col0 + window.cols - 1) / kBlock; ++bx) {
            const auto index = static_cast<std::uint64_t>(by * level.bcols + bx);
            if (level.done[index]) throw std::logic_error("StreamingCog::write: cells written twice");
            std::unique_ptr<Block>& block = level.pending[index];
            if (!block) {
                block = std::make_unique<Block>();
                block->values.assign(static_cast<std::size_t>(kBlockCells), m_nodata);
                block->expected = std::min(kBlock, level.rows - by * kBlock) * std::min(kBlock, level.cols - bx * kBlock);
            }
            const std::int64_t r0 = std::max(window.row0, by * kBlock);
            const std::int64_t r1 = std::min(window.row0 + window.rows, (by + 1) * kBlock);
            const std::int64_t c0 = std::max(window.col0, bx * kBlock);
            const std::int64_t c1 = std::min(window.col0 + window.cols, (bx + 1) * kBlock);
            for (std::int64_t r = r0; r < r1; ++r)
                std::copy_n(values + (r - window.row0) * window.cols + (c0 - window.col0), c1 - c0,
                            block->values.begin() + (r - by * kBlock) * kBlock + (c0 - bx * kBlock));
            block->filled += (r1 - r0) * (c1 - c0);
            if (block->filled > block->expected) throw std::logic_error("StreamingCog::write: cells written twice");
            if (block->filled == block->expected) {
                level.done[index] = true;
                done.emplace_back(index, std::move(block));
                level.pending.erase(index);
            }
        }
    }
    if (done.empty()) return;
    const std::vector<std::vector<std::uint8_t>> compressed = compress(done);
    // Row-major: a block out of turn waits in the spill file until those before it are written.
    for (std::size_t i = 0; i < done.size(); ++i) {
        const auto index = static_cast<std::size_t>(done[i].first);
        if (index != level.next_index) {
            if (m_spill_fd < 0) {
                m_spill_path = m_scratch_prefix + ".spill";
                m_spill_fd = open_file(m_spill_path);
            }
            write_at(m_spill_fd, m_spill_path, compressed[i].data(), compressed[i].size(), m_spill_bytes);
            m_spilled[index] = {m_spill_bytes, compressed[i].size()};
            m_spill_bytes += compressed[i].size();
            continue;
        }
        emit_full(index, compressed[i]);
        ++level.next_index;
        for (auto it = m_spilled.find(level.next_index); it != m_spilled.end(); it = m_spilled.find(level.next_index)) {
            std::vector<std::uint8_t> bytes(static_cast<std::size_t>(it->second.second));
            read_at(m_spill_fd, m_spill_path, bytes.data(), bytes.size(), it->second.first);
            emit_full(level.next_index, bytes);
            m_spilled.erase(it);
            ++level.next_index;
        }
    }
    if (m_spilled.empty() && m_spill_bytes > 0) {
        if (::ftruncate(m_spill_fd, 0) != 0) throw OutputError(m_spill_path, "cannot be emptied: " + errno_text());
        m_spill_bytes = 0;
    }
}

void StreamingCog::feed_parent(int k, std::uint64_t code, const Block& block, Done& parents_done) {
    // Each block into its parent's quadrant: every parent cell takes its (up to) four cells from
    // this one block, in a fixed order, so the sums do not depend on the order blocks come in.
    const Level& level = *m_levels[static_cast<std::size_t>(k)];
    Level& up = *m_levels[static_cast<std::size_t>(k + 1)];
    const std::uint64_t parent_code = code >> 2;
    std::unique_ptr<Block>& parent = up.pending[parent_code];
    if (!parent) {
        parent = std::make_unique<Block>();
        parent->sums.assign(static_cast<std::size_t>(kBlockCells), 0.0);
        parent->counts.assign(static_cast<std::size_t>(kBlockCells), 0.0);
        const auto pbx = static_cast<std::int64_t>(gather(parent_code));
        const auto pby = static_cast<std::int64_t>(gather(parent_code >> 1));
        parent->expected = (std::min<std::int64_t>(level.bcols, 2 * pbx + 2) - 2 * pbx) *
                           (std::min<std::int64_t>(level.brows, 2 * pby + 2) - 2 * pby);
    }
    const std::int64_t qx = static_cast<std::int64_t>(code & 1) * (kBlock / 2);
    const std::int64_t qy = static_cast<std::int64_t>((code >> 1) & 1) * (kBlock / 2);
    for (std::int64_t y = 0; y < kBlock / 2; ++y) {
        for (std::int64_t x = 0; x < kBlock / 2; ++x) {
            double sum = 0, cells = 0;
            for (std::int64_t j = 0; j < 2; ++j)
                for (std::int64_t i = 0; i < 2; ++i) {
                    const auto at = static_cast<std::size_t>((2 * y + j) * kBlock + 2 * x + i);
                    if (k == 0) {
                        const float v = block.values[at];
                        if (std::isnan(v) || v == m_nodata) continue;
                        sum += v;
                        cells += 1;
                    } else {
                        sum += block.sums[at];
                        cells += block.counts[at];
                    }
                }
            const auto to = static_cast<std::size_t>((qy + y) * kBlock + qx + x);
            parent->sums[to] = sum;
            parent->counts[to] = cells;
        }
    }
    if (++parent->filled == parent->expected) {
        parents_done.emplace_back(parent_code, std::move(parent));
        up.pending.erase(parent_code);
    }
}

void StreamingCog::complete_overviews(int k, Done done) {
    if (done.empty()) return;
    Level& level = *m_levels[static_cast<std::size_t>(k)];
    // Each cell: the mean of the valid full-resolution cells under it.
    for (auto& item : done) {
        Block& block = *item.second;
        block.values.resize(static_cast<std::size_t>(kBlockCells));
        for (std::size_t i = 0; i < block.values.size(); ++i)
            block.values[i] = block.counts[i] > 0 ? static_cast<float>(block.sums[i] / block.counts[i]) : m_nodata;
    }
    const std::vector<std::vector<std::uint8_t>> compressed = compress(done);
    Done parents_done;
    for (std::size_t i = 0; i < done.size(); ++i) {
        const std::size_t index = level.index(done[i].first);
        write_at(level.fd, level.scratch, compressed[i].data(), compressed[i].size(), level.scratch_written);
        level.scratch_offsets[index] = level.scratch_written;
        level.sizes[index] = compressed[i].size();
        level.scratch_written += compressed[i].size();
        ++level.blocks_done;
        if (k + 1 < static_cast<int>(m_levels.size())) feed_parent(k, done[i].first, *done[i].second, parents_done);
        done[i].second.reset();
    }
    complete_overviews(k + 1, std::move(parents_done));
}

std::vector<std::uint8_t> StreamingCog::encode_header() const {
    const std::uint64_t entry_size = m_bigtiff ? 20 : 12;
    std::vector<std::uint8_t> out(m_bigtiff ? 16 : 8, 0);
    out[0] = 'I';
    out[1] = 'I';
    put<std::uint16_t>(out, 2, m_bigtiff ? 43 : 42);
    if (m_bigtiff) put<std::uint16_t>(out, 4, 8);
    // GDAL's structural metadata: IFDs before the tiles, tiles row-major, each framed by its
    // size and its last 4 bytes, untouched since written (then GDAL reads it as LAYOUT=COG).
    std::string ghost_body =
        "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n"
        "BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n";
    if (ghost_body.size() % 2 != 0) ghost_body += ' ';
    const std::string ghost = fmt::format("GDAL_STRUCTURAL_METADATA_SIZE={:06} bytes\n", ghost_body.size()) + ghost_body;
    out.insert(out.end(), ghost.begin(), ghost.end());
    const auto align = [&out](std::size_t to) {
        while (out.size() % to != 0) out.push_back(0);
    };
    // A count or an offset: 4 bytes in classic TIFF, 8 in BigTIFF.
    const std::size_t word = m_bigtiff ? 8 : 4;
    const auto put_word = [this](std::uint8_t* at, std::uint64_t value) {
        if (m_bigtiff) {
            std::memcpy(at, &value, 8);
        } else {
            if (value > 0xFFFFFFFFULL) throw OutputError(m_path, "passes 4 GiB as a classic TIFF");
            const auto value32 = static_cast<std::uint32_t>(value);
            std::memcpy(at, &value32, 4);
        }
    };
    align(2);
    put_word(out.data() + (m_bigtiff ? 8 : 4), out.size());  // the first IFD

    const auto short_tag = [](std::uint16_t tag, std::uint16_t value) {
        Tag t{tag, kShort, 1, {}};
        t.bytes.resize(2);
        std::memcpy(t.bytes.data(), &value, 2);
        return t;
    };
    const auto long_tag = [](std::uint16_t tag, std::uint32_t value) {
        Tag t{tag, kLong, 1, {}};
        t.bytes.resize(4);
        std::memcpy(t.bytes.data(), &value, 4);
        return t;
    };
    const auto array_tag = [&](std::uint16_t tag, const std::vector<std::uint64_t>& values, std::uint64_t base) {
        Tag t{tag, m_bigtiff ? kLong8 : kLong, values.size(), {}};
        t.bytes.resize(values.size() * word);
        for (std::size_t i = 0; i < values.size(); ++i) put_word(t.bytes.data() + word * i, values[i] + base);
        return t;
    };

    for (std::size_t k = 0; k < m_levels.size(); ++k) {
        const Level& level = *m_levels[k];
        std::vector<Tag> tags;
        if (k > 0) tags.push_back(long_tag(kNewSubfileType, 1));  // a reduced-resolution image
        tags.push_back(long_tag(kImageWidth, static_cast<std::uint32_t>(level.cols)));
        tags.push_back(long_tag(kImageLength, static_cast<std::uint32_t>(level.rows)));
        tags.push_back(short_tag(kBitsPerSample, 32));
        tags.push_back(short_tag(kCompression, 8));  // Deflate (zlib)
        tags.push_back(short_tag(kPhotometric, 1));  // min-is-black
        tags.push_back(short_tag(kSamplesPerPixel, 1));
        tags.push_back(short_tag(kPlanarConfig, 1));
        tags.push_back(short_tag(kTileWidth, static_cast<std::uint16_t>(kBlock)));
        tags.push_back(short_tag(kTileLength, static_cast<std::uint16_t>(kBlock)));
        tags.push_back(array_tag(kTileOffsets, level.offsets, level.base));
        tags.push_back(array_tag(kTileByteCounts, level.sizes, 0));
        tags.push_back(short_tag(kSampleFormat, 3));  // IEEE floating point
        for (const Tag& tag : k == 0 ? m_geo_tags : m_nodata_tags) tags.push_back(tag);
        std::stable_sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) { return a.tag < b.tag; });

        const std::size_t ifd = out.size();
        const std::uint64_t ifd_size = (m_bigtiff ? 8 : 2) + entry_size * tags.size() + word;
        out.resize(ifd + ifd_size, 0);
        if (m_bigtiff)
            put<std::uint64_t>(out, ifd, tags.size());
        else
            put<std::uint16_t>(out, ifd, static_cast<std::uint16_t>(tags.size()));
        for (std::size_t e = 0; e < tags.size(); ++e) {
            const Tag& tag = tags[e];
            const std::size_t at = ifd + (m_bigtiff ? 8 : 2) + entry_size * e;
            put<std::uint16_t>(out, at, tag.tag);
            put<std::uint16_t>(out, at + 2, tag.type);
            put_word(out.data() + at + 4, tag.count);
            const std::size_t value_at = at + 4 + word;
            if (tag.bytes.size() <= word) {  // the value fits in the entry
                std::copy(tag.bytes.begin(), tag.bytes.end(), out.begin() + static_cast<std::ptrdiff_t>(value_at));
            } else {
                align(8);
                const std::uint64_t data_at = out.size();
                out.insert(out.end(), tag.bytes.begin(), tag.bytes.end());
                put_word(out.data() + value_at, data_at);
            }
        }
        align(8);
        // The next IFD follows this one's values; the last points nowhere.
        put_word(out.data() + ifd + ifd_size - word, k + 1 < m_levels.size() ? out.size() : 0);
    }
    return out;
}

void StreamingCog::finish() {
    if (m_finished) return;
    Level& full = *m_levels[0];
    if (full.next_index != full.block_count() || !full.pending.empty())
        throw std::logic_error("StreamingCog::finish: cells of the raster were never written");
    constexpr std::uint64_t chunk = 8 << 20;
    std::vector<std::uint8_t> buffer;

    // The overviews, from the full resolution's blocks read back in Morton order, a batch of
    // 16 per thread at a time decompressed side by side: a batch and one block per overview
    // level wait in memory.
    if (m_levels.size() > 1) {
        std::vector<std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)>> decompressors;
        for (int t = 0; t < m_threads; ++t) {
            decompressors.emplace_back(libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
            if (!decompressors.back()) throw OutputError(m_path, "cannot be read back: out of memory");
        }
        const std::size_t batch_size = 16 * static_cast<std::size_t>(m_threads);
        std::vector<std::uint64_t> batch;
        Done blocks;
        const auto run_batch = [&]() {
            const auto n = static_cast<std::int64_t>(batch.size());
            blocks.clear();
            for (const std::uint64_t code : batch) {
                blocks.emplace_back(code, std::make_unique<Block>());
                blocks.back().second->values.resize(static_cast<std::size_t>(kBlockCells));
            }
            std::vector<std::exception_ptr> errors(batch.size());
#pragma omp parallel for num_threads(m_threads) schedule(dynamic, 1)
            for (std::int64_t i = 0; i < n; ++i) {
                const auto b = static_cast<std::size_t>(i);
                try {
                    const std::size_t index = full.index(batch[b]);
                    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(full.sizes[index]));
                    read_at(m_fd, m_path, bytes.data(), bytes.size(), m_header_bytes + full.offsets[index]);
                    std::vector<float>& values = blocks[b].second->values;
                    std::size_t out_bytes = 0;
                    if (libdeflate_zlib_decompress(decompressors[static_cast<std::size_t>(omp_get_thread_num())].get(),
                                                   bytes.data(), bytes.size(), values.data(),
                                                   values.size() * sizeof(float), &out_bytes) != LIBDEFLATE_SUCCESS ||
                        out_bytes != values.size() * sizeof(float))
                        throw OutputError(m_path, "a block written earlier does not read back (was the file changed?)");
                } catch (...) {
                    errors[b] = std::current_exception();
                }
            }
            for (const std::exception_ptr& error : errors)
                if (error) std::rethrow_exception(error);
            Done parents_done;
            for (auto& item : blocks) feed_parent(0, item.first, *item.second, parents_done);
            blocks.clear();
            complete_overviews(1, std::move(parents_done));
            batch.clear();
        };
        for (std::uint64_t code = 0; code < full.end_code; ++code) {
            if (!full.in_grid(code)) continue;
            batch.push_back(code);
            if (batch.size() == batch_size) run_batch();
        }
        if (!batch.empty()) run_batch();
        for (std::size_t k = 1; k < m_levels.size(); ++k)
            if (m_levels[k]->blocks_done != m_levels[k]->block_count() || !m_levels[k]->pending.empty())
                throw std::logic_error("StreamingCog::finish: an overview is incomplete");
    }

    // Where each level goes: the overviews, smallest first, between the IFDs and the full
    // resolution's tiles.
    std::uint64_t at = m_header_bytes;
    for (std::size_t k = m_levels.size(); k-- > 1;) {
        Level& level = *m_levels[k];
        level.base = at;
        level.written = level.scratch_written + 8 * level.block_count();
        at += level.written;
    }
    const std::uint64_t overview_bytes = at - m_header_bytes;
    full.base = at;
    // The full resolution's tiles move up by the overviews' size, last chunk first, in place.
    if (overview_bytes > 0) {
        buffer.resize(static_cast<std::size_t>(std::min(chunk, full.written)));
        for (std::uint64_t end = full.written; end > 0;) {
            const std::uint64_t begin = end > chunk ? end - chunk : 0;
            read_at(m_fd, m_path, buffer.data(), end - begin, m_header_bytes + begin);
            write_at(m_fd, m_path, buffer.data(), end - begin, full.base + begin);
            end = begin;
        }
    }
    // Each overview's tiles in front of them, row-major, framed as the full resolution's.
    for (std::size_t k = m_levels.size(); k-- > 1;) {
        Level& level = *m_levels[k];
        std::uint64_t position = 0;
        for (std::size_t index = 0; index < level.block_count(); ++index) {
            buffer.resize(static_cast<std::size_t>(level.sizes[index]));
            read_at(level.fd, level.scratch, buffer.data(), buffer.size(), level.scratch_offsets[index]);
            const std::vector<std::uint8_t> tile = framed(buffer.data(), buffer.size());
            write_at(m_fd, m_path, tile.data(), tile.size(), level.base + position);
            level.offsets[index] = position + 4;
            position += tile.size();
        }
        ::close(level.fd);
        level.fd = -1;
        ::unlink(level.scratch.c_str());
    }
    const std::vector<std::uint8_t> header = encode_header();
    if (header.size() != m_header_bytes) throw std::logic_error("StreamingCog: the IFDs changed size");
    write_at(m_fd, m_path, header.data(), header.size(), 0);
    if (::close(m_fd) != 0) {
        m_fd = -1;
        throw OutputError(m_path, "cannot be written: " + errno_text());
    }
    m_fd = -1;
    m_finished = true;
}

}  // namespace shadegap::detail
