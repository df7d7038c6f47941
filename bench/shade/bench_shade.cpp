// Benchmark of shadow casting: cells × sun positions per second, sweep vs ray-march reference.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_shade [SIZE [POSITIONS [REFERENCE [THREADS...]]]]
//
// Casts POSITIONS (default 24) sun positions of a July day in New York over a SIZE × SIZE
// (default 5000) synthetic city with cast_shadows() at each thread count (default 1 2), and
// prints wall-clock and CPU seconds, cells × positions per second, and a digest of the masks:
// equal digests at every thread count, or the program fails. REFERENCE (default 2) positions
// are also cast by the ray march and must equal the sweep. Only public API is used, so the
// same source builds against an older library for a side-by-side comparison.
#include "../bench_util.hpp"
#include "shadegap/shade.hpp"
#include "shadegap/sun.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

/// A deterministic city: blocks of buildings 6–60 m tall on a street grid, and round tree
/// crowns 5–20 m tall in the streets, on 1 m cells.
HeightModel make_city(std::int64_t size) {
    HeightModel model;
    model.cols = model.rows = size;
    model.opaque.assign(static_cast<std::size_t>(size * size), 0.0F);
    model.canopy.assign(static_cast<std::size_t>(size * size), 0.0F);
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> unit(0, 1);
    for (std::int64_t r0 = 0; r0 < size; r0 += 100)
        for (std::int64_t c0 = 0; c0 < size; c0 += 100)
            for (std::int64_t br = 10; br < 90; br += 20)
                for (std::int64_t bc = 10; bc < 90; bc += 20) {
                    const float h = static_cast<float>(6 + 54 * unit(rng) * unit(rng));
                    for (std::int64_t r = r0 + br; r < std::min(size, r0 + br + 16); ++r)
                        for (std::int64_t c = c0 + bc; c < std::min(size, c0 + bc + 16); ++c)
                            model.opaque[static_cast<std::size_t>(r * size + c)] = h;
                }
    const std::int64_t trees = size * size / 400;
    for (std::int64_t t = 0; t < trees; ++t) {
        const auto cr = static_cast<std::int64_t>(unit(rng) * static_cast<double>(size));
        const auto cc = static_cast<std::int64_t>(unit(rng) * static_cast<double>(size));
        const double radius = 2 + 4 * unit(rng);
        const float h = static_cast<float>(5 + 15 * unit(rng));
        for (std::int64_t r = cr - 6; r <= cr + 6; ++r)
            for (std::int64_t c = cc - 6; c <= cc + 6; ++c)
                if (r >= 0 && c >= 0 && r < size && c < size && std::hypot(r - cr, c - cc) <= radius) {
                    float& cell = model.canopy[static_cast<std::size_t>(r * size + c)];
                    cell = std::max(cell, h);
                }
    }
    return model;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t size = argc > 1 ? std::atoll(argv[1]) : 5000;
    const int positions = argc > 2 ? std::atoi(argv[2]) : 24;
    const int reference_positions = argc > 3 ? std::atoi(argv[3]) : 2;
    const HeightModel city = make_city(size);

    // A summer day in New York, every 30 minutes from 06:00, sun above the horizon.
    const SunSampling sampling = sample_sun(parse_date_range("2024-07-15", "date"), parse_clock_window("06:00-19:30", "time"),
                                            30, TimeZone::parse("America/New_York"), 40.7, -74.0);
    std::vector<SunDirection> suns;
    for (const SunSample& s : sampling.samples)
        if (s.position.above_horizon() && static_cast<int>(suns.size()) < positions)
            suns.push_back({s.position.azimuth_deg, s.position.elevation_deg});
    const double cells = static_cast<double>(size * size);
    std::printf("heights %lld x %lld cells, %zu sun positions (elevation %.1f to %.1f deg)\n",
                static_cast<long long>(size), static_cast<long long>(size), suns.size(), suns.front().elevation_deg,
                suns[suns.size() / 2].elevation_deg);

    std::vector<int> thread_counts;
    for (int k = 4; k < argc; ++k) thread_counts.push_back(std::atoi(argv[k]));
    if (thread_counts.empty()) thread_counts = {1, 2};
    // The masks of the reference positions are kept; the others only go into the digest.
    std::vector<std::size_t> reference;
    for (int k = 0; k < reference_positions && k < static_cast<int>(suns.size()); ++k)
        reference.push_back(suns.size() == 1 ? 0 : static_cast<std::size_t>(k) * (suns.size() - 1) /
                                                     static_cast<std::size_t>(std::max(1, reference_positions - 1)));
    std::vector<std::vector<std::uint8_t>> first(suns.size());
    std::uint64_t first_digest = 0;
    for (const int threads : thread_counts) {
        const auto start = std::chrono::steady_clock::now();
        const double cpu_start = bench::cpu_seconds();
        std::uint64_t digest = 0xcbf29ce484222325ULL;
        for (std::size_t k = 0; k < suns.size(); ++k) {
            std::vector<std::uint8_t> mask = cast_shadows(city, suns[k], {1024, threads});
            for (const std::uint8_t b : mask) digest = (digest ^ b) * 0x100000001b3ULL;
            if (first_digest == 0 && std::find(reference.begin(), reference.end(), k) != reference.end())
                first[k] = std::move(mask);
        }
        const double seconds = seconds_since(start);
        const double cpu = bench::cpu_seconds() - cpu_start;
        std::printf("sweep, %d thread%s: %.2f s wall, %.2f s CPU, %.3g cells x positions / s, digest %016llx\n",
                    threads, threads == 1 ? "" : "s", seconds, cpu, cells * static_cast<double>(suns.size()) / seconds,
                    static_cast<unsigned long long>(digest));
        if (first_digest == 0) first_digest = digest;
        else if (digest != first_digest) { std::printf("error: masks differ between thread counts\n"); return 1; }
    }
    const auto start = std::chrono::steady_clock::now();
    int checked = 0;
    for (const std::size_t index : reference) {  // spread over the day, low sun included
        if (cast_shadows_by_ray_march(city, suns[index]) != first[index]) {
            std::printf("error: the sweep and the ray march differ at position %zu\n", index);
            return 1;
        }
        ++checked;
    }
    const double seconds = seconds_since(start);
    if (checked > 0)
        std::printf("ray march reference, 1 thread: %.2f s for %d positions, %.3g cells x positions / s; masks identical\n",
                    seconds, checked, cells * checked / seconds);
    return 0;
}
