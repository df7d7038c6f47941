// The streaming COG writer (src/lib/cog_writer.hpp): cells, overviews and layout read back
// through GDAL and checked against the input, means computed here, and the COG layout rules
// of GDAL's validate_cloud_optimized_geotiff.py (re-done here from the file's bytes).
// SPDX-License-Identifier: MIT
#include "cog_writer.hpp"
#include "fixtures.hpp"
#include "shadegap/error.hpp"

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

using namespace shadegap;
using detail::StreamingCog;

namespace {

constexpr float kNodata = -9999.0F;

RasterInfo grid_of(std::int64_t cols, std::int64_t rows) {
    RasterInfo info;
    info.grid.x_min = 383000;
    info.grid.y_max = 4087000;
    info.grid.cell_width = 0.5;
    info.grid.cell_height = 0.5;
    info.grid.cols = cols;
    info.grid.rows = rows;
    OGRSpatialReference srs;
    srs.importFromEPSG(32618);
    char* wkt = nullptr;
    srs.exportToWkt(&wkt);
    info.crs_wkt = wkt;
    CPLFree(wkt);
    return info;
}

/// Shade-like values: fractions in [0, 1] in steps of 1/97, a nodata hole and a nodata edge.
std::vector<float> field(std::int64_t cols, std::int64_t rows) {
    std::vector<float> values(static_cast<std::size_t>(cols * rows));
    std::uint64_t state = 12345;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            const bool hole = (r - 300) * (r - 300) + (c - 700) * (c - 700) < 120 * 120 || c < 3;
            values[static_cast<std::size_t>(r * cols + c)] =
                hole ? kNodata : static_cast<float>((state >> 33) % 98) / 97.0F;
        }
    return values;
}

std::vector<float> window_of(const std::vector<float>& values, std::int64_t cols, const Window& w) {
    std::vector<float> out;
    for (std::int64_t r = w.row0; r < w.row0 + w.rows; ++r)
        out.insert(out.end(), values.begin() + r * cols + w.col0, values.begin() + r * cols + w.col0 + w.cols);
    return out;
}

/// Writes `values` through StreamingCog in tiles of `tile` cells, row by row or (reversed)
/// last tile first.
void write_in_tiles(const std::string& path, const std::string& scratch, std::int64_t cols, std::int64_t rows,
                    const std::vector<float>& values, std::int64_t tile, bool reversed, int threads,
                    bool bigtiff = false) {
    StreamingCog cog(path, scratch, grid_of(cols, rows), kNodata, threads, bigtiff);
    std::vector<Window> windows;
    for (std::int64_t r = 0; r < rows; r += tile)
        for (std::int64_t c = 0; c < cols; c += tile)
            windows.push_back(Window{r, c, std::min(tile, rows - r), std::min(tile, cols - c)});
    if (reversed) std::reverse(windows.begin(), windows.end());
    for (const Window& w : windows) cog.write(w, window_of(values, cols, w).data());
    cog.finish();
}

std::vector<std::uint8_t> bytes_of(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t u32(const std::vector<std::uint8_t>& bytes, std::uint64_t at) {
    std::uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, 4);
    return value;
}

/// The mean of the valid cells of `values` in the 2ᵏ × 2ᵏ square of overview cell (x, y), or
/// nodata: computed directly from the full resolution.
float mean_under(const std::vector<float>& values, std::int64_t cols, std::int64_t rows, int k, std::int64_t x,
                 std::int64_t y) {
    const std::int64_t side = std::int64_t{1} << k;
    double sum = 0;
    std::int64_t n = 0;
    for (std::int64_t r = y * side; r < std::min(rows, (y + 1) * side); ++r)
        for (std::int64_t c = x * side; c < std::min(cols, (x + 1) * side); ++c) {
            const float v = values[static_cast<std::size_t>(r * cols + c)];
            if (v == kNodata) continue;
            sum += v;
            ++n;
        }
    return n == 0 ? kNodata : static_cast<float>(sum / static_cast<double>(n));
}

}  // namespace

