// Candidate tree sites against hand-worked rasters: plantable, inside, spaced, clear of canopy, ordered, deterministic.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/sites.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;

/// Writes a GeoTIFF of 1 m cells with its top-left corner at (0, rows) in `dir`, and describes it.
RasterInfo make_raster(const test::TempDir& dir, const std::string& name, int cols, int rows,
                       const std::vector<double>& values, int epsg = 32618) {
    const std::string path = dir.file(name);
    test::write_raster(path, cols, rows, 0, rows, 1, values, epsg);
    return describe_raster(path);
}

MultiPolygon rectangle(double x0, double y0, double x1, double y1, std::vector<Ring> holes = {}) {
    Polygon polygon;
    polygon.shell = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    polygon.holes = std::move(holes);
    return {polygon};
}

SiteOptions grass_options(double spacing_m, double crown_m2) {
    SiteOptions options;
    options.plantable_classes = {2, 3};
    options.walkable_classes = {6};
    options.canopy_kind = CanopyKind::parse("classes=1");
    options.spacing_m = spacing_m;
    options.crown_m2 = crown_m2;
    return options;
}

double distance(const Site& a, const Site& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

TEST_CASE("sites: plantable, inside their zone, spaced and clear of canopy on a mixed land cover", "[sites]") {
    const test::TempDir dir;
    // 30 × 30 cells of 1 m: 6 % canopy (1), grass (2), bare (3), buildings (5), roads (6), from a fixed seed.
    const int size = 30;
    std::vector<double> values(size * size);
    std::mt19937 random(16);
    std::uniform_int_distribution<int> draw(0, 99);
    for (double& v : values) {
        const int d = draw(random);
        v = d < 6 ? 1 : d < 60 ? 2 : d < 75 ? 3 : d < 88 ? 5 : 6;
    }
    const RasterInfo info = make_raster(dir, "mixed.tif", size, size, values);
    // Two zones that touch along x = 15; the western one has a hole from (3, 3) to (9, 9).
    const std::vector<MultiPolygon> zones = {
        rectangle(0, 0, 15, 30, {{{3, 3}, {3, 9}, {9, 9}, {9, 3}, {3, 3}}}), rectangle(15, 0, 30, 30)};
    const SiteOptions options = grass_options(4, 20);
    const double r = std::sqrt(20 / pi);
    const std::vector<Site> sites = find_sites(info, zones, {}, {}, options);
    REQUIRE(sites.size() > 4);

    const auto value_at = [&](double x, double y) {
        const auto col = static_cast<int>(std::floor(x));
        const auto row = static_cast<int>(std::floor(size - y));
        return values[static_cast<std::size_t>(row * size + col)];
    };
    std::uint32_t zone = 0;
    std::uint32_t expected_order = 0;
    bool both_zones = false;
    for (const Site& site : sites) {
        INFO("site at (" << site.x << ", " << site.y << ") in zone " << site.zone);
        // Sorted by zone, then order, numbered 0, 1, 2, … in each zone.
        if (site.zone != zone) {
            CHECK(site.zone > zone);
            zone = site.zone;
            expected_order = 0;
            both_zones = true;
        }
        CHECK(site.order == expected_order++);
        const double v = value_at(site.x, site.y);
        CHECK((v == 2 || v == 3));
        const bool in_hole = site.x > 3 && site.x < 9 && site.y > 3 && site.y < 9;
        if (site.zone == 0) CHECK((site.x < 15 && !in_hole));
        if (site.zone == 1) CHECK(site.x > 15);
        // Every canopy cell's nearest point is at least r from the site.
        for (int row = 0; row < size; ++row) {
            for (int col = 0; col < size; ++col) {
                if (values[static_cast<std::size_t>(row * size + col)] != 1) continue;
                const double x0 = col, x1 = col + 1, y0 = size - row - 1, y1 = size - row;
                const double dx = std::max({x0 - site.x, 0.0, site.x - x1});
                const double dy = std::max({y0 - site.y, 0.0, site.y - y1});
                CHECK(std::hypot(dx, dy) >= r);
            }
        }
    }
    CHECK(both_zones);
    // All pairs, within a zone and across the shared edge.
    for (std::size_t i = 0; i < sites.size(); ++i)
        for (std::size_t j = i + 1; j < sites.size(); ++j) CHECK(distance(sites[i], sites[j]) >= 4);

    SECTION("the same sites at 1 and 2 threads") {
        SiteOptions two = options;
        two.threads = 2;
        const std::vector<Site> again = find_sites(info, zones, {}, {}, two);
        REQUIRE(again.size() == sites.size());
        for (std::size_t i = 0; i < sites.size(); ++i) {
            CHECK(again[i].x == sites[i].x);
            CHECK(again[i].y == sites[i].y);
            CHECK(again[i].zone == sites[i].zone);
            CHECK(again[i].order == sites[i].order);
        }
    }
}

TEST_CASE("sites: one canopy cell clears the cells whose centre is nearer than r to it", "[sites]") {
    const test::TempDir dir;
    // 11 × 11 grass, canopy at row 5, column 5 (x 5–6, y 5–6); r = 3, spacing 0.5 (every candidate kept).
    std::vector<double> values(121, 2);
    values[5 * 11 + 5] = 1;
    const RasterInfo info = make_raster(dir, "one.tif", 11, 11, values);
    const std::vector<Site> sites = find_sites(info, {rectangle(0, 0, 11, 11)}, {}, {}, grass_options(0.5, 9 * pi));
    // A centre |dc| columns and |dr| rows away is max(0, |dc| − ½) and max(0, |dr| − ½) from the
    // cell: blocked when the squares add to less than 9. |dc| 0 and 1: |dr| <= 3 (2.5² + 0.5² < 9),
    // 7 rows each; |dc| 2: 1.5² + 2.5² = 8.5, |dr| <= 3, 7 rows; |dc| 3: 2.5² + 1.5² = 8.5, |dr| <= 2,
    // 5 rows; |dc| 4: 3.5² > 9. Blocked: 7 + 2·7 + 2·7 + 2·5 = 45 of 121.
    CHECK(sites.size() == 121 - 45);
    const auto has = [&](double x, double y) {
        for (const Site& s : sites)
            if (s.x == x && s.y == y) return true;
        return false;
    };
    CHECK_FALSE(has(8.5, 5.5));  // row 5, column 8: 2.5 m east of the cell
    CHECK(has(9.5, 5.5));        // column 9: 3.5 m
    CHECK_FALSE(has(3.5, 8.5));  // row 2, column 3: 1.5² + 2.5² = 8.5 < 9
    CHECK(has(2.5, 8.5));        // row 2, column 2: 2.5² + 2.5² = 12.5
    CHECK(has(5.5, 1.5));        // row 9, column 5: 3.5 m south
}

TEST_CASE("sites: counts on an all-plantable square against packing and covering bounds", "[sites]") {
    const test::TempDir dir;
    // An L × L square of 1 m grass cells, no canopy, nothing walkable: the order is north to
    // south, west to east, and the centres span a square of side a = L − 1.
    //
    // Upper bound (packing): discs of radius s/2 around sites at least s apart do not overlap
    // and lie in the square of side a + s, so n·π·s²/4 <= (a + s)², n <= 4(a + s)² / (π s²).
    // Lower bound (covering): greedy keeps a maximal set, so every cell centre lies closer
    // than s to a site; a site's open disc of radius s holds N(s) = #{(i, j): i² + j² < s²}
    // centres, so n >= L² / N(s).
    SECTION("L = 16, s = 5: the lattice of every fifth row and column, 16 sites") {
        const RasterInfo info = make_raster(dir, "square16.tif", 16, 16, std::vector<double>(256, 2));
        const std::vector<Site> sites = find_sites(info, {rectangle(0, 0, 16, 16)}, {}, {}, grass_options(5, 1));
        // By hand: row 0 keeps columns 0, 5, 10, 15; rows 1–4 are within 5 of one of them
        // (every column 0–15 is at most 2 from a multiple of 5, and 4² + 2² < 25); row 5 is
        // 5 away, and so on: rows 0, 5, 10, 15. (With L = 20, columns 16–19 are up to 4 from
        // column 15, and row 3, column 19 is 5 away from (0, 15): the lattice is not kept.)
        REQUIRE(sites.size() == 16);
        for (std::size_t k = 0; k < sites.size(); ++k) {
            CHECK(sites[k].x == 0.5 + 5.0 * static_cast<double>(k % 4));
            CHECK(sites[k].y == 15.5 - 5.0 * static_cast<double>(k / 4));
            CHECK(sites[k].order == k);
        }
        // N(5) = 81 points with i² + j² <= 25, less the 12 on the circle: 69; 256 / 69 = 3.7.
        CHECK(sites.size() >= 4);
        CHECK(static_cast<double>(sites.size()) <= 4 * 20.0 * 20.0 / (pi * 25));  // 20.4
        CHECK(sites.size() >= 9);  // ⌊L/s⌋² = 9
    }
    SECTION("L = 23, s = 4.5: 25 sites, within both bounds") {
        const RasterInfo info = make_raster(dir, "square23.tif", 23, 23, std::vector<double>(529, 2));
        const std::vector<Site> sites = find_sites(info, {rectangle(0, 0, 23, 23)}, {}, {}, grass_options(4.5, 1));
        // N(4.5) = #{i² + j² <= 20} = 9 + 2·9 + 2·9 + 2·7 + 2·5 = 69; 529 / 69 = 7.7, so n >= 8.
        CHECK(sites.size() >= 8);
        // 4·(22 + 4.5)² / (π·4.5²) = 44.2.
        CHECK(sites.size() <= 44);
        // By hand: row 0 keeps columns 0, 5, …, 20 (5 is the first at >= 4.5); rows 1–4 are
        // within 4.5 of those (row 4: 4² + 2² < 20.25, and no column is more than 2 from them);
        // row 5 starts again, and rows 21–22 are within 2 of row 20: 5 rows of 5, ⌊L/s⌋² = 25.
        CHECK(sites.size() == 25);
    }
}

TEST_CASE("sites: crowns over a road come first, with the walkable area worked by hand", "[sites]") {
    const test::TempDir dir;
    // 20 × 12 cells of 1 m: rows 0–1 (y 10–12) road (6), the rest grass. The zone is y 0–10.
    std::vector<double> values(20 * 12, 2);
    for (int i = 0; i < 40; ++i) values[static_cast<std::size_t>(i)] = 6;
    const RasterInfo info = make_raster(dir, "road.tif", 20, 12, values);
    // r = 3. A site in row 2 (y 9.5) has road centres 1 and 2 m north: |dc| <= 2 in both
    // (2² + 1² <= 9, 2² + 2² <= 9, 3² + 1² > 9), 10 cells, 10 m². Columns 2–17 have them all.
    const std::vector<Site> sites = find_sites(info, {rectangle(0, 0, 20, 10)}, {}, {}, grass_options(5, 9 * pi));
    REQUIRE(sites.size() > 4);
    const double xs[] = {2.5, 7.5, 12.5, 17.5};
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(sites[k].x == xs[k]);
        CHECK(sites[k].y == 9.5);
        CHECK(sites[k].walkable_m2 == Approx(10));
        CHECK(sites[k].order == k);
    }
    for (std::size_t k = 4; k < sites.size(); ++k) CHECK(sites[k].walkable_m2 < 10);
}

