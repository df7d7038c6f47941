// Generates the benchmark inputs: textured 1 m land-cover rasters and census-block tilings in another CRS.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_generate raster SIZE OUT.tif          one SIZE × SIZE GeoTIFF
//   shadegap_bench_generate mosaic SIZE TILE OUT.vrt [DISTINCT]
//                                                        TILE × TILE GeoTIFFs in OUT_tiles/ and a VRT
//                                                        over them; DISTINCT (default 10) are generated,
//                                                        the others repeat them
//   shadegap_bench_generate polygons SIZE COUNT OUT.gpkg COUNT polygons tiling the SIZE × SIZE extent
//   shadegap_bench_generate streets SIZE SPACING OUT.gpkg
//                                                        a street grid over the extent (EPSG:32618): jittered
//                                                        junctions every SPACING m, 4 % of links missing,
//                                                        a diagonal in 3 % of the grid cells; one LineString
//                                                        per link, so lines meet only at their ends; field
//                                                        street_id. SIZE 10000, SPACING 45 gives ≈ 100,000
//                                                        links (SPACING 55: ≈ 66,000)
//   shadegap_bench_generate destinations SIZE COUNT OUT.gpkg [SPACING]
//                                                        COUNT points within 4 m of links of the street grid
//                                                        of SPACING (default 45) m; field kind: school (10 %),
//                                                        park (15 %) or bus_stop
//   shadegap_bench_generate heights SIZE OUT_DIR         the benchmark city's heights from its land cover:
//                                                        OUT_DIR/building_height.tif (building cells: one
//                                                        height per lot, 12–60 m in the dense core, 6–20 m
//                                                        elsewhere) and OUT_DIR/canopy_height.tif (canopy
//                                                        cells: 5–25 m from the leaf noise), Float32 metres,
//                                                        nodata −9999 on the missing scenes, 0 elsewhere
//   shadegap_bench_generate heights-mosaic SIZE TILE OUT_DIR [DISTINCT]
//                                                        the same as TILE × TILE tiles and two VRTs,
//                                                        OUT_DIR/building_height.vrt and canopy_height.vrt
//                                                        (tiles repeated as in `mosaic`)
//   shadegap_bench_generate shade SIZE OUT.tif           a SIZE × SIZE Float32 shade fraction (0–1, in 1/64
//                                                        steps) from the land cover of `raster`: high under
//                                                        canopy, low on open ground, textured by the leaf
//                                                        noise; tiled 256, DEFLATE with the float predictor
//
// Every cell value and every vertex is a pure function of the constants below and of the cell's
// or vertex's position, so tiles are seamless, the 10,000² raster is the north-west corner of
// the 20,000² one, and reruns give the same values.
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <ogr_feature.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr double origin_x = 300000.0;   // EPSG:32618 easting of the west edge
constexpr double origin_y = 4350000.0;  // EPSG:32618 northing of the north edge
constexpr std::uint64_t seed = 0xbe9c4ade5eedULL;
constexpr int tile = 256;               // generation and GeoTIFF tile size

namespace cover {
constexpr std::uint8_t nodata = 0;
constexpr std::uint8_t canopy = 1;
constexpr std::uint8_t grass = 2;
constexpr std::uint8_t bare = 3;
constexpr std::uint8_t water = 4;
constexpr std::uint8_t building = 5;
constexpr std::uint8_t road = 6;
constexpr std::uint8_t parking = 7;
}  // namespace cover

[[noreturn]] void fail(const std::string& subject, const std::string& what) {
    const char* gdal = CPLGetLastErrorMsg();
    std::string text = subject + ": " + what;
    if (gdal && *gdal) text += " (" + std::string(gdal) + ")";
    throw std::runtime_error(text);
}

// ---- deterministic randomness ---------------------------------------------------------

std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// The seed of random stream n (one per purpose), computed once.
std::uint64_t stream(std::uint64_t n) {
    static const std::array<std::uint64_t, 32> streams = [] {
        std::array<std::uint64_t, 32> out{};
        for (std::uint64_t i = 0; i < out.size(); ++i) out[i] = mix64(seed ^ mix64(i));
        return out;
    }();
    return streams[n];
}

std::uint64_t hash2(std::uint64_t s, std::int64_t a, std::int64_t b) {
    return mix64(mix64(s ^ static_cast<std::uint64_t>(a)) ^ static_cast<std::uint64_t>(b));
}

/// Uniform in [0, 1) from the top 53 bits.
double unit_hash(std::uint64_t s, std::int64_t a, std::int64_t b) {
    return static_cast<double>(hash2(s, a, b) >> 11) * 0x1.0p-53;
}

double smooth(double t) { return t * t * (3.0 - 2.0 * t); }

// ---- land cover, one 256 × 256 tile at a time -------------------------------------------

/// Adds weight × value noise (lattice step `scale` cells) over a tile whose top-left cell is
/// (col0, row0). The lattice is hashed once per tile, so a cell costs one bilinear blend.
void add_noise(std::vector<double>& field, double weight, std::uint64_t s, std::int64_t col0, std::int64_t row0,
               double scale) {
    std::array<std::int64_t, tile> ix{}, iy{};
    std::array<double, tile> tx{}, ty{};
    for (int k = 0; k < tile; ++k) {
        const double gx = (static_cast<double>(col0 + k) + 0.5) / scale;
        const double gy = (static_cast<double>(row0 + k) + 0.5) / scale;
        ix[k] = static_cast<std::int64_t>(std::floor(gx));
        iy[k] = static_cast<std::int64_t>(std::floor(gy));
        tx[k] = smooth(gx - std::floor(gx));
        ty[k] = smooth(gy - std::floor(gy));
    }
    const std::int64_t lx0 = ix[0], ly0 = iy[0];
    const std::int64_t nx = ix[tile - 1] - lx0 + 2, ny = iy[tile - 1] - ly0 + 2;
    std::vector<double> lattice(static_cast<std::size_t>(nx * ny));
    for (std::int64_t j = 0; j < ny; ++j)
        for (std::int64_t i = 0; i < nx; ++i)
            lattice[static_cast<std::size_t>(j * nx + i)] = unit_hash(s, lx0 + i, ly0 + j);
    for (int r = 0; r < tile; ++r) {
        const double* top = &lattice[static_cast<std::size_t>((iy[r] - ly0) * nx)];
        const double* bottom = top + nx;
        double* out = &field[static_cast<std::size_t>(r * tile)];
        for (int c = 0; c < tile; ++c) {
            const std::int64_t i = ix[c] - lx0;
            const double upper = top[i] + (top[i + 1] - top[i]) * tx[c];
            const double lower = bottom[i] + (bottom[i + 1] - bottom[i]) * tx[c];
            out[c] += weight * (upper + (lower - upper) * ty[r]);
        }
    }
}

