// Zonal sums against hand computation, a non-blocked computation, and across thread counts.
// SPDX-License-Identifier: MIT
#include "shadegap/coverage.hpp"
#include "shadegap/error.hpp"
#include "shadegap/overlay.hpp"

#include <catch2/catch.hpp>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;

/// Writes a single-band GeoTIFF (row-major values) made by the test; removes it on exit.
class TestRaster {
public:
    TestRaster(std::string path, const Grid& grid, const std::string& crs, GDALDataType type,
               std::optional<double> nodata, std::vector<double> values, int block_size = 0)
        : m_path(std::move(path)) {
        GDALAllRegister();
        const std::string block = std::to_string(block_size);
        const std::string x_option = "BLOCKXSIZE=" + block, y_option = "BLOCKYSIZE=" + block;
        std::vector<const char*> options;
        if (block_size > 0) options = {"TILED=YES", x_option.c_str(), y_option.c_str()};
        options.push_back(nullptr);
        GDALDatasetH dataset =
            GDALCreate(GDALGetDriverByName("GTiff"), m_path.c_str(), static_cast<int>(grid.cols),
                       static_cast<int>(grid.rows), 1, type, const_cast<char**>(options.data()));
        REQUIRE(dataset != nullptr);
        double gt[6] = {grid.x_min, grid.cell_width, 0, grid.y_max, 0, -grid.cell_height};
        GDALSetGeoTransform(dataset, gt);
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        REQUIRE(OSRSetFromUserInput(srs, crs.c_str()) == OGRERR_NONE);
        GDALSetSpatialRef(dataset, srs);
        OSRRelease(srs);
        GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
        if (nodata) GDALSetRasterNoDataValue(band, *nodata);
        REQUIRE(GDALRasterIO(band, GF_Write, 0, 0, static_cast<int>(grid.cols), static_cast<int>(grid.rows),
                             values.data(), static_cast<int>(grid.cols), static_cast<int>(grid.rows), GDT_Float64, 0,
                             0) == CE_None);
        GDALClose(dataset);
    }
    ~TestRaster() { VSIUnlink(m_path.c_str()); }
    TestRaster(const TestRaster&) = delete;
    TestRaster& operator=(const TestRaster&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

Ring rectangle(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

std::string describe(const ZoneSums& s) {
    std::ostringstream out;
    out.precision(17);
    out << "valid " << s.valid_m2 << ", canopy " << s.canopy_m2 << ", water " << s.water_m2 << ", nodata "
        << s.nodata_m2 << ", covered " << s.covered_m2;
    return out.str();
}

bool close(double expected, double actual, double relative) {
    return std::abs(actual - expected) <= relative * std::max(1.0, std::abs(expected));
}

/// Requires each zone's sums within `relative` (0: the same bits), printing both on failure.
void require_sums(const std::vector<ZoneSums>& expected, const std::vector<ZoneSums>& actual, double relative) {
    REQUIRE(expected.size() == actual.size());
    int mismatches = 0;
    for (std::size_t z = 0; z < expected.size(); ++z) {
        const ZoneSums& e = expected[z];
        const ZoneSums& a = actual[z];
        const bool same = relative == 0
                              ? (e.valid_m2 == a.valid_m2 && e.canopy_m2 == a.canopy_m2 && e.water_m2 == a.water_m2 &&
                                 e.nodata_m2 == a.nodata_m2 && e.covered_m2 == a.covered_m2)
                              : (close(e.valid_m2, a.valid_m2, relative) && close(e.canopy_m2, a.canopy_m2, relative) &&
                                 close(e.water_m2, a.water_m2, relative) && close(e.nodata_m2, a.nodata_m2, relative) &&
                                 close(e.covered_m2, a.covered_m2, relative));
        if (!same && ++mismatches <= 5) {
            INFO("zone " << z << "\n  expected " << describe(e) << "\n  actual   " << describe(a));
            CHECK(same);
        }
    }
    CHECK(mismatches == 0);
}

/// A random star-shaped polygon (one vertex per jittered sector), sometimes with a hole.
Polygon random_star(std::mt19937_64& rng, double cx, double cy, double max_radius) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int n = 3 + static_cast<int>(unit(rng) * 30);
    const double phase = 2 * pi * unit(rng);
    Polygon polygon;
    double min_radius = max_radius;
    for (int i = 0; i < n; ++i) {
        const double angle = phase + (i + 0.5 * unit(rng)) * 2 * pi / n;
        const double radius = max_radius * (0.2 + 0.8 * unit(rng));
        min_radius = std::min(min_radius, radius);
        polygon.shell.push_back({cx + radius * std::cos(angle), cy + radius * std::sin(angle)});
    }
    if (n >= 6 && unit(rng) < 0.3) {
        // Gaps are below 1.5·2π/n ≤ π/2, so the shell keeps min_radius·cos(π/4) ≈ 0.71·min_radius
        // from the centre; the square hole's corners reach 0.4·√2 ≈ 0.57 of it.
        const double r = 0.4 * min_radius;
        polygon.holes.push_back({{cx - r, cy - r}, {cx - r, cy + r}, {cx + r, cy + r}, {cx + r, cy - r}});
    }
    return polygon;
}

/// Calls visit(z, i, a) for each zone z and each cell i (row-major) of `grid` it covers, with
/// a its covered area (coverage fraction × cell_m2): the coverage of each zone on its full
/// window, independent of the overlay's blocks.
void for_each_covered_cell(const Grid& grid, const std::vector<MultiPolygon>& zones, double cell_m2,
                           const std::function<void(std::size_t, std::size_t, double)>& visit) {
    for (std::size_t z = 0; z < zones.size(); ++z) {
        const Box box = bounding_box(zones[z]);
        const Window window = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
        if (window.empty()) continue;
        const CoverageMatrix coverage = compute_coverage(grid, window, zones[z]);
        for (std::int64_t r = window.row0; r < window.row0 + window.rows; ++r)
            for (std::int64_t c = window.col0; c < window.col0 + window.cols; ++c)
                visit(z, static_cast<std::size_t>(r * grid.cols + c), coverage.at(r, c) * cell_m2);
    }
}

/// Independent sums: the whole raster read at once, each zone's coverage on its full window.
std::vector<ZoneSums> direct_sums(const std::string& path, const std::vector<MultiPolygon>& zones,
                                  const CanopyKind& kind, const std::vector<double>& water, double cell_m2) {
    RasterSource source(path);
    const RasterInfo& info = source.info();
    std::vector<double> values;
    source.read(info.grid.full_window(), values);
    std::vector<ZoneSums> sums(zones.size());
    for_each_covered_cell(info.grid, zones, cell_m2, [&](std::size_t z, std::size_t i, double a) {
        const double v = values[i];
        sums[z].covered_m2 += a;
        if (std::isnan(v) || (info.nodata && v == *info.nodata)) {
            sums[z].nodata_m2 += a;
        } else if (std::find(water.begin(), water.end(), v) != water.end()) {
            sums[z].water_m2 += a;
        } else {
            sums[z].valid_m2 += a;
            sums[z].canopy_m2 += a * kind.canopy_of(v).value();
        }
    });
    return sums;
}

/// A land cover of `grid`, row by row: classes 0 to `max_class` drawn from `rng` for patches
/// of `patch_cols` × `patch_rows` cells, then each cell, with a chance of 5 %, another class
/// drawn on its own (single-cell speckle). `after_each_cell(i)`, when given, is called after
/// cell i's class is drawn, so a test can draw more from `rng` for each cell in turn.
std::vector<double> patches_with_speckle(std::mt19937_64& rng, const Grid& grid, int patch_cols, int patch_rows,
                                         int max_class,
                                         const std::function<void(std::size_t)>& after_each_cell = {}) {
    std::uniform_int_distribution<int> cls(0, max_class);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::int64_t patches_across = grid.cols / patch_cols + 1;
    std::vector<int> patch(static_cast<std::size_t>(patches_across * (grid.rows / patch_rows + 1)));
    for (int& p : patch) p = cls(rng);
    std::vector<double> values(static_cast<std::size_t>(grid.rows * grid.cols));
    for (std::int64_t r = 0; r < grid.rows; ++r) {
        for (std::int64_t c = 0; c < grid.cols; ++c) {
            const int v = patch[static_cast<std::size_t>((r / patch_rows) * patches_across + c / patch_cols)];
            const auto i = static_cast<std::size_t>(r * grid.cols + c);
            values[i] = unit(rng) < 0.05 ? cls(rng) : v;
            if (after_each_cell) after_each_cell(i);
        }
    }
    return values;
}

}  // namespace

TEST_CASE("zonal sums of a small raster match hand computation", "[overlay]") {
    // 4 × 3 cells of 10 m × 10 m; binary canopy, 255 nodata, 2 water.
    //   row 0:  1   0   1   1
    //   row 1:  0 255   2   1
    //   row 2:  1   1   0   2
    const Grid grid{1000, 2000, 10, 10, 4, 3};
    const TestRaster raster("/vsimem/shadegap_overlay_small.tif", grid, "EPSG:32618", GDT_Byte, 255.0,
                            {1, 0, 1, 1, 0, 255, 2, 1, 1, 1, 0, 2});
    const std::vector<MultiPolygon> zones{
        {{rectangle(1000, 1970, 1040, 2000), {}}},  // 0: the whole raster
        {{rectangle(1005, 1985, 1025, 2000), {}}},  // 1: half cells and quarter cells
        {{rectangle(2000, 2000, 2010, 2010), {}}},  // 2: outside
        {{rectangle(990, 1965, 1015, 1975), {}}},   // 3: reaching beyond the bottom-left corner
        {{rectangle(1000, 1970, 1040, 2000), {rectangle(1010, 1980, 1030, 1990)}}},  // 4: a hole
        {{{{1000, 2000}, {1020, 2000}, {1000, 1980}}, {}}},                           // 5: a triangle
        {{rectangle(1030, 1990, 1040, 2000), {}}, {rectangle(1030, 1970, 1040, 1980), {}}},  // 6: two parts
        {},                                                                                  // 7: empty
    };
    const std::vector<ZoneSums> expected{
        // 9 valid cells of which 6 canopy, 2 water, 1 nodata.
        {900, 600, 200, 100, 1200},
        // Row 0: columns 0–2 at 1/2, 1, 1/2 on 1, 0, 1; row 1: 1/4, 1/2, 1/4 on 0, nodata, water.
        {225, 100, 25, 50, 300},
        {0, 0, 0, 0, 0},
        // Row 2: column 0 at 1/2 and column 1 at 1/4, both canopy; the rest is off the raster.
        {75, 75, 0, 0, 75},
        // The hole takes the nodata cell (1, 1) and the water cell (1, 2).
        {900, 600, 100, 0, 1000},
        // Cell (0, 0) whole (canopy), cells (0, 1) and (1, 0) halved (both 0).
        {200, 100, 0, 0, 200},
        // Cell (0, 3) is canopy, cell (2, 3) water.
        {100, 100, 100, 0, 200},
        {0, 0, 0, 0, 0},
    };
    OverlayOptions options;
    options.kind = CanopyKind::parse("binary");
    options.water_classes = {2};
    options.threads = GENERATE(1, 3);
    const int block = GENERATE(0, 1, 2);
    options.block_rows = block;
    options.block_cols = block;
    INFO("threads " << options.threads << ", block " << block);
    require_sums(expected, overlay_zones(raster.path(), zones, options), 1e-12);
}

TEST_CASE("geographic rasters weigh each row by its ellipsoidal cell area", "[overlay]") {
    // Percent canopy on 1° cells from 50° to 52° N; −1 is nodata.
    const Grid grid{10, 52, 1, 1, 3, 2};
    const TestRaster raster("/vsimem/shadegap_overlay_geographic.tif", grid, "EPSG:4326", GDT_Float32, -1.0,
                            {10, 50, 100, 0, 25, -1});
    // Each row's cell area by Simpson's rule on the WGS 84 surface element M·N·cos φ.
    const auto cell_area = [](double lat_bottom) {
        const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f);
        const auto element = [&](double phi) {
            const double w = 1 - e2 * std::sin(phi) * std::sin(phi);
            return a * a * (1 - e2) / (w * w) * std::cos(phi);
        };
        const int n = 1000;
        const double phi0 = lat_bottom * pi / 180, h = (pi / 180) / n;
        double sum = element(phi0) + element(phi0 + n * h);
        for (int i = 1; i < n; ++i) sum += element(phi0 + i * h) * (i % 2 == 1 ? 4 : 2);
        return sum * h / 3 * (pi / 180);
    };
    const double top_row = cell_area(51), bottom_row = cell_area(50);
    OverlayOptions options;
    options.kind = CanopyKind::parse("percent");
    const std::vector<MultiPolygon> zones{{{rectangle(10, 50, 13, 52), {}}}};
    const auto sums = overlay_zones(raster.path(), zones, options);
    const std::vector<ZoneSums> expected{{3 * top_row + 2 * bottom_row, 1.6 * top_row + 0.25 * bottom_row, 0,
                                          bottom_row, 3 * top_row + 3 * bottom_row}};
    require_sums(expected, sums, 1e-11);
}