TEST_CASE("sites: equal walkable land, the denser census unit first", "[sites]") {
    const test::TempDir dir;
    const RasterInfo info = make_raster(dir, "grass.tif", 20, 10, std::vector<double>(200, 2));
    const std::vector<MultiPolygon> census = {rectangle(0, 0, 10, 10), rectangle(10, 0, 20, 10)};
    const std::vector<Site> sites =
        find_sites(info, {rectangle(0, 0, 20, 10)}, census, {100, 1000}, grass_options(5, 9 * pi));
    REQUIRE(!sites.empty());
    // The densest unit's north-west cell: row 0, column 10.
    CHECK(sites[0].x == 10.5);
    CHECK(sites[0].y == 9.5);
    CHECK(sites[0].density == 1000);
    bool sparse_seen = false;
    for (const Site& site : sites) {
        if (site.density == 100) sparse_seen = true;
        if (sparse_seen) CHECK(site.density == 100);
        CHECK(site.density == (site.x > 10 ? 1000 : 100));
    }
    CHECK(sparse_seen);
}

TEST_CASE("sites: a geographic raster and non-positive spacing or crown are errors", "[sites]") {
    const test::TempDir dir;
    const std::vector<MultiPolygon> zones = {rectangle(0, 0, 4, 4)};
    SECTION("geographic CRS: InputError naming the raster") {
        const RasterInfo info = make_raster(dir, "wgs84.tif", 4, 4, std::vector<double>(16, 2), 4326);
        try {
            find_sites(info, zones, {}, {}, grass_options(5, 55.74));
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK(e.subject() == info.path);
            CHECK(std::string(e.message()).find("sites need a projected CRS (metres)") != std::string::npos);
        }
    }
    const RasterInfo info = make_raster(dir, "utm.tif", 4, 4, std::vector<double>(16, 2));
    SECTION("spacing 0") {
        try {
            find_sites(info, zones, {}, {}, grass_options(0, 55.74));
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK(e.subject() == "spacing");
        }
    }
    SECTION("crown_m2 −1") {
        try {
            find_sites(info, zones, {}, {}, grass_options(5, -1));
            FAIL("no error");
        } catch (const UsageError& e) {
            CHECK(e.subject() == "crown_m2");
        }
    }
}

// Five sites 5 m apart in a row and two in another zone: at 8.42 m (a default crown's
// diameter) the first pass keeps 0, 10 and 20, then 5 and 15 follow; the other zone alike.
TEST_CASE("apart_first puts the sites whose crowns cannot overlap first, keeping every site", "[sites]") {
    std::vector<shadegap::Site> sites;
    for (std::uint32_t k = 0; k < 5; ++k) sites.push_back({5.0 * k, 0, 0, k, 0, 0});
    sites.push_back({100, 0, 1, 0, 0, 0});
    sites.push_back({103, 0, 1, 1, 0, 0});
    const auto ordered = shadegap::apart_first(sites, 8.42);
    REQUIRE(ordered.size() == 7);
    const std::vector<double> xs = {0, 10, 20, 5, 15, 100, 103};
    for (std::size_t k = 0; k < ordered.size(); ++k) {
        CHECK(ordered[k].x == xs[k]);
        CHECK(ordered[k].order == (k < 5 ? k : k - 5));
        CHECK(ordered[k].zone == (k < 5 ? 0u : 1u));
    }
}