/// Streets along one axis: street k starts at k·period + jitter and is 10 m wide (every
/// fifth one an 18 m arterial). Returns 0 off the street, 1 on a street, 2 on an arterial,
/// and the street block index and the distance from the block's start otherwise.
struct StreetHit {
    int kind;
    std::int64_t block;
    double offset;
    double length;
};

StreetHit street_at(std::uint64_t s, double period, double position) {
    const auto k = static_cast<std::int64_t>(std::floor(position / period));
    const auto start_of = [&](std::int64_t n) { return static_cast<double>(n) * period + std::floor(unit_hash(s, n, 0) * 30.0); };
    const auto width_of = [](std::int64_t n) { return n % 5 == 2 ? 18.0 : 10.0; };
    const double start = start_of(k);
    if (position >= start && position < start + width_of(k)) return {k % 5 == 2 ? 2 : 1, k, 0, 0};
    // Between the end of the last street and the start of the next one.
    const std::int64_t previous = position < start ? k - 1 : k;
    const double block_start = start_of(previous) + width_of(previous);
    const double block_end = start_of(previous + 1);
    return {0, previous, position - block_start, block_end - block_start};
}

struct TileFields {
    std::vector<double> district, lake, leaf, soil, gap;
    std::array<StreetHit, tile> across{};  // north–south streets, per column
    std::array<StreetHit, tile> down{};    // east–west streets, per row
    TileFields()
        : district(tile * tile), lake(tile * tile), leaf(tile * tile), soil(tile * tile), gap(tile * tile) {}
    void compute(std::int64_t col0, std::int64_t row0) {
        for (int k = 0; k < tile; ++k) {
            across[k] = street_at(stream(10), 131.0, static_cast<double>(col0 + k) + 0.5);
            down[k] = street_at(stream(11), 97.0, static_cast<double>(row0 + k) + 0.5);
        }
        for (auto* f : {&district, &lake, &leaf, &soil, &gap}) std::fill(f->begin(), f->end(), 0.0);
        add_noise(district, 0.7, stream(1), col0, row0, 1700.0);
        add_noise(district, 0.3, stream(2), col0, row0, 430.0);
        add_noise(lake, 1.0, stream(3), col0, row0, 1300.0);
        add_noise(leaf, 0.5, stream(4), col0, row0, 70.0);
        add_noise(leaf, 0.3, stream(5), col0, row0, 22.0);
        add_noise(leaf, 0.2, stream(6), col0, row0, 7.0);
        add_noise(soil, 0.7, stream(7), col0, row0, 45.0);
        add_noise(soil, 0.3, stream(8), col0, row0, 9.0);
        add_noise(gap, 1.0, stream(9), col0, row0, 900.0);
    }
};

/// The random draws of one lot, kept while consecutive cells stay on it.
struct LotDraws {
    std::int64_t block_across = -1, block_down = -1, lot = -1;
    bool north = false;
    double frontage = 0, h1 = 0, h2 = 0;
    std::int64_t key = 0;  ///< the lot's block side, for draws made from it (building heights)
};

/// One cell's class from the tile's fields: cell (r, c) of the tile, at global (col, row).
std::uint8_t classify(const TileFields& f, int r, int c, std::int64_t col, std::int64_t row, LotDraws& lot_draws) {
    const auto i = static_cast<std::size_t>(r * tile + c);
    if (f.gap[i] > 0.93) return cover::nodata;  // a missing scene
    const double lake = f.lake[i];
    // Per-cell noise: a classifier's ragged edges, which is what makes real land cover
    // compress about 6:1 rather than 20:1.
    const std::uint64_t h = mix64(stream(12) ^ static_cast<std::uint64_t>(row * 1000003 + col));
    const double jitter = static_cast<double>((h >> 16) & 0xffff) / 65536.0 - 0.5;
    const double jitter2 = static_cast<double>((h >> 32) & 0xffff) / 65536.0 - 0.5;
    const double leaf = f.leaf[i] + 0.16 * jitter;
    const double soil = f.soil[i] + 0.24 * jitter2;
    if (lake + 0.01 * jitter > 0.80) return cover::water;
    if (lake > 0.78) return leaf > 0.45 ? cover::canopy : cover::grass;  // the shore
    const double district = f.district[i];         // low: dense core, high: woods
    const bool woods = district > 0.70;
    const bool core = district < 0.33;
    const double threshold = woods ? 0.40 : core ? 0.64 : 0.53 - 0.1 * (district - 0.33);

    const StreetHit& across = f.across[static_cast<std::size_t>(c)];
    const StreetHit& down = f.down[static_cast<std::size_t>(r)];
    const int street = std::max(across.kind, down.kind);
    if (street == 2 || (street == 1 && !woods)) {
        // Street trees overhang the minor streets.
        return street == 1 && leaf > threshold + 0.12 ? cover::canopy : cover::road;
    }
    // Speckle: single cells that a classifier gets wrong.
    if ((h & 0xff) < 7) return static_cast<std::uint8_t>(1 + (h >> 8) % 7);
    if (woods) return leaf > threshold ? cover::canopy : soil > 0.72 ? cover::bare : cover::grass;

    // Lots along the block's north and south streets, each with one building.
    const double frontage_draw = unit_hash(stream(13), across.block, down.block);
    const double frontage = std::floor(core ? 22.0 + 20.0 * frontage_draw : 12.0 + 14.0 * frontage_draw);
    const auto lot = static_cast<std::int64_t>(std::floor(across.offset / frontage));
    const bool north = down.offset < down.length / 2;
    LotDraws& d = lot_draws;
    if (d.block_across != across.block || d.block_down != down.block || d.lot != lot || d.north != north) {
        const std::int64_t key = (across.block * 7919 + down.block) * 2 + (north ? 1 : 0);
        d = {across.block, down.block, lot, north, frontage, unit_hash(stream(14), key, lot),
             unit_hash(stream(15), key, lot), key};
    }
    const double along = across.offset - static_cast<double>(lot) * frontage;
    const double depth = north ? down.offset : down.length - down.offset;
    const double setback = core ? 1.0 + 3.0 * d.h1 : 4.0 + 6.0 * d.h1;
    const double building_depth = core ? 0.42 * down.length : 9.0 + 7.0 * d.h2;
    const double margin = core ? 1.0 : 2.0 + 3.0 * d.h2;
    if (along >= margin && along < frontage - margin && depth >= setback && depth < setback + building_depth &&
        d.h1 < 0.93)
        return cover::building;
    if (core && soil < 0.42) return leaf > threshold + 0.1 ? cover::canopy : cover::parking;
    if (!core && along >= frontage - 4.0 && depth < setback + 6.0) return cover::road;  // driveway
    if (leaf > threshold) return cover::canopy;
    return soil > 0.74 ? cover::bare : cover::grass;
}