TEST_CASE("the same bits for any thread count, and the same sums without blocks", "[overlay][determinism]") {
    // 600 × 500 cells of 2 m × 1.5 m with percent canopy, some nodata and some water (200).
    const Grid grid{440000, 4650000, 2, 1.5, 600, 500};
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::vector<double> values(static_cast<std::size_t>(grid.rows * grid.cols));
    for (double& v : values) {
        const double u = unit(rng);
        v = u < 0.03 ? -9999 : u < 0.06 ? 200 : std::round(unit(rng) * 1000) / 10;
    }
    const TestRaster raster("/vsimem/shadegap_overlay_threads.tif", grid, "EPSG:26918", GDT_Float32, -9999.0,
                            values, 64);
    std::vector<MultiPolygon> zones;
    for (int i = 0; i < 100; ++i) {
        const double cx = grid.x_min - 50 + unit(rng) * (grid.x_max() - grid.x_min + 100);
        const double cy = grid.y_min() - 50 + unit(rng) * (grid.y_max - grid.y_min() + 100);
        zones.push_back({random_star(rng, cx, cy, 10 + unit(rng) * 200)});
    }

    OverlayOptions options;
    options.kind = CanopyKind::parse("percent");
    options.water_classes = {200};
    options.block_rows = 32;
    options.block_cols = 32;
    options.threads = 1;
    const auto one_thread = overlay_zones(raster.path(), zones, options);

    options.threads = GENERATE(1, 2, 3, 4, 8);
    INFO("threads " << options.threads);
    const auto threaded = overlay_zones(raster.path(), zones, options);
    require_sums(one_thread, threaded, 0);

    // One block holding the whole raster, then an independent sum over the whole raster
    // read at once; the order of additions differs, so they agree to rounding only.
    options.block_rows = 1 << 20;
    options.block_cols = 1 << 20;
    require_sums(overlay_zones(raster.path(), zones, options), threaded, 1e-9);
    require_sums(direct_sums(raster.path(), zones, options.kind, options.water_classes, 3.0), threaded, 1e-9);

    // A zone wholly inside the raster covers exactly its planar area.
    int inside = 0;
    for (std::size_t z = 0; z < zones.size(); ++z) {
        const Box box = bounding_box(zones[z]);
        if (box.x_min < grid.x_min || box.x_max > grid.x_max() || box.y_min < grid.y_min() || box.y_max > grid.y_max)
            continue;
        ++inside;
        INFO("zone " << z);
        CHECK(threaded[z].covered_m2 == Approx(planar_area(zones[z])).epsilon(1e-12));
        CHECK(threaded[z].valid_m2 + threaded[z].water_m2 + threaded[z].nodata_m2 ==
              Approx(threaded[z].covered_m2).epsilon(1e-12));
    }
    CHECK(inside > 10);
}

