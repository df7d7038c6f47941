// Faults of `shadegap shade` and `shadegap sun` through the built binary: signals, temporary
// folders left by killed runs, and a time zone that cannot be the place's (docs/bad-input.md,
// section "shade").
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "spawn_binary.hpp"

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
using Outcome = test::SpawnOutcome;

Outcome run_binary(const std::vector<std::string>& args, const Spawn& spawn = {}) {
    return test::spawn_binary(SHADEGAP_BINARY, args, spawn);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// Names in a folder, sorted, hidden ones included (none when it does not exist).
std::vector<std::string> entries_of(const std::string& folder) {
    std::vector<std::string> names;
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
}

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