/// Fills `strip` (rows × cols cells, row-major) over cells [row0, row0 + rows) ×
/// [col0, col0 + cols), tile by tile in parallel, with value(cls, fields, r, c, lot_draws)
/// of each cell's land-cover class `cls` (r, c within the tile).
template <typename T, typename Value>
void fill_cells(std::vector<T>& strip, std::int64_t row0, std::int64_t col0, std::int64_t rows, std::int64_t cols,
                const Value& value) {
    const std::int64_t tiles_across = (cols + tile - 1) / tile;
#pragma omp parallel
    {
        TileFields fields;
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t t = 0; t < tiles_across; ++t) {
            const std::int64_t tile_col0 = col0 + t * tile;
            fields.compute(tile_col0, row0);
            const std::int64_t width = std::min<std::int64_t>(tile, cols - t * tile);
            for (int r = 0; r < rows; ++r) {
                LotDraws lot_draws;
                for (int c = 0; c < width; ++c) {
                    const std::uint8_t cls = classify(fields, r, c, tile_col0 + c, row0 + r, lot_draws);
                    strip[static_cast<std::size_t>(r * cols + t * tile + c)] = value(cls, fields, r, c, lot_draws);
                }
            }
        }
    }
}

/// Fills `strip` (rows × cols cells, row-major) with the land cover of cells
/// [row0, row0 + rows) × [col0, col0 + cols).
void fill_strip(std::vector<std::uint8_t>& strip, std::int64_t row0, std::int64_t col0, std::int64_t rows,
                std::int64_t cols) {
    fill_cells(strip, row0, col0, rows, cols,
               [](std::uint8_t cls, const TileFields&, int, int, const LotDraws&) { return cls; });
}

OGRSpatialReference utm() {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(32618) != OGRERR_NONE) fail("EPSG:32618", "unknown CRS");
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

/// A tiled (256²) DEFLATE GeoTIFF at `file` of rows × cols cells of 1 m whose top-left cell is
/// the generator's cell (row0, col0), in UTM 18N; `predictor` (or null) is the DEFLATE predictor.
/// Errors name `path`.
std::unique_ptr<GDALDataset> create_geotiff(const std::string& file, const std::string& path, std::int64_t rows,
                                            std::int64_t cols, GDALDataType type, std::int64_t row0, std::int64_t col0,
                                            const char* predictor) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (!driver) fail(path, "the GTiff driver is missing");
    CPLStringList options;
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("BLOCKXSIZE", "256");
    options.SetNameValue("BLOCKYSIZE", "256");
    options.SetNameValue("COMPRESS", "DEFLATE");
    if (predictor) options.SetNameValue("PREDICTOR", predictor);
    options.SetNameValue("BIGTIFF", "IF_SAFER");
    std::unique_ptr<GDALDataset> ds(
        driver->Create(file.c_str(), static_cast<int>(cols), static_cast<int>(rows), 1, type, options.List()));
    if (!ds) fail(path, "cannot create");
    double transform[6] = {origin_x + static_cast<double>(col0), 1.0, 0.0, origin_y - static_cast<double>(row0),
                           0.0, -1.0};
    const OGRSpatialReference srs = utm();
    if (ds->SetGeoTransform(transform) != CE_None || ds->SetSpatialRef(&srs) != CE_None)
        fail(path, "cannot georeference");
    return ds;
}

/// What a generated raster holds: the land cover, or one of the city's height layers.
enum class Layer { cover, building_height, canopy_height };

constexpr float height_nodata = -9999.0F;

/// Height in metres of cell (r, c) of the tile at global (col, row) whose class is `cls`, for
/// `layer`: a building's height is drawn once per lot (dense core 12–60 m, skewed low; elsewhere
/// 6–20 m), a canopy cell's follows the leaf noise (5–25 m), so crowns are rounded and tall
/// where the leaves are thick.
float height_of(Layer layer, std::uint8_t cls, const TileFields& f, int r, int c, const LotDraws& lot) {
    if (cls == cover::nodata) return height_nodata;
    const auto i = static_cast<std::size_t>(r * tile + c);
    if (layer == Layer::building_height) {
        if (cls != cover::building) return 0.0F;
        const double u = unit_hash(stream(16), lot.key, lot.lot);
        const bool core = f.district[i] < 0.33;
        return static_cast<float>(std::round((core ? 12.0 + 48.0 * u * u : 6.0 + 14.0 * u) * 10.0) / 10.0);
    }
    if (cls != cover::canopy) return 0.0F;
    const double leaf = std::clamp(f.leaf[i], 0.0, 1.0);
    return static_cast<float>(std::round((5.0 + 20.0 * leaf) * 10.0) / 10.0);
}