TEST_CASE("Byte land cover: counted by class, right, and the same bits for any thread count",
          "[overlay][determinism]") {
    // 700 × 450 cells of 1 m: classes 1–7 in patches of 9 × 7 cells with single-cell speckle,
    // 0 nodata, 4 water. Byte rasters take a counting path of their own (per class, not per
    // cell), checked here against the independent sum and across thread counts.
    const Grid grid{383000, 4087000, 1, 1, 700, 450};
    std::mt19937_64 rng(1234);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::vector<double> values = patches_with_speckle(rng, grid, 9, 7, 7);
    const TestRaster raster("/vsimem/shadegap_overlay_bytes.tif", grid, "EPSG:32618", GDT_Byte, 0.0, values, 64);
    std::vector<MultiPolygon> zones;
    for (int i = 0; i < 80; ++i) {
        const double cx = grid.x_min - 30 + unit(rng) * (grid.x_max() - grid.x_min + 60);
        const double cy = grid.y_min() - 30 + unit(rng) * (grid.y_max - grid.y_min() + 60);
        zones.push_back({random_star(rng, cx, cy, 5 + unit(rng) * 150)});
    }
    // classes: few classes stand out (counted by comparison); percent: every value has its
    // own share (counted per value); min: most values are canopy.
    const std::string kind = GENERATE(as<std::string>{}, "classes=1", "classes=1,3,6", "min=5", "percent");
    // 64: the raster's own tiles, decoded straight into the block; 48: read across tiles.
    const int block = GENERATE(64, 48);
    OverlayOptions options;
    options.kind = CanopyKind::parse(kind);
    options.water_classes = {4};
    options.block_rows = block;
    options.block_cols = block;
    options.threads = 1;
    INFO("kind " << kind << ", block " << block);
    const auto one_thread = overlay_zones(raster.path(), zones, options);
    require_sums(direct_sums(raster.path(), zones, options.kind, options.water_classes, 1.0), one_thread, 1e-9);
    for (const int threads : {2, 3, 8}) {
        options.threads = threads;
        INFO("threads " << threads);
        require_sums(one_thread, overlay_zones(raster.path(), zones, options), 0);
    }
}

