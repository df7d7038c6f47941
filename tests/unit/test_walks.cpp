// The walks engine (walks.hpp) against walks worked out by hand: a tree of streets over
// bands of shade, a loop whose shaded side is a detour, a uniform grid, and the noding rule.
// SPDX-License-Identifier: MIT
#include "shadegap/walks.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;
using shadegap::LinePoint;
using shadegap::Polyline;
using shadegap::walks::Settings;
using shadegap::walks::Simulation;

constexpr double east0 = 500000;
constexpr double north0 = 4100000;

LinePoint at(double x, double y) {
    return {east0 + x, north0 + y};
}

/// A 100 m × 100 m raster of 1 m cells (origin east0, north0) whose shade fraction is
/// `shade(x, y)` at each cell's centre (x, y in metres from the south-west corner).
template <typename Shade>
shadegap::RasterInfo shade_raster(const test::TempDir& dir, const std::string& name, Shade shade) {
    std::vector<double> values(100 * 100);
    for (int row = 0; row < 100; ++row)
        for (int col = 0; col < 100; ++col) values[static_cast<std::size_t>(row * 100 + col)] = shade(col + 0.5, 99.5 - row);
    const std::string path = dir.file(name);
    test::write_raster(path, 100, 100, east0, north0 + 100, 1.0, values, 32618, GDT_Float32, nullptr, 16);
    return shadegap::describe_raster(path);
}

std::optional<double> fraction(double value) {
    return value;
}

}  // namespace

// Streets: a main street along y = 50 from x = 0 to 100, one line with an inner vertex at
// x = 50 that the side street x = 50, y = 50..90 shares (a junction), and a separate street
// y = 95, x = 0..40 (its own component). Shade by vertical bands: 1 for x < 30, 0.5 for
// 30 ≤ x < 60, 0 beyond. The destination (10, 52) steps 2 m onto the main street at
// (10, 50), in full shade.
//   A (80, 47): 3 m onto (80, 50) in the sun, 70 m west: 20·0 + 30·0.5 + 20·1 = 35 shaded,
//     then the destination's 2 m: walk 75, shaded 37.
//   B (52, 80): 2 m west in the 0.5 band (1 shaded) onto (50, 80), 30 m south on x = 50
//     (0.5: 15), 40 m west (20·0.5 + 20·1 = 30), 2 m: walk 74, shaded 48.
//   C (5, 49): 1 m onto (5, 50) (1), 5 m east on the destination's own edge (5), 2 m: 8, 8.
//   D (20, 97): nearest street is y = 95, which no destination is on: none reached.
// With max walk 74.5, A's 75 m reach nothing; B's 74 do.
TEST_CASE("walks on a tree of streets over bands of shade follow by hand", "[walks]") {
    test::TempDir dir;
    const auto raster = shade_raster(dir, "bands.tif", [](double x, double) { return x < 30 ? 1.0 : x < 60 ? 0.5 : 0.0; });
    const std::vector<Polyline> streets = {{at(0, 50), at(50, 50), at(100, 50)},
                                           {at(50, 50), at(50, 90)},
                                           {at(0, 95), at(40, 95)}};
    const std::vector<LinePoint> destinations = {at(10, 52)};
    const std::vector<LinePoint> starts = {at(80, 47), at(52, 80), at(5, 49), at(20, 97)};
    Settings settings;
    settings.max_walk_m = 74.5;
    for (const int threads : {1, 2}) {
        settings.threads = threads;
        const Simulation sim = shadegap::walks::simulate(raster, fraction, streets, destinations, starts, settings);
        REQUIRE(sim.walks.size() == 4);
        CHECK(sim.network.components == 2);
        CHECK(sim.network.edges.size() == 4);  // main street cut at the junction, side street, the other
        CHECK(sim.walks[0].walk_m == Approx(75).epsilon(1e-12));
        CHECK(sim.walks[0].shaded_m == Approx(37).epsilon(1e-12));
        CHECK_FALSE(sim.walks[0].reached);
        CHECK(sim.walks[1].walk_m == Approx(74).epsilon(1e-12));
        CHECK(sim.walks[1].shaded_m == Approx(48).epsilon(1e-12));
        CHECK(sim.walks[1].reached);
        CHECK(sim.walks[2].walk_m == Approx(8).epsilon(1e-12));
        CHECK(sim.walks[2].shaded_m == Approx(8).epsilon(1e-12));
        CHECK(sim.walks[2].reached);
        CHECK(sim.walks[3].destination == -1);
        CHECK_FALSE(sim.walks[3].reached);
        CHECK(sim.agents_in_components_without_destination == 1);
        CHECK(sim.street_km == Approx((100 + 40 + 40) / 1000.0).epsilon(1e-12));
        // B's route: its start, the street, the junction, the destination's street point, the destination.
        const Polyline route = sim.route(1);
        REQUIRE(route.size() == 5);
        CHECK(route[1].x == Approx(east0 + 50));
        CHECK(route[1].y == Approx(north0 + 80));
        CHECK(route[2].y == Approx(north0 + 50));
        CHECK(route[3].x == Approx(east0 + 10));
        CHECK(route[4].y == Approx(north0 + 52));
    }
}