/// Fills `strip` (rows × cols Float32 cells, row-major) with `layer` over cells
/// [row0, row0 + rows) × [col0, col0 + cols).
void fill_height_strip(Layer layer, std::vector<float>& strip, std::int64_t row0, std::int64_t col0, std::int64_t rows,
                       std::int64_t cols) {
    fill_cells(strip, row0, col0, rows, cols,
               [layer](std::uint8_t cls, const TileFields& fields, int r, int c, const LotDraws& lot_draws) {
                   return height_of(layer, cls, fields, r, c, lot_draws);
               });
}

/// Writes cells [row0, row0 + rows) × [col0, col0 + cols) of `layer` as a tiled DEFLATE GeoTIFF
/// (Byte classes, or Float32 metres with the floating-point predictor).
void write_geotiff(const std::string& path, std::int64_t row0, std::int64_t col0, std::int64_t rows,
                   std::int64_t cols, Layer layer = Layer::cover) {
    const bool heights = layer != Layer::cover;
    auto ds = create_geotiff(path, path, rows, cols, heights ? GDT_Float32 : GDT_Byte, row0, col0, heights ? "3" : nullptr);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetNoDataValue(heights ? height_nodata : cover::nodata);
    if (heights) band->SetUnitType("m");
    std::vector<std::uint8_t> strip;
    std::vector<float> height_strip;
    for (std::int64_t r = 0; r < rows; r += tile) {
        const std::int64_t height = std::min<std::int64_t>(tile, rows - r);
        void* values = nullptr;
        if (heights) {
            height_strip.assign(static_cast<std::size_t>(height * cols), 0.0F);
            fill_height_strip(layer, height_strip, row0 + r, col0, height, cols);
            values = height_strip.data();
        } else {
            strip.assign(static_cast<std::size_t>(height * cols), 0);
            fill_strip(strip, row0 + r, col0, height, cols);
            values = strip.data();
        }
        if (band->RasterIO(GF_Write, 0, static_cast<int>(r), static_cast<int>(cols), static_cast<int>(height), values,
                           static_cast<int>(cols), static_cast<int>(height), heights ? GDT_Float32 : GDT_Byte, 0, 0,
                           nullptr) != CE_None)
            fail(path, "cannot write");
    }
    CPLErrorReset();
    ds.reset();
    if (CPLGetLastErrorType() >= CE_Failure) fail(path, "cannot finish writing");
}

// ---- the 100,000² mosaic -------------------------------------------------------------------