TEST_CASE("Byte land cover: vertices on cell corners, edges on cell and block lines", "[overlay]") {
    // Units are often digitised on whole metres over a raster of whole-metre cells: their
    // edges run along cell lines and block lines, diagonals pass through cell corners, and a
    // vertical edge on a column line meets a slanted edge inside the cell to its right.
    const Grid grid{500000, 4100000, 1, 1, 320, 256};
    std::mt19937_64 rng(77);
    std::uniform_int_distribution<int> cls(0, 7);
    std::vector<double> values(static_cast<std::size_t>(grid.rows * grid.cols));
    for (double& v : values) v = cls(rng);
    const TestRaster raster("/vsimem/shadegap_overlay_lattice.tif", grid, "EPSG:32618", GDT_Byte, 0.0, values, 64);
    // (u, v): cells right of and below the raster's top-left corner.
    const auto at = [&grid](double u, double v) { return Point{grid.x_min + u, grid.y_max - v}; };
    const auto box = [&at](double u0, double v0, double u1, double v1) {
        return MultiPolygon{{{at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)}, {}}};
    };
    std::vector<MultiPolygon> zones{
        box(64, 64, 192, 192),       // on the lines of 64-cell blocks
        box(48, 96, 240, 144),       // on the lines of 48-cell blocks
        box(0.5, 0.5, 319.5, 255.5),  // on half cells
        box(0, 0, 320, 256),          // the whole raster
        {{{at(3, 3), at(250, 3), at(3, 250)}, {}}},  // a diagonal through cell corners
    };
    // A sawtooth: each tooth rises on a column line, then falls to the right across the
    // cells beside it, in the same rows.
    Ring saw{at(10, 200)};
    for (int k = 0; k < 55; ++k) {
        const double u = 10 + 5 * k;
        saw.push_back(at(u, 120));
        saw.push_back(at(u, 120 - (3.3 + k % 4)));
    }
    saw.push_back(at(285, 120));
    saw.push_back(at(285, 200));
    zones.push_back({{saw, {}}});

    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1,3");
    options.water_classes = {4};
    options.block_rows = options.block_cols = GENERATE(64, 48);
    options.threads = GENERATE(1, 2);
    INFO("block " << options.block_rows << ", threads " << options.threads);
    const auto sums = overlay_zones(raster.path(), zones, options);
    require_sums(direct_sums(raster.path(), zones, options.kind, options.water_classes, 1.0), sums, 1e-9);
    for (std::size_t z = 0; z < zones.size(); ++z) {
        INFO("zone " << z);
        CHECK(sums[z].covered_m2 == Approx(planar_area(zones[z])).epsilon(1e-12));
    }
    CHECK(sums[3].covered_m2 == 320.0 * 256.0);
}