// Lines that cross without a shared vertex do not meet (a bridge): the agent on the bridge
// cannot step down onto the street below.
TEST_CASE("a crossing without a shared vertex is no junction", "[walks]") {
    test::TempDir dir;
    const auto raster = shade_raster(dir, "sun.tif", [](double, double) { return 0.0; });
    const std::vector<Polyline> streets = {{at(0, 50), at(100, 50)}, {at(50, 0), at(50, 100)}};
    const std::vector<LinePoint> destinations = {at(0, 50)};
    const std::vector<LinePoint> starts = {at(50, 90), at(90, 50)};
    const Simulation sim = shadegap::walks::simulate(raster, fraction, streets, destinations, starts, Settings{});
    CHECK(sim.network.components == 2);
    CHECK(sim.crossings_without_junction == 1);
    CHECK(sim.walks[0].destination == -1);
    CHECK(sim.walks[1].walk_m == Approx(90).epsilon(1e-12));
    // With the vertex shared, they meet: 40 m down the cross street, 50 m along.
    const std::vector<Polyline> noded = {{at(0, 50), at(50, 50), at(100, 50)}, {at(50, 0), at(50, 50), at(50, 100)}};
    const Simulation met = shadegap::walks::simulate(raster, fraction, noded, destinations, starts, Settings{});
    CHECK(met.network.components == 1);
    CHECK(met.crossings_without_junction == 0);
    CHECK(met.walks[0].walk_m == Approx(90).epsilon(1e-12));
}

// A loop: the short way along y = 5 (80 m, sun below y = 15) and the long way up x = 10,
// along y = 25 and down x = 90 (20 + 80 + 20 = 120 m, 10 + 80 + 10 = 100 m of it in shade
// from y = 15 up). Costs: short 80·(1 + A), long 20·(1 + A) + 100: the long way wins above
// A = 2/3. The agent and the destination step 1 m (sun) onto the loop's corners.
TEST_CASE("shade-seeking walks take the shaded detour exactly when it costs less", "[walks]") {
    test::TempDir dir;
    const auto raster = shade_raster(dir, "half.tif", [](double, double y) { return y >= 15 ? 1.0 : 0.0; });
    const std::vector<Polyline> streets = {{at(10, 5), at(90, 5)},
                                           {at(10, 5), at(10, 25), at(90, 25), at(90, 5)}};
    const std::vector<LinePoint> destinations = {at(10, 4)};
    const std::vector<LinePoint> starts = {at(90, 4)};
    for (const double aversion : {0.0, 0.3, 0.66, 0.67, 1.0, 4.0}) {
        INFO("A = " << aversion);
        Settings settings;
        settings.sun_aversion = aversion;
        const Simulation sim = shadegap::walks::simulate(raster, fraction, streets, destinations, starts, settings);
        const bool detour = aversion > 2.0 / 3.0;
        CHECK(sim.walks[0].walk_m == Approx(detour ? 122 : 82).epsilon(1e-12));
        CHECK(sim.walks[0].shaded_m == Approx(detour ? 100 : 0).margin(1e-9));
        if (aversion > 0) {
            REQUIRE(sim.shortest.size() == 1);
            CHECK(sim.shortest[0].walk_m == Approx(82).epsilon(1e-12));
            CHECK(sim.shortest[0].shaded_m == Approx(0).margin(1e-9));
        } else {
            CHECK(sim.shortest.empty());
        }
    }
}