/// SIZE × SIZE cells as TILE × TILE GeoTIFFs in OUT_tiles/ and a VRT over them. The first
/// `distinct` tiles (row-major) are generated; the others are hard links to them (copies
/// where links are not possible), under their own names, so that GDAL opens and decodes
/// every tile of the mosaic as a file of its own while generation stays within minutes.
void write_mosaic(std::int64_t size, std::int64_t tile_size, const fs::path& vrt, std::int64_t distinct,
                  Layer layer = Layer::cover) {
    const fs::path folder = vrt.parent_path() / (vrt.stem().string() + "_tiles");
    fs::create_directories(folder);
    const std::int64_t per_side = (size + tile_size - 1) / tile_size;
    const std::int64_t tiles = per_side * per_side;
    distinct = std::min(distinct, tiles);
    std::vector<std::string> names;
    for (std::int64_t i = 0; i < per_side; ++i) {
        for (std::int64_t j = 0; j < per_side; ++j) {
            char name[64];
            std::snprintf(name, sizeof name, "tile_%03lld_%03lld.tif", static_cast<long long>(i),
                          static_cast<long long>(j));
            names.push_back((folder / name).string());
        }
    }
    // A tile that is not generated repeats one that is, and must have its size.
    const auto size_of = [&](std::int64_t k) {
        return std::make_pair(std::min(tile_size, size - (k / per_side) * tile_size),
                              std::min(tile_size, size - (k % per_side) * tile_size));
    };
    // One tile file per thread: each file's compression is serial, so files go in parallel.
    int done = 0;
    std::string error;
#pragma omp parallel for schedule(dynamic, 1)
    for (std::int64_t k = 0; k < tiles; ++k) {
        const fs::path path = names[static_cast<std::size_t>(k)];
        if (fs::exists(path)) continue;  // resumable: a tile is renamed into place when complete
        const fs::path partial = path.string() + ".partial.tif";
        const std::int64_t i = k / per_side, j = k % per_side;
        try {
            const std::int64_t twin = (k + 3 * i) % distinct;  // shifted row by row
            if (k < distinct || size_of(twin) != size_of(k)) {
                write_geotiff(partial.string(), i * tile_size, j * tile_size, size_of(k).first, size_of(k).second, layer);
            } else {
                // Its twin may still be in the making on another thread.
                while (!fs::exists(names[static_cast<std::size_t>(twin)])) {
                    bool failed = false;
#pragma omp critical
                    failed = !error.empty();
                    if (failed) throw std::runtime_error("tile " + names[static_cast<std::size_t>(twin)] + " failed");
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                }
                std::error_code linked;
                fs::create_hard_link(names[static_cast<std::size_t>(twin)], partial, linked);
                if (linked) fs::copy_file(names[static_cast<std::size_t>(twin)], partial);
            }
            fs::rename(partial, path);
        } catch (const std::exception& e) {
#pragma omp critical
            error = e.what();
        }
#pragma omp critical
        std::fprintf(stderr, "\r  tile %d of %lld", ++done, static_cast<long long>(tiles));
    }
    if (!error.empty()) throw std::runtime_error(error);
    std::fprintf(stderr, "\n");
    // The VRT places every tile by its row and column, not by its georeferencing (a repeated
    // tile carries its twin's). Tiles do not overlap, so they are SimpleSources: given a
    // NODATA to composite with (what gdalbuildvrt writes for tiles that have a nodata value),
    // GDAL 3.6 reads a ComplexSource cell by cell in floating point, thirty times slower.
    const OGRSpatialReference srs = utm();
    char* wkt = nullptr;
    srs.exportToWkt(&wkt);
    std::string xml = "<VRTDataset rasterXSize=\"" + std::to_string(size) + "\" rasterYSize=\"" + std::to_string(size) +
                      "\">\n  <SRS dataAxisToSRSAxisMapping=\"1,2\">" + CPLString(wkt).replaceAll("\"", "&quot;") +
                      "</SRS>\n";
    CPLFree(wkt);
    char transform[160];
    std::snprintf(transform, sizeof transform, "  <GeoTransform>%.3f, 1, 0, %.3f, 0, -1</GeoTransform>\n", origin_x,
                  origin_y);
    xml += transform;
    const bool heights = layer != Layer::cover;
    const char* type_name = heights ? "Float32" : "Byte";
    xml += std::string("  <VRTRasterBand dataType=\"") + type_name + "\" band=\"1\">\n    <NoDataValue>" +
           (heights ? "-9999" : "0") + "</NoDataValue>\n" + (heights ? "    <UnitType>m</UnitType>\n" : "");
    for (std::int64_t k = 0; k < tiles; ++k) {
        const auto [rows, cols] = size_of(k);
        const std::string file =
            (fs::path(vrt.stem().string() + "_tiles") / fs::path(names[static_cast<std::size_t>(k)]).filename()).string();
        char source[1024];
        std::snprintf(source, sizeof source,
                      "    <SimpleSource>\n"
                      "      <SourceFilename relativeToVRT=\"1\">%s</SourceFilename>\n"
                      "      <SourceBand>1</SourceBand>\n"
                      "      <SourceProperties RasterXSize=\"%lld\" RasterYSize=\"%lld\" DataType=\"%s\" "
                      "BlockXSize=\"256\" BlockYSize=\"256\" />\n"
                      "      <SrcRect xOff=\"0\" yOff=\"0\" xSize=\"%lld\" ySize=\"%lld\" />\n"
                      "      <DstRect xOff=\"%lld\" yOff=\"%lld\" xSize=\"%lld\" ySize=\"%lld\" />\n"
                      "    </SimpleSource>\n",
                      file.c_str(), static_cast<long long>(cols), static_cast<long long>(rows), type_name,
                      static_cast<long long>(cols), static_cast<long long>(rows),
                      static_cast<long long>((k % per_side) * tile_size), static_cast<long long>((k / per_side) * tile_size),
                      static_cast<long long>(cols), static_cast<long long>(rows));
        xml += source;
    }
    xml += "  </VRTRasterBand>\n</VRTDataset>\n";
    const std::string partial = vrt.string() + ".partial";
    std::FILE* file = std::fopen(partial.c_str(), "wb");
    if (!file) fail(partial, "cannot create");
    const bool written = std::fwrite(xml.data(), 1, xml.size(), file) == xml.size();
    if (std::fclose(file) != 0 || !written) fail(partial, "cannot write");
    fs::rename(partial, vrt);
}

// ---- census blocks -------------------------------------------------------------------------

struct Pt {
    double x;
    double y;
};

/// A lattice of (rows + 1) × (cols + 1) jittered corners; corners on the extent's edge stay on it.
class BlockLattice {
public:
    BlockLattice(double size, int rows, int cols) : m_size(size), m_rows(rows), m_cols(cols) {}

    Pt corner(int i, int j) const {
        const double dx = m_size / m_cols, dy = m_size / m_rows;
        double x = j * dx, y = i * dy;
        if (j > 0 && j < m_cols) x += (unit_hash(stream(20), i, j) - 0.5) * 0.5 * dx;
        if (i > 0 && i < m_rows) y += (unit_hash(stream(21), i, j) - 0.5) * 0.5 * dy;
        return {x, y};  // x east of the west edge, y south of the north edge
    }

    /// The vertices strictly between the edge's two corners, from `a` to `b`. An edge on the
    /// extent's edge stays straight; an inner one wiggles, the same for both blocks sharing it.
    std::vector<Pt> inner_vertices(int i0, int j0, int i1, int j1) const {
        const Pt a = corner(i0, j0), b = corner(i1, j1);
        const bool horizontal = i0 == i1;
        const bool on_edge = horizontal ? (i0 == 0 || i0 == m_rows) : (j0 == 0 || j0 == m_cols);
        const std::int64_t key = (static_cast<std::int64_t>(i0) * 100003 + j0) * 2 + (horizontal ? 1 : 0);
        const int count = 2 + static_cast<int>(unit_hash(stream(22), key, 0) * 11);
        const double length = std::hypot(b.x - a.x, b.y - a.y);
        const double nx = -(b.y - a.y) / length, ny = (b.x - a.x) / length;
        std::vector<Pt> out;
        for (int k = 1; k <= count; ++k) {
            const double t = (k + 0.6 * (unit_hash(stream(23), key, k) - 0.5)) / (count + 1);
            const double bend = on_edge ? 0.0 : 0.07 * length * (unit_hash(stream(24), key, k) - 0.5) * 4 * t * (1 - t);
            out.push_back({a.x + t * (b.x - a.x) + bend * nx, a.y + t * (b.y - a.y) + bend * ny});
        }
        return out;
    }