TEST_CASE("Byte counting: whole 256 × 256 blocks counted exactly, past the SIMD counters' 255 compares",
          "[overlay]") {
    // 512 × 512 cells of 1 m in four 256 × 256 tiles, in bands of 32 rows of one class: 1
    // (canopy) where the band's number mod 4 is 0, 2 (water) where it is 1, 3 (land without
    // canopy) otherwise. A tile's row is 16 SIMD compares of 16 cells, and in a canopy band
    // every lane of 512 compares in a row counts: the byte counters must be added up before
    // 255 compares, or they wrap.
    const Grid grid{383000, 4087000, 1, 1, 512, 512};
    std::vector<double> values(static_cast<std::size_t>(grid.rows * grid.cols));
    for (std::int64_t r = 0; r < grid.rows; ++r)
        for (std::int64_t c = 0; c < grid.cols; ++c)
            values[static_cast<std::size_t>(r * grid.cols + c)] = (r / 32) % 4 == 0 ? 1 : (r / 32) % 4 == 1 ? 2 : 3;
    const TestRaster raster("/vsimem/shadegap_overlay_counting.tif", grid, "EPSG:32618", GDT_Byte, std::nullopt,
                            values, 256);
    const double x0 = grid.x_min, y_top = grid.y_max;
    const std::vector<MultiPolygon> zones{
        // The whole raster: 512 rows of 512 cells, 128 rows canopy and 128 water.
        {{rectangle(x0, y_top - 512, x0 + 512, y_top), {}}},
        // Columns 10 to 245 of every row (236 cells: 14 compares and a masked last one per
        // row in each tile).
        {{rectangle(x0 + 10, y_top - 512, x0 + 246, y_top), {}}},
        // Columns 3 to 500 of rows 100 to 299 (498 cells by 200 rows): runs across tiles
        // both ways.
        {{rectangle(x0 + 3, y_top - 300, x0 + 501, y_top - 100), {}}},
    };
    // Zone 2 by hand: rows 100–127 land, 128–159 canopy, 160–191 water, 192–255 land,
    // 256–287 canopy, 288–299 water.
    const double canopy_rows = 32 + 32, water_rows = 32 + 12;
    const std::vector<ZoneSums> expected{
        {384.0 * 512, 128.0 * 512, 128.0 * 512, 0, 512.0 * 512},
        {384.0 * 236, 128.0 * 236, 128.0 * 236, 0, 512.0 * 236},
        {(200 - water_rows) * 498, canopy_rows * 498, water_rows * 498, 0, 200.0 * 498},
    };
    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1");
    options.water_classes = {2};
    options.threads = GENERATE(1, 2);
    INFO("threads " << options.threads);
    require_sums(expected, overlay_zones(raster.path(), zones, options), 0);
}

TEST_CASE("a raster past 2^31 cells: rows, columns and cell indices in 64 bits", "[overlay]") {
    // A 100,000 × 100,000 VRT (10^10 cells) whose only data, 300 × 200 cells of 10 × 10
    // checkerboard squares (canopy 1 on the squares whose row and column indices add up to
    // an even number), sits near its bottom-right corner; the rest is nodata. Only the
    // blocks a zone meets are read. A cell there is number 9.97 × 10^9 in row-major order.
    GDALAllRegister();
    const std::string source_path = "/vsimem/shadegap_overlay_large_source.tif";
    const Grid source_grid{499600, 4900300, 1, 1, 300, 200};
    std::vector<double> squares(300 * 200);
    for (int r = 0; r < 200; ++r)
        for (int c = 0; c < 300; ++c) squares[static_cast<std::size_t>(r * 300 + c)] = (r / 10 + c / 10) % 2 == 0 ? 1 : 0;
    const TestRaster source(source_path, source_grid, "EPSG:32618", GDT_Byte, std::nullopt, squares);
    const std::string vrt_path = "/vsimem/shadegap_overlay_large.vrt";
    const std::string vrt =
        "<VRTDataset rasterXSize=\"100000\" rasterYSize=\"100000\"><SRS>EPSG:32618</SRS>"
        "<GeoTransform>400000, 1, 0, 5000000, 0, -1</GeoTransform>"
        "<VRTRasterBand dataType=\"Byte\" band=\"1\"><NoDataValue>255</NoDataValue><SimpleSource>"
        "<SourceFilename relativeToVRT=\"0\">" + source_path + "</SourceFilename><SourceBand>1</SourceBand>"
        "<SrcRect xOff=\"0\" yOff=\"0\" xSize=\"300\" ySize=\"200\"/>"
        "<DstRect xOff=\"99600\" yOff=\"99700\" xSize=\"300\" ySize=\"200\"/>"
        "</SimpleSource></VRTRasterBand></VRTDataset>";
    VSILFILE* file = VSIFileFromMemBuffer(vrt_path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(vrt.data())),
                                          vrt.size(), FALSE);
    REQUIRE(file != nullptr);
    VSIFCloseL(file);
    const RasterInfo info = describe_raster(vrt_path);
    REQUIRE(info.grid.rows * info.grid.cols == std::int64_t{10000000000});

    // Zone 0: 12 × 8 whole squares, half of them canopy. Zone 1: the top 5 rows of data
    // columns 285–299 (5 canopy, 10 not) and 5 columns of nodata past the data's east edge.
    // Zone 2: the bottom-right cell of the raster, nodata.
    const std::vector<MultiPolygon> zones{
        {{rectangle(499620, 4900120, 499740, 4900200), {}}},
        {{rectangle(499885, 4900295, 499905, 4900300), {}}},
        {{rectangle(499999, 4900000, 500000, 4900001), {}}},
    };
    OverlayOptions options;
    options.kind = CanopyKind::parse("binary");
    options.threads = GENERATE(1, 2);
    INFO("threads " << options.threads);
    const auto sums = overlay_zones(vrt_path, zones, options);
    VSIUnlink(vrt_path.c_str());
    const std::vector<ZoneSums> expected{
        {120 * 80, 120 * 80 / 2, 0, 0, 120 * 80},
        {75, 25, 0, 25, 100},
        {0, 0, 0, 1, 1},
    };
    require_sums(expected, sums, 1e-12);
}