TEST_CASE("StreamingCog: cells, georeferencing and overviews as GDAL reads them, the same bytes for any tiles") {
    GDALAllRegister();
    test::TempDir dir;
    const std::int64_t cols = 1300, rows = 1100;  // 3 levels: 1300 × 1100, 650 × 550, 325 × 275
    const std::vector<float> values = field(cols, rows);
    REQUIRE(StreamingCog::level_count(cols, rows) == 3);

    write_in_tiles(dir.file("one.tif"), dir.file("one"), cols, rows, values, 1 << 20, false, 1);
    write_in_tiles(dir.file("t1024.tif"), dir.file("t1024"), cols, rows, values, 1024, false, 2);
    write_in_tiles(dir.file("t23.tif"), dir.file("t23"), cols, rows, values, 23, false, 2);
    write_in_tiles(dir.file("t100r.tif"), dir.file("t100r"), cols, rows, values, 100, true, 3);
    const std::vector<std::uint8_t> one = bytes_of(dir.file("one.tif"));
    CHECK(bytes_of(dir.file("t1024.tif")) == one);
    CHECK(bytes_of(dir.file("t23.tif")) == one);
    CHECK(bytes_of(dir.file("t100r.tif")) == one);
    // No scratch file left.
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        (void)entry;
        ++files;
    }
    CHECK(files == 4);

    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(dir.file("t23.tif").c_str(), GA_ReadOnly));
    REQUIRE(ds != nullptr);
    CHECK(std::string(ds->GetDriver()->GetDescription()) == "GTiff");
    const char* layout = ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
    CHECK(std::string(layout ? layout : "") == "COG");
    const char* compression = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
    CHECK(std::string(compression ? compression : "") == "DEFLATE");
    double transform[6];
    REQUIRE(ds->GetGeoTransform(transform) == CE_None);
    CHECK(transform[0] == 383000);
    CHECK(transform[1] == 0.5);
    CHECK(transform[3] == 4087000);
    CHECK(transform[5] == -0.5);
    REQUIRE(ds->GetSpatialRef() != nullptr);
    CHECK(std::string(ds->GetSpatialRef()->GetAuthorityCode(nullptr)) == "32618");
    GDALRasterBand* band = ds->GetRasterBand(1);
    CHECK(band->GetRasterDataType() == GDT_Float32);
    int has_nodata = 0;
    CHECK(band->GetNoDataValue(&has_nodata) == kNodata);
    CHECK(has_nodata == 1);
    int bx = 0, by = 0;
    band->GetBlockSize(&bx, &by);
    CHECK(bx == 512);
    CHECK(by == 512);

    std::vector<float> read(values.size());
    REQUIRE(band->RasterIO(GF_Read, 0, 0, static_cast<int>(cols), static_cast<int>(rows), read.data(),
                           static_cast<int>(cols), static_cast<int>(rows), GDT_Float32, 0, 0) == CE_None);
    CHECK(std::memcmp(read.data(), values.data(), values.size() * sizeof(float)) == 0);

    REQUIRE(band->GetOverviewCount() == 2);
    for (int k = 1; k <= 2; ++k) {
        GDALRasterBand* overview = band->GetOverview(k - 1);
        const std::int64_t ocols = overview->GetXSize(), orows = overview->GetYSize();
        CHECK(ocols == (cols + (1 << k) - 1) >> k);
        CHECK(orows == (rows + (1 << k) - 1) >> k);
        std::vector<float> cells(static_cast<std::size_t>(ocols * orows));
        REQUIRE(overview->RasterIO(GF_Read, 0, 0, static_cast<int>(ocols), static_cast<int>(orows), cells.data(),
                                   static_cast<int>(ocols), static_cast<int>(orows), GDT_Float32, 0, 0) == CE_None);
        std::int64_t mismatches = 0, nodata_cells = 0;
        for (std::int64_t y = 0; y < orows; ++y)
            for (std::int64_t x = 0; x < ocols; ++x) {
                const float expected = mean_under(values, cols, rows, k, x, y);
                const float got = cells[static_cast<std::size_t>(y * ocols + x)];
                if (expected == kNodata) ++nodata_cells;
                const bool same = expected == kNodata ? got == kNodata : std::fabs(got - expected) <= 1e-6F;
                if (!same) ++mismatches;
            }
        CHECK(mismatches == 0);
        CHECK(nodata_cells > 100);  // the hole and the edge are nodata in the overviews too
    }
    GDALClose(ds);
}