    /// The ring of block (i, j), counter-clockwise on the map, first vertex not repeated.
    std::vector<Pt> ring(int i, int j) const {
        std::vector<Pt> out;
        const auto walk = [&](int i0, int j0, int i1, int j1) {
            // Shared edges are generated from their lower-index corner, then reversed as needed.
            const bool forward = i0 < i1 || j0 < j1;
            std::vector<Pt> inner = forward ? inner_vertices(i0, j0, i1, j1) : inner_vertices(i1, j1, i0, j0);
            if (!forward) std::reverse(inner.begin(), inner.end());
            out.push_back(corner(i0, j0));
            out.insert(out.end(), inner.begin(), inner.end());
        };
        // y grows southwards here, so west → south → east → north is counter-clockwise on a map.
        walk(i, j, i + 1, j);
        walk(i + 1, j, i + 1, j + 1);
        walk(i + 1, j + 1, i, j + 1);
        walk(i, j + 1, i, j);
        return out;
    }

private:
    double m_size;
    int m_rows;
    int m_cols;
};

/// rows × cols = count with rows ≤ cols as close to square as count allows.
std::pair<int, int> lattice_shape(int count) {
    int rows = static_cast<int>(std::floor(std::sqrt(static_cast<double>(count))));
    while (count % rows != 0) --rows;
    return {rows, count / rows};
}

void write_polygons(std::int64_t size, int count, const std::string& path) {
    const auto [rows, cols] = lattice_shape(count);
    const BlockLattice lattice(static_cast<double>(size), rows, cols);
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (!driver) fail(path, "the GPKG driver is missing");
    const std::string partial = path + ".partial.gpkg";
    VSIUnlink(partial.c_str());
    std::unique_ptr<GDALDataset> ds(driver->Create(partial.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) fail(path, "cannot create");
    OGRSpatialReference nad83;
    if (nad83.importFromEPSG(4269) != OGRERR_NONE) fail("EPSG:4269", "unknown CRS");
    nad83.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    const OGRSpatialReference source = utm();
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&source, &nad83));
    if (!ct) fail(path, "cannot transform EPSG:32618 to EPSG:4269");
    CPLStringList options;
    options.SetNameValue("FID", "fid");
    options.SetNameValue("GEOMETRY_NAME", "geom");
    OGRLayer* layer = ds->CreateLayer("blocks", &nad83, wkbPolygon, options.List());
    if (!layer) fail(path, "cannot create the layer");
    OGRFieldDefn id("id", OFTString);
    OGRFieldDefn population("population", OFTInteger);
    OGRFieldDefn population_moe("population_moe", OFTInteger);  // an ACS-like 90 % margin of error
    if (layer->CreateField(&id) != OGRERR_NONE || layer->CreateField(&population) != OGRERR_NONE ||
        layer->CreateField(&population_moe) != OGRERR_NONE)
        fail(path, "cannot create the fields");
    if (ds->StartTransaction() != OGRERR_NONE) fail(path, "cannot start a transaction");
    std::vector<double> xs, ys;
    for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) {
            const std::vector<Pt> ring = lattice.ring(i, j);
            xs.clear();
            ys.clear();
            for (const Pt& p : ring) {
                // Centimetres, so a shared vertex has one value however it was reached.
                xs.push_back(origin_x + std::round(p.x * 100.0) / 100.0);
                ys.push_back(origin_y - std::round(p.y * 100.0) / 100.0);
            }
            xs.push_back(xs.front());
            ys.push_back(ys.front());
            if (!ct->Transform(xs.size(), xs.data(), ys.data())) fail(path, "cannot transform a ring");
            OGRLinearRing linear;
            for (std::size_t k = 0; k < xs.size(); ++k) linear.addPoint(xs[k], ys[k]);
            OGRPolygon polygon;
            polygon.addRing(&linear);
            OGRFeature feature(layer->GetLayerDefn());
            char name[32];
            std::snprintf(name, sizeof name, "B%06d", i * cols + j);
            feature.SetField("id", name);
            const double h = unit_hash(stream(30), i, j);
            const int people = h < 0.05 ? 0 : static_cast<int>(20 + 2500 * h * h);
            feature.SetField("population", people);
            feature.SetField("population_moe", 30 + people / 5);
            feature.SetGeometry(&polygon);
            if (layer->CreateFeature(&feature) != OGRERR_NONE) fail(path, "cannot write a feature");
        }
    }
    if (ds->CommitTransaction() != OGRERR_NONE) fail(path, "cannot commit");
    ds.reset();
    if (VSIRename(partial.c_str(), path.c_str()) != 0) fail(path, "cannot rename the finished file into place");
}

// ---- street grid and destinations for walks ---------------------------------------------------

/// The street grid: junction (i, j) sits near (i·spacing, j·spacing) metres from the north-west
/// corner, jittered by up to ±15 % of the spacing inside the extent (junctions on the edge stay on it).
class StreetGrid {
public:
    StreetGrid(double size, double spacing)
        : m_size(size), m_spacing(spacing), m_n(static_cast<std::int64_t>(std::floor(size / spacing))) {}

    std::int64_t junctions_per_side() const { return m_n + 1; }

    /// Centimetres, so a junction has one value whichever link reaches it.
    Pt junction(std::int64_t i, std::int64_t j) const {
        const double x = i == m_n ? m_size : static_cast<double>(i) * m_spacing;
        const double y = j == m_n ? m_size : static_cast<double>(j) * m_spacing;
        const double jx = (i == 0 || i == m_n) ? 0.0 : (unit_hash(stream(20), i, j) - 0.5) * 0.3 * m_spacing;
        const double jy = (j == 0 || j == m_n) ? 0.0 : (unit_hash(stream(21), i, j) - 0.5) * 0.3 * m_spacing;
        return {std::round((x + jx) * 100.0) / 100.0, std::round((y + jy) * 100.0) / 100.0};
    }

    /// The link from (i, j) east (direction 0), south (1) or south-east (2), if the grid has it.
    bool has_link(std::int64_t i, std::int64_t j, int direction) const {
        if ((direction != 1 && i >= m_n) || (direction != 0 && j >= m_n)) return false;
        if (direction == 2) return unit_hash(stream(23), i, j) < 0.03;
        return unit_hash(stream(22), i * 2 + direction, j) >= 0.04;
    }