TEST_CASE("progress comes from the calling thread and ends at 1", "[overlay]") {
    const Grid grid{0, 100, 1, 1, 100, 100};
    const TestRaster raster("/vsimem/shadegap_overlay_progress.tif", grid, "EPSG:32618", GDT_Byte, std::nullopt,
                            std::vector<double>(10000, 1.0));
    OverlayOptions options;
    options.threads = 4;
    options.block_rows = 10;
    options.block_cols = 10;
    const auto caller = std::this_thread::get_id();
    std::vector<double> fractions;
    bool same_thread = true;
    const auto sums = overlay_zones(raster.path(), {{{rectangle(0, 0, 100, 100), {}}}}, options,
                                    [&](double fraction, std::string_view stage) {
                                        same_thread = same_thread && std::this_thread::get_id() == caller;
                                        CHECK(stage == "overlay");
                                        fractions.push_back(fraction);
                                    });
    CHECK(same_thread);
    REQUIRE_FALSE(fractions.empty());
    CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    CHECK(fractions.back() == 1.0);
    CHECK(sums[0].canopy_m2 == 10000.0);
}

TEST_CASE("a value the canopy kind cannot hold names the file, the value and the cell", "[overlay]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const TestRaster raster("/vsimem/shadegap_overlay_invalid.tif", grid, "EPSG:32618", GDT_Byte, std::nullopt,
                            {0, 10, 20, 30, 40, 150, 60, 70, 80});
    OverlayOptions options;
    options.kind = CanopyKind::parse("percent");
    options.threads = GENERATE(1, 2);
    options.block_rows = 2;
    options.block_cols = 2;
    try {
        overlay_zones(raster.path(), {{{rectangle(0, 0, 3, 3), {}}}}, options);
        FAIL("150 was accepted as a percentage");
    } catch (const InputError& error) {
        INFO(error.what());
        CHECK(error.subject() == raster.path());
        CHECK_THAT(error.message(), Catch::Contains("value 150 at row 1, column 2"));
        CHECK_THAT(error.message(), Catch::Contains("percent"));
        CHECK_THAT(error.message(), Catch::Contains("nodata"));
    }
    // Cells that no zone covers are never read as canopy.
    const auto sums = overlay_zones(raster.path(), {{{rectangle(0, 0, 2, 3), {}}}}, options);
    CHECK(sums[0].canopy_m2 == Approx(0.0 + 0.1 + 0.3 + 0.4 + 0.6 + 0.7));

    options.threads = -1;
    CHECK_THROWS_AS(overlay_zones(raster.path(), {}, options), UsageError);
}

TEST_CASE("a missing raster is an input error naming it", "[overlay]") {
    OverlayOptions options;
    CHECK_THROWS_AS(overlay_zones("/tmp/shadegap_missing_canopy.tif", {}, options), InputError);
}

TEST_CASE("mean_zones: area-weighted means of a value raster, nodata and NaN left out", "[overlay][heat]") {
    // 3 × 2 cells of 30 m; values (°C), -9999 nodata:
    //   row 0:  -9999   -2.5   NaN
    //   row 1:   10     20     40
    // Zone a = x 15..75, y 0..30 (row 1): 15 m of 10, 30 m of 20, 15 m of 40 → (15·10 + 30·20 + 15·40)/60 = 22.5.
    // Zone b = x 0..90, y 30..60 (row 0): only the −2.5 cell has a value → −2.5 (negative values count).
    // Zone c = x 60..90, y 45..60: NaN only → no mean. Zone d lies off the raster.
    const Grid grid{0, 60, 30, 30, 3, 2};
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const TestRaster raster("/vsimem/mean_zones.tif", grid, "EPSG:32618", GDT_Float32, -9999,
                            {-9999, -2.5, nan, 10, 20, 40});
    const std::vector<MultiPolygon> zones = {{{rectangle(15, 0, 75, 30), {}}},
                                             {{rectangle(0, 30, 90, 60), {}}},
                                             {{rectangle(60, 45, 90, 60), {}}},
                                             {{rectangle(500, 500, 510, 510), {}}}};
    OverlayOptions options;
    options.threads = GENERATE(1, 2, 4);
    options.block_rows = options.block_cols = 1;
    const std::vector<ZoneMean> means = mean_zones(raster.path(), zones, options);
    REQUIRE(means.size() == 4);
    CHECK(means[0].valid_m2 == Approx(60 * 30).epsilon(1e-12));
    CHECK(means[0].mean().value() == Approx(22.5).epsilon(1e-12));
    CHECK(means[1].valid_m2 == Approx(30 * 30).epsilon(1e-12));
    CHECK(means[1].mean().value() == Approx(-2.5).epsilon(1e-12));
    CHECK_FALSE(means[2].mean());
    CHECK_FALSE(means[3].mean());
}

TEST_CASE("mean_zones: an infinite value names the file, the value and the cell", "[overlay][heat]") {
    const Grid grid{0, 20, 10, 10, 2, 2};
    const TestRaster raster("/vsimem/mean_inf.tif", grid, "EPSG:32618", GDT_Float32, std::nullopt,
                            {1, 2, 3, std::numeric_limits<double>::infinity()});
    const std::vector<MultiPolygon> zones = {{{rectangle(0, 0, 20, 20), {}}}};
    try {
        (void)mean_zones(raster.path(), zones, OverlayOptions{});
        FAIL("no error");
    } catch (const InputError& error) {
        CHECK(error.subject() == raster.path());
        CHECK_THAT(error.message(), Catch::Contains("row 1, column 1"));
    }
}

