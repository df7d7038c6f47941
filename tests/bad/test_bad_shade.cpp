// Faults of `shadegap shade` and `shadegap sun` through the built binary: signals, temporary
// folders left by killed runs, and a time zone that cannot be the place's (docs/bad-input.md,
// section "shade").
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "bad_case.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace test = shadegap::test;

using Spawn = test::Spawn;
using namespace test::bad;

constexpr int utm18n = 32618;

/// A `size` × `size` raster of 1 m cells in UTM 18N (Norfolk, Virginia, about 36.85° N,
/// 76.29° W) with a 12 m block every 40 m: enough surface for shadows everywhere.
void write_city(const std::string& path, int size, double x_min = 384963, double y_max = 4079039) {
    std::vector<double> heights(static_cast<std::size_t>(size) * static_cast<std::size_t>(size), 0.0);
    for (int r = 0; r < size; ++r)
        for (int c = 0; c < size; ++c)
            if (r % 40 < 10 && c % 40 < 10) heights[static_cast<std::size_t>(r) * static_cast<std::size_t>(size) + c] = 12;
    const double nodata = -1;
    test::write_raster(path, size, size, x_min, y_max, 1.0, heights, utm18n, GDT_Float32, &nodata, 256);
}

std::string host() {
    char name[256] = {};
    REQUIRE(gethostname(name, sizeof name - 1) == 0);
    return name;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Signals

// SIGINT or SIGTERM while the shadows are cast (a 1200 × 1200 raster, 57 instants): the run
// stops at its next progress report, exits 128 + the signal, prints one line, and leaves
// nothing: the output folder it created is gone, no hidden temporary folder stays.
TEST_CASE("an interrupted shade run", "[bad][faults][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_city(heights, 1200);
    for (const auto& [signal, name, status] : {std::tuple<int, std::string, int>{SIGINT, "SIGINT", 130},
                                               {SIGTERM, "SIGTERM", 143}}) {
        INFO(name);
        const std::string out_dir = dir.file("o");
        const std::string out = out_dir + "/shade.tif";
        Spawn spawn;
        spawn.signal = signal;
        spawn.signal_when = "shadows";
        const Outcome outcome =
            run_binary({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "06:00-20:00", "--step", "15",
                        "--tz", "America/New_York", "--out", out, "--masks", out_dir + "/masks", "--threads", "1",
                        "--progress"},
                       spawn);
        INFO("stderr: " << outcome.err);
        REQUIRE(outcome.signal_sent);
        CHECK(outcome.killed_by == 0);
        CHECK(outcome.status == status);
        CHECK(outcome.out.empty());
        const std::string after_bar = outcome.err.substr(outcome.err.rfind('\r') + 1);
        CHECK(after_bar == "shadegap: error: " + out + ": interrupted by " + name +
                               " during shadows; no output was written\n");
        CHECK(lines_of(outcome.err).size() == 1);
        INFO("left: " << joined(entries_of(out_dir)));
        CHECK_FALSE(fs::exists(out_dir));
    }
}

// The same in a folder that holds an earlier result: it stays byte for byte, and the folder
// holds exactly what it held before.
TEST_CASE("an interrupted shade run keeps the earlier outputs", "[bad][faults][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_city(heights, 1200);
    const std::string out_dir = dir.file("o");
    fs::create_directory(out_dir);
    const std::string out = out_dir + "/shade.tif";
    std::ofstream(out) << "earlier shade";
    std::ofstream(out_dir + "/shade.json") << "earlier manifest";
    Spawn spawn;
    spawn.signal = SIGTERM;
    spawn.signal_when = "shadows";
    const Outcome outcome =
        run_binary({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "06:00-20:00", "--step", "15",
                    "--tz", "America/New_York", "--out", out, "--overwrite", "--threads", "1", "--progress"},
                   spawn);
    INFO("stderr: " << outcome.err);
    REQUIRE(outcome.signal_sent);
    CHECK(outcome.status == 143);
    CHECK(entries_of(out_dir) == std::vector<std::string>{"shade.json", "shade.tif"});
    CHECK(test::read_text(out) == "earlier shade");
    CHECK(test::read_text(out_dir + "/shade.json") == "earlier manifest");
}

// A run killed by SIGKILL leaves its temporary folder; the next shade run on the folder (and
// on the masks folder) removes those of this host whose process is gone, warns, records the
// warning in the manifest, and leaves alone the folder of a live process.
TEST_CASE("a later shade run removes the temporary folders of killed runs", "[bad][faults][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_city(heights, 60);
    const std::string out_dir = dir.file("o");
    const std::string masks = out_dir + "/masks";
    fs::create_directories(masks);
    // 999999999 is above any Linux pid_max (at most 2^22): no process has it.
    const std::string dead = ".shadegap-tmp-" + host() + "-999999999-7";
    const std::string alive = ".shadegap-tmp-" + host() + "-" + std::to_string(getpid()) + "-8";
    for (const std::string& folder : {out_dir, masks})
        for (const std::string& name : {dead, alive}) {
            fs::create_directory(fs::path(folder) / name);
            std::ofstream(fs::path(folder) / name / "shade.tif") << "partial";
        }
    const std::string out = out_dir + "/shade.tif";
    const Outcome outcome = run_binary({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "12:00",
                                        "--tz", "America/New_York", "--out", out, "--masks", masks});
    INFO("stderr: " << outcome.err);
    REQUIRE(outcome.status == 0);
    const std::string message =
        "removed the temporary folder of an earlier run that was killed (process 999999999 no longer runs)";
    const std::vector<std::string> lines = lines_of(outcome.err);
    REQUIRE(lines.size() == 3);
    // The output's folder is opened first, then the masks' folder.
    CHECK(lines[0] == "shadegap: warning: " + out_dir + "/" + dead + ": " + message);
    CHECK(lines[1] == "shadegap: warning: " + masks + "/" + dead + ": " + message);
    CHECK(lines[2] == "shade at 1 instant (sun up at 1 of them); 1 mask in " + masks + "; wrote shade.tif, shade.json");
    CHECK(entries_of(out_dir) == std::vector<std::string>{alive, "masks", "shade.json", "shade.tif"});
    CHECK(entries_of(masks) == std::vector<std::string>{alive, "mask_20240715T1200.tif"});
    const std::string manifest = test::read_text(out_dir + "/shade.json");
    CHECK(manifest.find("\"code\": \"stale-temporary\"") != std::string::npos);
    CHECK(manifest.find("\"message\": \"" + message + "\"") != std::string::npos);
}

// ---------------------------------------------------------------------------------------
// A time zone that cannot be the place's

namespace {

/// The message for a zone `gap_h` hours from solar time at Norfolk's longitude.
std::string zone_error(const std::string& zone, const std::string& offset, const std::string& place,
                       const std::string& gap_h) {
    return "shadegap: error: --tz: " + zone + " is UTC" + offset + " on 2024-07-15, but solar time at " + place +
           " (longitude -76.2900°) is UTC-05:05 (longitude / 15 h): " + gap_h +
           " h apart (mod 24 h), more than the 4 h of any real zone (hint: give the place's time zone, or "
           "--force-tz to use this one anyway)\n";
}

}  // namespace

// The raster's centre is (384993, 4079009) in UTM 18N: 36.8500° N, 76.2900° W (gdaltransform
// -s_srs EPSG:32618 -t_srs EPSG:4326 gives -76.2900005). By hand: solar offset = -76.2900 / 15
// = -5.0860 h = UTC-05:05 (-305.16 min).
// - Pacific/Auckland on 2024-07-15 is NZST, UTC+12:00 (NZ daylight saving runs from the last
//   Sunday of September to the first Sunday of April): 12 - (-5.0860) = 17.0860 h, around the
//   clock 24 - 17.0860 = 6.9140 h → "6.9 h" > 4 h: refused.
// - +02:00: 2 - (-5.0860) = 7.0860 h → "7.1 h" > 4 h: refused.
// - America/New_York on 2024-07-15 is EDT, UTC-04:00: -4 - (-5.0860) = 1.0860 h ≤ 4 h: fine.
TEST_CASE("shade and sun refuse a time zone hours away from the place's solar time", "[bad][shade][tz]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_city(heights, 60);
    const std::string out_dir = dir.file("o");
    const std::string out = out_dir + "/shade.tif";
    const auto shade = [&](const std::string& zone, std::vector<std::string> more = {}) {
        std::vector<std::string> args = {"shade", "--surface", heights, "--date", "2024-07-15", "--time", "12:00",
                                         "--tz", zone, "--out", out, "--quiet"};
        args.insert(args.end(), more.begin(), more.end());
        return run_binary(args);
    };
    const auto require_refused = [&](const Outcome& outcome, const std::string& line) {
        INFO("stdout: " << outcome.out << "\nstderr: " << outcome.err);
        CHECK(outcome.killed_by == 0);
        CHECK(outcome.status == 1);
        CHECK(outcome.out.empty());
        CHECK(outcome.err == line);
        CHECK_FALSE(fs::exists(out_dir));
    };
    require_refused(shade("Pacific/Auckland"), zone_error("Pacific/Auckland", "+12:00", "the raster's centre", "6.9"));
    require_refused(shade("+02:00"), zone_error("+02:00", "+02:00", "the raster's centre", "7.1"));

    SECTION("the place's zone runs") {
        const Outcome fine = shade("America/New_York");
        INFO(fine.err);
        CHECK(fine.status == 0);
        CHECK(fine.err.empty());
        const std::string manifest = test::read_text(out_dir + "/shade.json");
        CHECK(manifest.find("\"utc_time\": \"2024-07-15T16:00:00Z\"") != std::string::npos);
    }
    SECTION("--force-tz computes with the zone given") {
        const Outcome forced = shade("Pacific/Auckland", {"--force-tz"});
        INFO(forced.err);
        CHECK(forced.status == 0);
        CHECK(forced.err.empty());
        // 12:00 NZST is 00:00 UTC: the instant the zone names, not New York's noon.
        const std::string manifest = test::read_text(out_dir + "/shade.json");
        CHECK(manifest.find("\"local_time\": \"2024-07-15T12:00:00+12:00\"") != std::string::npos);
        CHECK(manifest.find("\"utc_time\": \"2024-07-15T00:00:00Z\"") != std::string::npos);
    }
    SECTION("sun --raster and --lat/--lon") {
        const Outcome by_raster = run_binary({"sun", "--raster", heights, "--at", "2024-07-15T12:00", "--tz",
                                              "Pacific/Auckland"});
        CHECK(by_raster.status == 1);
        CHECK(by_raster.out.empty());
        CHECK(by_raster.err == zone_error("Pacific/Auckland", "+12:00", "the raster's centre", "6.9"));
        const Outcome by_place = run_binary({"sun", "--lat", "36.85", "--lon", "-76.29", "--date", "2024-07-15",
                                             "--time", "12:00", "--tz", "+02:00"});
        CHECK(by_place.status == 1);
        CHECK(by_place.out.empty());
        CHECK(by_place.err == zone_error("+02:00", "+02:00", "the place", "7.1"));
        const Outcome fine = run_binary({"sun", "--lat", "36.85", "--lon", "-76.29", "--at", "2024-07-15T12:00",
                                         "--tz", "America/New_York"});
        CHECK(fine.status == 0);
        CHECK(fine.err.empty());
        CHECK(fine.out.rfind("local_time,utc_time,azimuth_deg,elevation_deg\n2024-07-15T12:00:00-04:00,"
                             "2024-07-15T16:00:00Z,", 0) == 0);
        const Outcome forced = run_binary({"sun", "--lat", "36.85", "--lon", "-76.29", "--at", "2024-07-15T12:00",
                                           "--tz", "Pacific/Auckland", "--force-tz"});
        CHECK(forced.status == 0);
        CHECK(forced.err.empty());
        CHECK(forced.out.rfind("local_time,utc_time,azimuth_deg,elevation_deg\n2024-07-15T12:00:00+12:00,"
                               "2024-07-15T00:00:00Z,", 0) == 0);
    }
}