    Pt far_end(std::int64_t i, std::int64_t j, int direction) const {
        return junction(i + (direction == 1 ? 0 : 1), j + (direction == 0 ? 0 : 1));
    }

private:
    double m_size;
    double m_spacing;
    std::int64_t m_n;
};

/// An empty GeoPackage layer in EPSG:32618, written to PATH.partial.gpkg until `finish_gpkg`.
std::unique_ptr<GDALDataset> create_gpkg(const std::string& path, const char* layer_name, OGRwkbGeometryType type,
                                         OGRLayer*& layer) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (!driver) fail(path, "the GPKG driver is missing");
    const std::string partial = path + ".partial.gpkg";
    VSIUnlink(partial.c_str());
    std::unique_ptr<GDALDataset> ds(driver->Create(partial.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) fail(path, "cannot create");
    OGRSpatialReference srs = utm();
    CPLStringList options;
    options.SetNameValue("FID", "fid");
    options.SetNameValue("GEOMETRY_NAME", "geom");
    layer = ds->CreateLayer(layer_name, &srs, type, options.List());
    if (!layer) fail(path, "cannot create the layer");
    return ds;
}

void finish_gpkg(std::unique_ptr<GDALDataset> ds, const std::string& path) {
    if (ds->CommitTransaction() != OGRERR_NONE) fail(path, "cannot commit");
    ds.reset();
    const std::string partial = path + ".partial.gpkg";
    if (VSIRename(partial.c_str(), path.c_str()) != 0) fail(path, "cannot rename the finished file into place");
}

void write_streets(std::int64_t size, double spacing, const std::string& path) {
    const StreetGrid grid(static_cast<double>(size), spacing);
    OGRLayer* layer = nullptr;
    std::unique_ptr<GDALDataset> ds = create_gpkg(path, "streets", wkbLineString, layer);
    OGRFieldDefn id("street_id", OFTInteger);
    if (layer->CreateField(&id) != OGRERR_NONE) fail(path, "cannot create the fields");
    if (ds->StartTransaction() != OGRERR_NONE) fail(path, "cannot start a transaction");
    int next_id = 0;
    const std::int64_t n = grid.junctions_per_side();
    for (std::int64_t j = 0; j < n; ++j) {
        for (std::int64_t i = 0; i < n; ++i) {
            for (int direction = 0; direction < 3; ++direction) {
                if (!grid.has_link(i, j, direction)) continue;
                const Pt a = grid.junction(i, j);
                const Pt b = grid.far_end(i, j, direction);
                OGRLineString line;
                line.addPoint(origin_x + a.x, origin_y - a.y);
                line.addPoint(origin_x + b.x, origin_y - b.y);
                OGRFeature feature(layer->GetLayerDefn());
                feature.SetField("street_id", ++next_id);
                feature.SetGeometry(&line);
                if (layer->CreateFeature(&feature) != OGRERR_NONE) fail(path, "cannot write a feature");
            }
        }
    }
    finish_gpkg(std::move(ds), path);
    std::printf("%s: %d street links\n", path.c_str(), next_id);
}

void write_destinations(std::int64_t size, int count, double spacing, const std::string& path) {
    const StreetGrid grid(static_cast<double>(size), spacing);
    OGRLayer* layer = nullptr;
    std::unique_ptr<GDALDataset> ds = create_gpkg(path, "destinations", wkbPoint, layer);
    OGRFieldDefn kind("kind", OFTString);
    if (layer->CreateField(&kind) != OGRERR_NONE) fail(path, "cannot create the fields");
    if (ds->StartTransaction() != OGRERR_NONE) fail(path, "cannot start a transaction");
    const std::int64_t n = grid.junctions_per_side();
    int written = 0;
    // Draw a junction and a direction until the link exists, then a point beside it.
    for (std::int64_t draw = 0; written < count; ++draw) {
        const auto i = static_cast<std::int64_t>(unit_hash(stream(24), draw, 0) * static_cast<double>(n));
        const auto j = static_cast<std::int64_t>(unit_hash(stream(24), draw, 1) * static_cast<double>(n));
        const int direction = unit_hash(stream(24), draw, 2) < 0.5 ? 0 : 1;
        if (!grid.has_link(i, j, direction)) continue;
        const Pt a = grid.junction(i, j);
        const Pt b = grid.far_end(i, j, direction);
        const double t = 0.1 + 0.8 * unit_hash(stream(25), draw, 0);
        const double side = (unit_hash(stream(25), draw, 1) - 0.5) * 8.0;  // up to 4 m either side
        const double dx = b.x - a.x, dy = b.y - a.y;
        const double length = std::sqrt(dx * dx + dy * dy);
        const double x = a.x + t * dx - side * dy / length;
        const double y = a.y + t * dy + side * dx / length;
        const double k = unit_hash(stream(25), draw, 2);
        OGRPoint point(origin_x + std::round(x * 100.0) / 100.0, origin_y - std::round(y * 100.0) / 100.0);
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("kind", k < 0.10 ? "school" : k < 0.25 ? "park" : "bus_stop");
        feature.SetGeometry(&point);
        if (layer->CreateFeature(&feature) != OGRERR_NONE) fail(path, "cannot write a feature");
        ++written;
    }
    finish_gpkg(std::move(ds), path);
}

/// Shade fraction of one cell from its land-cover class and the leaf noise: trees and roofs
/// shade most, open ground least, leafier places more; in steps of 1/64.
float shade_of(std::uint8_t cls, double leaf) {
    double base = 0.0;
    switch (cls) {
        case cover::canopy: base = 0.85; break;
        case cover::building: base = 0.55; break;
        case cover::grass: base = 0.20; break;
        case cover::road: base = 0.15; break;
        case cover::parking: base = 0.10; break;
        case cover::bare: base = 0.08; break;
        case cover::water: base = 0.05; break;
        default: base = 0.0; break;
    }
    const double value = std::clamp(base + 0.4 * (leaf - 0.5), 0.0, 1.0);
    return static_cast<float>(std::round(value * 64.0) / 64.0);
}