TEST_CASE("residential_m2: valid land cells of the residential classes, Byte and other rasters alike",
          "[overlay][residential]") {
    // 2 × 2 cells of 10 m: classes 3 (residential), 1 (canopy), 5 (residential), 255 nodata.
    // Zone x 5..20, y 0..20: half of the 3 cell, all of the 1 cell, half of 5, all of nodata
    // → residential 50 + 50 = 100 m², valid land 50 + 100 + 50 = 200 m².
    const GDALDataType type = GENERATE(GDT_Byte, GDT_Float32);
    const Grid grid{0, 20, 10, 10, 2, 2};
    const TestRaster raster("/vsimem/residential.tif", grid, "EPSG:32618", type, 255, {3, 1, 5, 255});
    const std::vector<MultiPolygon> zones = {{{rectangle(5, 0, 20, 20), {}}}};
    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1");
    options.residential_classes = {3, 5};
    const auto sums = overlay_zones(raster.path(), zones, options);
    CHECK(sums[0].residential_m2 == Approx(100).epsilon(1e-12));
    CHECK(sums[0].valid_m2 == Approx(200).epsilon(1e-12));
    CHECK(sums[0].canopy_m2 == Approx(100).epsilon(1e-12));
    options.residential_classes.clear();
    CHECK(overlay_zones(raster.path(), zones, options)[0].residential_m2 == 0);
}