TEST_CASE("StreamingCog: the layout GDAL's COG validator asks for, checked on the file's bytes") {
    GDALAllRegister();
    test::TempDir dir;
    const std::int64_t cols = 1300, rows = 1100;
    const std::vector<float> values = field(cols, rows);
    for (const bool bigtiff : {false, true}) {
        const std::string path = dir.file(bigtiff ? "big.tif" : "classic.tif");
        write_in_tiles(path, path, cols, rows, values, 200, false, 2, bigtiff);
        const std::vector<std::uint8_t> bytes = bytes_of(path);
        INFO((bigtiff ? "BigTIFF" : "classic TIFF"));
        REQUIRE(bytes.size() > 64);
        CHECK(bytes[0] == 'I');
        CHECK(bytes[2] == (bigtiff ? 43 : 42));
        // The ghost header right after the TIFF header, then the first IFD.
        const std::size_t header = bigtiff ? 16 : 8;
        const std::string ghost(bytes.begin() + static_cast<std::ptrdiff_t>(header),
                                bytes.begin() + static_cast<std::ptrdiff_t>(header) + 43);
        CHECK(ghost.rfind("GDAL_STRUCTURAL_METADATA_SIZE=", 0) == 0);
        const std::size_t ghost_size = std::stoul(ghost.substr(30, 6));
        std::size_t first_ifd = header + 43 + ghost_size;
        first_ifd += first_ifd % 2;

        GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
        REQUIRE(ds != nullptr);
        GDALRasterBand* main = ds->GetRasterBand(1);
        std::vector<GDALRasterBand*> levels{main};
        for (int i = 0; i < main->GetOverviewCount(); ++i) levels.push_back(main->GetOverview(i));
        REQUIRE(levels.size() == 3);
        std::vector<std::uint64_t> ifds, first_blocks;
        for (GDALRasterBand* level : levels) {
            ifds.push_back(std::stoull(level->GetMetadataItem("IFD_OFFSET", "TIFF")));
            const int nx = (level->GetXSize() + 511) / 512, ny = (level->GetYSize() + 511) / 512;
            std::uint64_t last = 0;
            for (int y = 0; y < ny; ++y)
                for (int x = 0; x < nx; ++x) {
                    const char* offset_text = level->GetMetadataItem(CPLSPrintf("BLOCK_OFFSET_%d_%d", x, y), "TIFF");
                    const char* size_text = level->GetMetadataItem(CPLSPrintf("BLOCK_SIZE_%d_%d", x, y), "TIFF");
                    REQUIRE(offset_text != nullptr);
                    REQUIRE(size_text != nullptr);
                    const std::uint64_t offset = std::stoull(offset_text), size = std::stoull(size_text);
                    if (x == 0 && y == 0) first_blocks.push_back(offset);
                    CHECK(offset > last);  // row-major (BLOCK_ORDER=ROW_MAJOR)
                    last = offset;
                    REQUIRE(offset + size + 4 <= bytes.size());
                    CHECK(u32(bytes, offset - 4) == size);  // BLOCK_LEADER=SIZE_AS_UINT4
                    CHECK(u32(bytes, offset + size) == u32(bytes, offset + size - 4));  // BLOCK_TRAILER
                }
        }
        CHECK(ifds[0] == first_ifd);
        CHECK(ifds[1] > ifds[0]);
        CHECK(ifds[2] > ifds[1]);
        CHECK(first_blocks[2] > ifds[2]);        // the smallest overview's tiles after the last IFD,
        CHECK(first_blocks[1] > first_blocks[2]);  // then the larger overview's,
        CHECK(first_blocks[0] > first_blocks[1]);  // then the full resolution's
        std::vector<float> read(values.size());
        REQUIRE(main->RasterIO(GF_Read, 0, 0, static_cast<int>(cols), static_cast<int>(rows), read.data(),
                               static_cast<int>(cols), static_cast<int>(rows), GDT_Float32, 0, 0) == CE_None);
        CHECK(std::memcmp(read.data(), values.data(), values.size() * sizeof(float)) == 0);
        GDALClose(ds);
    }
}

TEST_CASE("StreamingCog: an image of one block has no overviews") {
    GDALAllRegister();
    test::TempDir dir;
    const std::vector<float> values = field(300, 200);
    CHECK(StreamingCog::level_count(300, 200) == 1);
    CHECK(StreamingCog::level_count(512, 513) == 2);
    write_in_tiles(dir.file("small.tif"), dir.file("small"), 300, 200, values, 64, false, 2);
    GDALDataset* ds = static_cast<GDALDataset*>(GDALOpen(dir.file("small.tif").c_str(), GA_ReadOnly));
    REQUIRE(ds != nullptr);
    CHECK(ds->GetRasterBand(1)->GetOverviewCount() == 0);
    std::vector<float> read(values.size());
    REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, 300, 200, read.data(), 300, 200, GDT_Float32, 0, 0) == CE_None);
    CHECK(std::memcmp(read.data(), values.data(), values.size() * sizeof(float)) == 0);
    GDALClose(ds);
}

TEST_CASE("StreamingCog: cells missing or written twice are refused, an unwritable path is named") {
    test::TempDir dir;
    const std::vector<float> values(600 * 600, 0.5F);
    {
        StreamingCog cog(dir.file("partial.tif"), dir.file("partial"), grid_of(600, 600), kNodata, 1);
        cog.write(Window{0, 0, 512, 512}, values.data());
        CHECK_THROWS_AS(cog.write(Window{500, 500, 20, 20}, values.data()), std::logic_error);
    }
    {
        StreamingCog cog(dir.file("missing.tif"), dir.file("missing"), grid_of(600, 600), kNodata, 1);
        cog.write(Window{0, 0, 599, 600}, values.data());
        CHECK_THROWS_AS(cog.finish(), std::logic_error);
    }
    // Neither unfinished output is left, nor any scratch file.
    CHECK(std::filesystem::is_empty(dir.path()));
    const std::string nowhere = dir.file("no/such/folder/out.tif");
    try {
        StreamingCog cog(nowhere, dir.file("x"), grid_of(600, 600), kNodata, 1);
        FAIL("no error");
    } catch (const OutputError& error) {
        CHECK_THAT(error.what(), Catch::Contains("no/such/folder/out.tif"));
    }
}
