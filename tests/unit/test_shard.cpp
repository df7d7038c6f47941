// The shares of `run --shard I/N`: every unit in one share, balanced by area, compact in space.
// SPDX-License-Identifier: MIT
#include "shadegap/overlay.hpp"
#include "shadegap/shard.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <vector>

using namespace shadegap;
namespace test = shadegap::test;

TEST_CASE("shard values are read as I/N with 1 <= I <= N and nothing else", "[shard]") {
    CHECK(problem_with_shard("1/1").empty());
    CHECK(problem_with_shard("3/8").empty());
    CHECK(problem_with_shard("8/8").empty());
    const ShardSpec spec = parse_shard("3/8");
    CHECK(spec.index == 3);
    CHECK(spec.count == 8);
    for (const char* bad : {"", "3", "0/8", "9/8", "1/0", "-1/2", "1/-2", "a/b", "1/2/3", " 1/2", "1.0/2", "1/"}) {
        INFO("--shard " << bad);
        CHECK_THAT(problem_with_shard(bad), Catch::Matchers::StartsWith("expected I/N with 1 ≤ I ≤ N"));
        CHECK_THROWS_AS(parse_shard(bad), UsageError);
    }
}

TEST_CASE("shares of equal units on a 16 x 16 grid are its four quadrants, 64 units each", "[shard]") {
    // Unit (i, j) is the square [i, i+1] x [j, j+1]; its centre (i + 0.5, j + 0.5). A Hilbert
    // curve visits one quadrant after the other, so with equal areas the 4 shares of 64 units
    // are the quadrants (which one is first depends on the curve's orientation).
    std::vector<double> x, y, weight;
    for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 16; ++i) {
            x.push_back(i + 0.5);
            y.push_back(j + 0.5);
            weight.push_back(1.0);
        }
    const std::vector<int> shares = assign_shares(x, y, weight, 4);
    std::vector<int> count(4, 0);
    std::vector<std::set<int>> quadrants(4);
    for (std::size_t u = 0; u < shares.size(); ++u) {
        REQUIRE(shares[u] >= 0);
        REQUIRE(shares[u] < 4);
        ++count[static_cast<std::size_t>(shares[u])];
        quadrants[static_cast<std::size_t>(shares[u])].insert((x[u] > 8 ? 1 : 0) + (y[u] > 8 ? 2 : 0));
    }
    CHECK(count == std::vector<int>{64, 64, 64, 64});
    std::set<int> seen;
    for (const auto& q : quadrants) {
        CHECK(q.size() == 1);  // a share is one quadrant
        seen.insert(q.begin(), q.end());
    }
    CHECK(seen.size() == 4);
}

TEST_CASE("shares are balanced by area: none exceeds total / N by more than the largest unit", "[shard]") {
    // A unit goes to the share where the middle of its area falls along the curve, so a
    // share holds at most the areas whose middles fall in a window of total / N, plus half a
    // unit at each end: at most total / N + the largest area.
    std::mt19937_64 random(17);
    std::uniform_real_distribution<double> place(0, 1000), area(0, 50);
    std::vector<double> x(500), y(500), weight(500);
    for (std::size_t u = 0; u < 500; ++u) {
        x[u] = place(random);
        y[u] = place(random);
        weight[u] = u % 10 == 0 ? 0.0 : area(random);  // some units off the raster weigh nothing
    }
    const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
    const double largest = *std::max_element(weight.begin(), weight.end());
    for (const int n : {1, 2, 3, 7, 64}) {
        INFO(n << " shares");
        const std::vector<int> shares = assign_shares(x, y, weight, n);
        std::vector<double> share_area(static_cast<std::size_t>(n), 0.0);
        for (std::size_t u = 0; u < 500; ++u) {
            REQUIRE(shares[u] >= 0);
            REQUIRE(shares[u] < n);
            share_area[static_cast<std::size_t>(shares[u])] += weight[u];
        }
        for (const double a : share_area) {
            CHECK(a <= total / n + largest);
            CHECK(a >= total / n - largest);
        }
        CHECK(assign_shares(x, y, weight, n) == shares);  // the same shares every time
    }
}

TEST_CASE("more shares than units leave some shares empty, and none is out of range", "[shard]") {
    const std::vector<int> shares = assign_shares({0, 10, 20}, {0, 0, 0}, {1, 1, 1}, 7);
    // Middles at 1/6, 1/2, 5/6 of the area: shares floor(7/6) = 1, floor(3.5) = 3, floor(35/6) = 5.
    std::vector<int> sorted = shares;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<int>{1, 3, 5});
    // Without any area on the raster, by position along the curve.
    const std::vector<int> none = assign_shares({0, 10, 20}, {0, 0, 0}, {0, 0, 0}, 3);
    std::vector<int> sorted_none = none;
    std::sort(sorted_none.begin(), sorted_none.end());
    CHECK(sorted_none == std::vector<int>{0, 1, 2});
}