void write_shade(std::int64_t size, const std::string& path) {
    const std::string partial = path + ".partial.tif";
    auto ds = create_geotiff(partial, path, size, size, GDT_Float32, 0, 0, "3");
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetDescription("shade fraction");
    std::vector<float> strip;
    const std::int64_t tiles_across = (size + tile - 1) / tile;
    for (std::int64_t row0 = 0; row0 < size; row0 += tile) {
        const std::int64_t rows = std::min<std::int64_t>(tile, size - row0);
        strip.assign(static_cast<std::size_t>(rows * size), 0.0f);
#pragma omp parallel
        {
            TileFields fields;
#pragma omp for schedule(dynamic, 1)
            for (std::int64_t t = 0; t < tiles_across; ++t) {
                const std::int64_t col0 = t * tile;
                fields.compute(col0, row0);
                const std::int64_t width = std::min<std::int64_t>(tile, size - col0);
                for (int r = 0; r < rows; ++r) {
                    LotDraws lot_draws;
                    for (int c = 0; c < width; ++c) {
                        const std::uint8_t cls = classify(fields, r, c, col0 + c, row0 + r, lot_draws);
                        strip[static_cast<std::size_t>(r * size + col0 + c)] =
                            shade_of(cls, fields.leaf[static_cast<std::size_t>(r * tile + c)]);
                    }
                }
            }
        }
        if (band->RasterIO(GF_Write, 0, static_cast<int>(row0), static_cast<int>(size), static_cast<int>(rows),
                           strip.data(), static_cast<int>(size), static_cast<int>(rows), GDT_Float32, 0, 0,
                           nullptr) != CE_None)
            fail(path, "cannot write");
    }
    CPLErrorReset();
    ds.reset();
    if (CPLGetLastErrorType() >= CE_Failure) fail(path, "cannot finish writing");
    if (VSIRename(partial.c_str(), path.c_str()) != 0) fail(path, "cannot rename the finished file into place");
}

std::int64_t parse_count(const char* text, const char* what) {
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    if (end == text || *end != '\0' || value <= 0) throw std::invalid_argument(std::string(what) + ": '" + text + "' is not a positive count");
    return value;
}

int usage() {
    std::fprintf(stderr,
                 "usage: shadegap_bench_generate raster SIZE OUT.tif\n"
                 "       shadegap_bench_generate mosaic SIZE TILE OUT.vrt [DISTINCT]\n"
                 "       shadegap_bench_generate polygons SIZE COUNT OUT.gpkg\n"
                 "       shadegap_bench_generate streets SIZE SPACING OUT.gpkg\n"
                 "       shadegap_bench_generate destinations SIZE COUNT OUT.gpkg [SPACING]\n"
                 "       shadegap_bench_generate heights SIZE OUT_DIR\n"
                 "       shadegap_bench_generate heights-mosaic SIZE TILE OUT_DIR [DISTINCT]\n"
                 "       shadegap_bench_generate shade SIZE OUT.tif\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    GDALAllRegister();
    CPLSetConfigOption("GDAL_CACHEMAX", "256");
    try {
        const std::string command = argc > 1 ? argv[1] : "";
        if (command == "raster" && argc == 4) {
            const std::int64_t size = parse_count(argv[2], "SIZE");
            const std::string partial = std::string(argv[3]) + ".partial.tif";
            write_geotiff(partial, 0, 0, size, size);
            fs::rename(partial, argv[3]);
        } else if (command == "mosaic" && (argc == 5 || argc == 6)) {
            write_mosaic(parse_count(argv[2], "SIZE"), parse_count(argv[3], "TILE"), argv[4],
                         argc == 6 ? parse_count(argv[5], "DISTINCT") : 10);
        } else if (command == "polygons" && argc == 5) {
            write_polygons(parse_count(argv[2], "SIZE"), static_cast<int>(parse_count(argv[3], "COUNT")), argv[4]);
        } else if (command == "streets" && argc == 5) {
            write_streets(parse_count(argv[2], "SIZE"), static_cast<double>(parse_count(argv[3], "SPACING")), argv[4]);
        } else if (command == "destinations" && (argc == 5 || argc == 6)) {
            write_destinations(parse_count(argv[2], "SIZE"), static_cast<int>(parse_count(argv[3], "COUNT")),
                               argc == 6 ? static_cast<double>(parse_count(argv[5], "SPACING")) : 45.0, argv[4]);
        } else if (command == "heights" && argc == 4) {
            const std::int64_t size = parse_count(argv[2], "SIZE");
            fs::create_directories(argv[3]);
            for (const Layer layer : {Layer::building_height, Layer::canopy_height}) {
                const std::string path = (fs::path(argv[3]) / (layer == Layer::building_height ? "building_height.tif"
                                                                                                 : "canopy_height.tif")).string();
                if (fs::exists(path)) continue;
                write_geotiff(path + ".partial.tif", 0, 0, size, size, layer);
                fs::rename(path + ".partial.tif", path);
            }
        } else if (command == "heights-mosaic" && (argc == 5 || argc == 6)) {
            fs::create_directories(argv[4]);
            for (const Layer layer : {Layer::building_height, Layer::canopy_height})
                write_mosaic(parse_count(argv[2], "SIZE"), parse_count(argv[3], "TILE"),
                             fs::path(argv[4]) / (layer == Layer::building_height ? "building_height.vrt" : "canopy_height.vrt"),
                             argc == 6 ? parse_count(argv[5], "DISTINCT") : 10, layer);
        } else if (command == "shade" && argc == 4) {
            write_shade(parse_count(argv[2], "SIZE"), argv[3]);
        } else {
            return usage();
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "shadegap_bench_generate: error: %s\n", error.what());
        return 1;
    }
    return 0;
}