// A 5 × 5 grid of streets 20 m apart, split at every junction, with the same shade (0.5)
// everywhere: every route of the least length has the same share of shade, so no aversion
// makes a walk longer than the grid (Manhattan) distance.
TEST_CASE("on a uniform grid shade-seeking routes are the shortest", "[walks]") {
    test::TempDir dir;
    const auto raster = shade_raster(dir, "uniform.tif", [](double, double) { return 0.5; });
    std::vector<Polyline> streets;
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 4; ++j) {
            streets.push_back({at(10 + 20 * i, 10 + 20 * j), at(10 + 20 * i, 30 + 20 * j)});
            streets.push_back({at(10 + 20 * j, 10 + 20 * i), at(30 + 20 * j, 10 + 20 * i)});
        }
    const std::vector<LinePoint> destinations = {at(10, 10)};
    const std::vector<LinePoint> starts = {at(90, 90), at(50, 70), at(70, 30)};
    for (const double aversion : {0.0, 2.0}) {
        Settings settings;
        settings.sun_aversion = aversion;
        const Simulation sim = shadegap::walks::simulate(raster, fraction, streets, destinations, starts, settings);
        CHECK(sim.network.edges.size() == 40);
        CHECK(sim.walks[0].walk_m == Approx(160).epsilon(1e-12));
        CHECK(sim.walks[1].walk_m == Approx(100).epsilon(1e-12));
        CHECK(sim.walks[2].walk_m == Approx(80).epsilon(1e-12));
        for (const auto& walk : sim.walks) CHECK(walk.shaded_m == Approx(walk.walk_m / 2).epsilon(1e-12));
    }
}

// The same grid, 0.5 m off the cell lines, with shade on one side of the grid: the cells of
// the horizontal streets are in shade (y 10..11, 30..31, ...) but for those of the vertical
// streets' columns (x 10..11, ...), so a 20 m horizontal edge has 19 m of shade and a vertical
// one none. Every route has 80 m of vertical sun between opposite corners, and any detour
// adds both sun and shade: for every A the walk is a shortest one (160 m, 4·19 = 76 m shaded).
TEST_CASE("on a grid with shade on one side of every street no detour pays", "[walks]") {
    test::TempDir dir;
    const auto on_line = [](double v) { return std::fmod(v - 10, 20) < 1; };  // the cell of a street at 10.5 + 20k
    const auto raster = shade_raster(dir, "sided.tif", [&](double x, double y) {
        return on_line(y) && !on_line(x) ? 1.0 : 0.0;
    });
    std::vector<Polyline> streets;
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 4; ++j) {
            streets.push_back({at(10.5 + 20 * i, 10.5 + 20 * j), at(10.5 + 20 * i, 30.5 + 20 * j)});
            streets.push_back({at(10.5 + 20 * j, 10.5 + 20 * i), at(30.5 + 20 * j, 10.5 + 20 * i)});
        }
    for (const double aversion : {0.0, 1.0, 10.0}) {
        INFO("A = " << aversion);
        Settings settings;
        settings.sun_aversion = aversion;
        const Simulation sim =
            shadegap::walks::simulate(raster, fraction, streets, {at(10.5, 10.5)}, {at(90.5, 90.5)}, settings);
        CHECK(sim.walks[0].walk_m == Approx(160).epsilon(1e-12));
        CHECK(sim.walks[0].shaded_m == Approx(76).epsilon(1e-12));
    }
}

TEST_CASE("zero-length edges are left out and counted", "[walks]") {
    test::TempDir dir;
    const auto raster = shade_raster(dir, "sun0.tif", [](double, double) { return 0.0; });
    const std::vector<Polyline> streets = {{at(10, 10), at(60, 10)}, {at(60, 10), at(60, 10)}, {at(60, 10), at(60, 60)}};
    const Simulation sim =
        shadegap::walks::simulate(raster, fraction, streets, {at(10, 10)}, {at(60, 60)}, Settings{});
    CHECK(sim.network.zero_length_edges == 1);
    CHECK(sim.network.edges.size() == 2);
    CHECK(sim.walks[0].walk_m == Approx(100).epsilon(1e-12));
}