namespace {

std::uint64_t bits(double value) {
    std::uint64_t b = 0;
    std::memcpy(&b, &value, sizeof b);
    return b;
}

/// The eight sums of a zone as their bit patterns.
std::vector<std::uint64_t> bits_of(const ZoneSums& s) {
    return {bits(s.valid_m2),   bits(s.covered_m2),    bits(s.canopy_m2), bits(s.water_m2),
            bits(s.nodata_m2),  bits(s.shade_mask_m2), bits(s.shade_m2),  bits(s.residential_m2)};
}

}  // namespace

// What makes a merge byte for byte: overlay_zones adds each zone's blocks in block order, so
// the bits of a zone's sums do not depend on the other zones of the call (nor on the threads).
TEST_CASE("a zone's sums are the same bits whatever other zones are measured with it", "[shard][overlay]") {
    test::TempDir dir;
    // 300 x 300 cells of 1 m in tiles of 64: classes 0-5 and nodata 255 in a pattern, so
    // that zones cross many tiles with every kind of cell.
    std::vector<double> classes(300 * 300), temperature(300 * 300);
    for (int r = 0; r < 300; ++r)
        for (int c = 0; c < 300; ++c) {
            const int v = (r * 7 + c * 13 + (r / 9) * (c / 11)) % 17;
            classes[static_cast<std::size_t>(r * 300 + c)] = v < 6 ? v : v == 16 ? 255 : v % 3;
            temperature[static_cast<std::size_t>(r * 300 + c)] = 20 + std::sin(r * 0.05) * 5 + c * 0.01;
        }
    const double nodata = 255;
    const std::string landcover = dir.file("landcover.tif"), heat = dir.file("heat.tif");
    test::write_raster(landcover, 300, 300, 500000, 4100300, 1.0, classes, 32618, GDT_Byte, &nodata, 64);
    test::write_raster(heat, 300, 300, 500000, 4100300, 1.0, temperature, 32618, GDT_Float32, nullptr, 64);

    // Twenty tilted quadrilaterals of many sizes, overlapping one another.
    std::mt19937_64 random(5);
    std::uniform_real_distribution<double> at(5, 295), size(3, 120), tilt(-0.4, 0.4);
    std::vector<MultiPolygon> zones;
    std::vector<double> x, y, area;
    for (int z = 0; z < 20; ++z) {
        const double cx = at(random), cy = at(random), w = size(random), h = size(random), t = tilt(random);
        const auto corner = [&](double u, double v) {
            return Point{500000 + cx + u * std::cos(t) - v * std::sin(t), 4100000 + cy + u * std::sin(t) + v * std::cos(t)};
        };
        zones.push_back({{{corner(-w / 2, -h / 2), corner(w / 2, -h / 2), corner(w / 2, h / 2), corner(-w / 2, h / 2)}, {}}});
        x.push_back(cx);
        y.push_back(cy);
        area.push_back(w * h);
    }
    OverlayOptions options;
    options.kind = CanopyKind::parse("classes=1,2");
    options.water_classes = {3};
    options.residential_classes = {4};
    options.block_rows = options.block_cols = 64;
    options.threads = 2;
    const std::vector<ZoneSums> all = overlay_zones(landcover, zones, options);
    const std::vector<ZoneMean> all_heat = mean_zones(heat, zones, options);

    const int threads = GENERATE(1, 2);
    options.threads = threads;
    for (const int n : {2, 3, 7, 20}) {
        const std::vector<int> shares = assign_shares(x, y, area, n);
        for (int s = 0; s < n; ++s) {
            std::vector<MultiPolygon> share;
            std::vector<std::size_t> index;
            for (std::size_t z = 0; z < zones.size(); ++z)
                if (shares[z] == s) {
                    share.push_back(zones[z]);
                    index.push_back(z);
                }
            const std::vector<ZoneSums> sums = overlay_zones(landcover, share, options);
            const std::vector<ZoneMean> heat_sums = mean_zones(heat, share, options);
            for (std::size_t k = 0; k < index.size(); ++k) {
                INFO(n << " shares, share " << s << ", zone " << index[k] << ", " << threads << " thread(s)");
                CHECK(bits_of(sums[k]) == bits_of(all[index[k]]));
                CHECK(bits(heat_sums[k].valid_m2) == bits(all_heat[index[k]].valid_m2));
                CHECK(bits(heat_sums[k].value_m2) == bits(all_heat[index[k]].value_m2));
            }
        }
    }
    // The test has teeth: the zones meet canopy, water, nodata and residential cells.
    double canopy = 0, water = 0, missing = 0, residential = 0;
    for (const ZoneSums& s : all) {
        canopy += s.canopy_m2;
        water += s.water_m2;
        missing += s.nodata_m2;
        residential += s.residential_m2;
    }
    CHECK(canopy > 0);
    CHECK(water > 0);
    CHECK(missing > 0);
    CHECK(residential > 0);
}