namespace {

/// Independent shade sums: both rasters read whole, each zone's coverage on its full window,
/// each cell weighed one by one: shade_mask_m2 = Σ f a over valid land cells of the mask with
/// a shade value (not nodata, not NaN), shade_m2 = Σ f a s over the same cells.
std::vector<ZoneSums> direct_shade_sums(const std::string& landcover, const std::string& shade,
                                        const std::vector<MultiPolygon>& zones, const OverlayOptions& options,
                                        double cell_m2) {
    RasterSource cover_source(landcover), shade_source(shade);
    const RasterInfo& info = cover_source.info();
    std::vector<double> cover, fractions;
    cover_source.read(info.grid.full_window(), cover);
    shade_source.read(info.grid.full_window(), fractions);
    const std::optional<double> shade_nodata = shade_source.info().nodata;
    std::vector<ZoneSums> sums(zones.size());
    for_each_covered_cell(info.grid, zones, cell_m2, [&](std::size_t z, std::size_t i, double a) {
        const double v = cover[i], s = fractions[i];
        const bool land = !(info.nodata && v == *info.nodata) &&
                          std::find(options.water_classes.begin(), options.water_classes.end(), v) ==
                              options.water_classes.end();
        if (!land || !options.shade.mask.contains(v) || std::isnan(s) || (shade_nodata && s == *shade_nodata)) return;
        sums[z].shade_mask_m2 += a;
        sums[z].shade_m2 += a * s;
    });
    return sums;
}

/// Requires every zone's shade sums within `relative` (0: the same bits).
void require_shade_sums(const std::vector<ZoneSums>& expected, const std::vector<ZoneSums>& actual, double relative) {
    REQUIRE(expected.size() == actual.size());
    int mismatches = 0;
    for (std::size_t z = 0; z < expected.size(); ++z) {
        const ZoneSums& e = expected[z];
        const ZoneSums& a = actual[z];
        const bool same = relative == 0 ? (e.shade_mask_m2 == a.shade_mask_m2 && e.shade_m2 == a.shade_m2)
                                        : (close(e.shade_mask_m2, a.shade_mask_m2, relative) &&
                                           close(e.shade_m2, a.shade_m2, relative));
        if (!same && ++mismatches <= 5) {
            std::ostringstream text;
            text.precision(17);
            text << "zone " << z << "\n  expected mask " << e.shade_mask_m2 << ", shade " << e.shade_m2
                 << "\n  actual   mask " << a.shade_mask_m2 << ", shade " << a.shade_m2;
            INFO(text.str());
            CHECK(same);
        }
    }
    CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("shade beside Byte land cover: summed in the counting sweep, as the general path and by hand",
          "[overlay][shade]") {
    // 301 × 203 cells of 1 m (blocks at the edges hold a number of cells that is not a
    // multiple of sixteen). Land cover in patches of 7 × 5 cells with speckle: 0 nodata,
    // 1 canopy, 2 grass, 3 bare, 4 water, 5 building, 6 road. Shade fractions 0–1 in steps of
    // 1/1000 with exact zeros, a few below 10⁻⁹, some nodata and some NaN. A Byte land cover
    // with a Float32 shade takes the counting sweep (the shade masked sixteen cells at a time
    // and summed beside the classes, in the general path's order: the same bits); the same
    // land cover as UInt16 takes the general path, one cell at a time; and the sums are worked
    // out once more cell by cell from the coverage matrix.
    const Grid grid{383000, 4087000, 1, 1, 301, 203};
    std::mt19937_64 rng(2718);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    // nodata −1 (outside 0–1), or 0 (then the cells of shade 0 are missing).
    const double shade_nodata = GENERATE(-1.0, 0.0);
    std::vector<double> shade(static_cast<std::size_t>(grid.rows * grid.cols));
    const std::vector<double> cover = patches_with_speckle(rng, grid, 7, 5, 6, [&](std::size_t i) {
        const std::int64_t r = static_cast<std::int64_t>(i) / grid.cols, c = static_cast<std::int64_t>(i) % grid.cols;
        const double u = unit(rng);
        shade[i] = u < 0.03    ? shade_nodata
                   : u < 0.05  ? std::nan("")
                   : u < 0.10  ? 0.0
                   : u < 0.15  ? 1.0
                   : u < 0.155 ? 1e-9 * unit(rng)  // tiny values: additions that round
                               : std::round(unit(rng) * 1000) / 1000;
        // Rows 150–169: 0.75 in four cells of every forty, 6·10⁻¹⁷ in the others: past the
        // first sum of 1 in a row, each of those adds less than half the last bit of the
        // sum, which stays put when they come one by one, not when eight come together.
        if (r >= 150 && r < 170 && !std::isnan(shade[i]) && shade[i] != shade_nodata)
            shade[i] = c % 40 < 4 ? 0.75 : 6e-17;
    });
    // Land cover tiles of 32; the shade's of 32 (blocks aligned) or 64 (blocks grown to 64).
    const int shade_tile = GENERATE(32, 64);
    const TestRaster bytes("/vsimem/shadegap_overlay_shade_cover.tif", grid, "EPSG:32618", GDT_Byte, 0.0, cover, 32);
    const TestRaster words("/vsimem/shadegap_overlay_shade_cover16.tif", grid, "EPSG:32618", GDT_UInt16, 0.0, cover,
                           32);
    const TestRaster fractions("/vsimem/shadegap_overlay_shade.tif", grid, "EPSG:32618", GDT_Float32, shade_nodata,
                               shade, shade_tile);
    std::vector<MultiPolygon> zones;
    for (int i = 0; i < 40; ++i) {
        const double cx = grid.x_min - 20 + unit(rng) * (grid.x_max() - grid.x_min + 40);
        const double cy = grid.y_min() - 20 + unit(rng) * (grid.y_max - grid.y_min() + 40);
        zones.push_back({random_star(rng, cx, cy, 5 + unit(rng) * 80)});
    }
    zones.push_back({{rectangle(grid.x_min, grid.y_min(), grid.x_max(), grid.y_max), {}}});  // every cell
    zones.push_back({{rectangle(grid.x_min + 10.5, grid.y_max - 150.25, grid.x_min + 290.5, grid.y_max - 3.75), {}}});

    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1");
    options.water_classes = {4};
    options.shade.path = fractions.path();
    const bool walkable = GENERATE(false, true);
    options.shade.mask = walkable ? ShadeMask{ShadeMask::Type::Include, {3, 6}} : ShadeMask{ShadeMask::Type::Exclude, {5}};
    options.threads = 1;
    INFO("shade nodata " << shade_nodata << ", shade tiles " << shade_tile << ", mask "
                         << (walkable ? "walkable" : "land"));

    const auto counted = overlay_zones(bytes.path(), zones, options);
    const auto general = overlay_zones(words.path(), zones, options);
    require_shade_sums(general, counted, 0);  // the same additions in the same order
    require_sums(general, counted, 1e-12);
    require_shade_sums(direct_shade_sums(bytes.path(), fractions.path(), zones, options, 1.0), counted, 1e-9);
    // The canopy sums are those of a run without shade: bit for bit when the blocks are the
    // same (the land cover's tiles), to rounding when the shade's tiles make them larger.
    OverlayOptions canopy_only = options;
    canopy_only.shade = {};
    require_sums(overlay_zones(bytes.path(), zones, canopy_only), counted, shade_tile == 32 ? 0 : 1e-12);

    // The whole raster by hand: every valid land cell of the mask with a shade value, whole
    // (the values as the Float32 raster holds them).
    double mask_cells = 0, shade_cells = 0;
    for (std::size_t i = 0; i < cover.size(); ++i) {
        const double v = cover[i], s = static_cast<float>(shade[i]);
        if (v == 0 || v == 4 || !options.shade.mask.contains(v) || std::isnan(s) || s == shade_nodata) continue;
        mask_cells += 1;
        shade_cells += s;
    }
    REQUIRE(mask_cells > 1000);
    const ZoneSums& whole = counted[zones.size() - 2];
    CHECK(whole.shade_mask_m2 == mask_cells);
    CHECK(whole.shade_m2 == Approx(shade_cells).epsilon(1e-12));

    for (const int threads : {2, 3, 8}) {
        options.threads = threads;
        INFO("threads " << threads);
        const auto threaded = overlay_zones(bytes.path(), zones, options);
        require_shade_sums(counted, threaded, 0);
        require_sums(counted, threaded, 0);
    }
}

TEST_CASE("shade beside Byte land cover: a value outside 0-1 names the file, the value and the cell",
          "[overlay][shade]") {
    // 41 × 40 cells, one block of 1,640; the shade is 0.5 but for 1.5 at row 21, column 35
    // (among cells tested sixteen at a time) or 2 at row 39, column 40 (the last cell, among
    // the eight tested one by one).
    const Grid grid{0, 40, 1, 1, 41, 40};
    const std::vector<double> cover(1640, 2.0);
    std::vector<double> shade(1640, 0.5);
    const bool last = GENERATE(false, true);
    const std::int64_t row = last ? 39 : 21, col = last ? 40 : 35;
    shade[static_cast<std::size_t>(row * 41 + col)] = last ? 2.0 : 1.5;
    const TestRaster bytes("/vsimem/shadegap_overlay_bad_shade_cover.tif", grid, "EPSG:32618", GDT_Byte, 0.0, cover, 16);
    const TestRaster fractions("/vsimem/shadegap_overlay_bad_shade.tif", grid, "EPSG:32618", GDT_Float32, -1.0, shade,
                               16);
    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1");
    options.shade.path = fractions.path();
    options.threads = GENERATE(1, 2);
    try {
        (void)overlay_zones(bytes.path(), {{{rectangle(0, 0, 41, 40), {}}}}, options);
        FAIL("no error");
    } catch (const InputError& error) {
        CHECK(error.subject() == fractions.path());
        CHECK(error.message() == (last ? "value 2 at row 39, column 40 is not a shade fraction (expected 0 to 1, or "
                                         "the raster's nodata value)"
                                       : "value 1.5 at row 21, column 35 is not a shade fraction (expected 0 to 1, "
                                         "or the raster's nodata value)"));
    }
}
