// A Cloud-Optimized GeoTIFF of one Float32 band, written as its cells are made.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/grid.hpp"
#include "shadegap/raster.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace shadegap::detail {

/// The Morton (Z-order) code of block (x, y): the bits of x and y interleaved, x's in the even places.
std::uint64_t morton_code(std::int64_t x, std::int64_t y);

/// Writes one Float32 band as a Cloud-Optimized GeoTIFF while it is computed: windows of
/// cells of any size arrive in any order (`write`), and each 512 × 512 block is compressed
/// (DEFLATE, libdeflate) and written into the output file as soon as its cells are all there
/// and the blocks before it (row-major) are written; a block done out of turn waits in a
/// scratch file, which is emptied whenever no block waits (tiles of a multiple of 512 cells
/// taken row by row leave at most one row of blocks waiting there).
///
/// The layout is that of GDAL's COG driver, with its structural-metadata ("ghost") header:
/// the TIFF header, every IFD (full resolution first, then the overviews, largest first), the
/// overviews' tiles (smallest overview first), then the full resolution's tiles; each level's
/// tiles in row-major order, each tile with its size before it and its last 4 bytes repeated
/// after it. GDAL reads it as LAYOUT=COG. `finish` makes the overviews (halvings until the image
/// fits one block): it reads the full resolution's blocks back in Morton (Z) order, so that
/// one block per level is in memory, and each overview cell is the mean of the valid
/// full-resolution cells under it (sums and counts carried exactly from level to level),
/// nodata where there are none. The overviews wait in scratch files (at most a third of the
/// output), the full resolution's tiles move up by their size within the file (one sequential
/// pass, no second copy), and the overviews are copied in front of them.
///
/// The file is the same byte for byte whatever the windows and their order. Classic TIFF when
/// the output cannot pass 4 GiB even uncompressed, BigTIFF otherwise.
class StreamingCog {
public:
    static constexpr std::int64_t block = 512;

    /// `path` is created (replaced); `scratch_prefix` + ".ovrN" name the overview levels'
    /// scratch files. Georeferencing and nodata as `like`'s grid and CRS, nodata `nodata`.
    /// `threads` compress blocks side by side. Throws OutputError.
    StreamingCog(std::string path, std::string scratch_prefix, const RasterInfo& like, float nodata, int threads,
                 bool force_bigtiff = false);
    ~StreamingCog();
    StreamingCog(const StreamingCog&) = delete;
    StreamingCog& operator=(const StreamingCog&) = delete;

    /// The cells of `window` (row-major, `window.cols` per row). Each cell is written once.
    void write(const Window& window, const float* values);
    /// Lays the file out and closes it. Throws OutputError; std::logic_error when cells are
    /// missing.
    void finish();

    /// The number of levels (1 + overviews) an image of `cols` × `rows` gets.
    static int level_count(std::int64_t cols, std::int64_t rows);

    struct Level;
    struct Block;
    /// A TIFF tag as GDAL wrote it: its field type, count and value bytes (little-endian).
    struct Tag {
        std::uint16_t tag = 0;
        std::uint16_t type = 0;
        std::uint64_t count = 0;
        std::vector<std::uint8_t> bytes;
    };

private:
    void open(const RasterInfo& like, bool force_bigtiff);
    /// Frees the compressors, closes the files and removes the scratch files.
    void release();
    using Done = std::vector<std::pair<std::uint64_t, std::unique_ptr<Block>>>;
    std::vector<std::vector<std::uint8_t>> compress(const Done& done);
    void emit_full(std::size_t index, const std::vector<std::uint8_t>& bytes);
    void feed_parent(int level, std::uint64_t code, const Block& block, Done& parents_done);
    void complete_overviews(int level, Done done);
    /// The TIFF header, the ghost header and the IFDs, with the levels' offsets as they stand.
    std::vector<std::uint8_t> encode_header() const;

    std::string m_path;
    std::string m_scratch_prefix;
    float m_nodata;
    int m_threads;
    bool m_bigtiff = false;
    std::vector<Tag> m_geo_tags;       ///< GDAL's GeoTIFF, metadata and nodata tags for this grid
    std::vector<Tag> m_nodata_tags;    ///< GDAL's nodata tag alone, for the overviews
    std::vector<void*> m_compressors;  ///< one libdeflate compressor per thread
    std::vector<std::unique_ptr<Level>> m_levels;
    std::uint64_t m_header_bytes = 0;
    int m_fd = -1;
    // Full-resolution blocks done out of turn: their place in the spill file, by block index.
    std::string m_spill_path;
    int m_spill_fd = -1;
    std::uint64_t m_spill_bytes = 0;
    std::map<std::size_t, std::pair<std::uint64_t, std::uint64_t>> m_spilled;
    bool m_created = false;  ///< the output exists (and is removed unless finished)
    bool m_finished = false;
};

}  // namespace shadegap::detail
