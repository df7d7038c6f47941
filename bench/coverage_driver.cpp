// Exact coverage alone, without the raster: every unit–block pair of the overlay's block grid,
// in block order, streamed to a sink that only adds up what it is handed. For experiments on
// the coverage code (src/lib/coverage.cpp), whose cost inside the overlay mixes with decoding.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_coverage RASTER UNITS ID_FIELD [ROUNDS] [BLOCK or ROWSxCOLS]
//
// ROUNDS (default 7) passes over all pairs; BLOCK defaults to 256 cells a side, the overlay's
// block on 256 × 256 tiles. Prints one JSON line: pairs, window rows, the minimum and median
// seconds of a pass, and the covered cells the sink added up (a tiling of the raster covers
// every cell once) with a checksum of the runs' positions (equal checksums: the same runs).
#include "block_iteration.hpp"
#include "coverage_runs.hpp"
#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/zones.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// Adds up what the rasteriser hands on: covered cells, and the runs' positions.
struct TotalSink {
    double covered = 0;
    std::uint64_t positions = 0;
    void row(std::int64_t r) { positions += static_cast<std::uint64_t>(r); }
    void span(std::int64_t col, std::int64_t count, double fraction) {
        covered += static_cast<double>(count) * fraction;
        positions = positions * 31 + static_cast<std::uint64_t>(col * 7 + count);
    }
    void cell(std::int64_t col, double fraction) {
        covered += fraction;
        positions = positions * 31 + static_cast<std::uint64_t>(col);
    }
};

struct Pair {
    std::int64_t block;
    std::size_t zone;
    shadegap::Window window;
};

}  // namespace

int main(int argc, char** argv) {
    using clock = std::chrono::steady_clock;
    if (argc < 4 || argc > 6) {
        std::fprintf(stderr, "usage: shadegap_bench_coverage RASTER UNITS ID_FIELD [ROUNDS] [BLOCK]\n");
        return 2;
    }
    try {
        shadegap::Diagnostics diagnostics;
        const shadegap::RasterInfo info = shadegap::describe_raster(argv[1]);
        const shadegap::ZoneLayer layer = shadegap::read_zone_layer({argv[2], "", argv[3], "", {}, {}}, diagnostics);
        const shadegap::AlignedZones zones = shadegap::align_zones(layer, info, diagnostics);
        const int rounds = argc >= 5 ? std::max(1, std::atoi(argv[4])) : 7;
        std::int64_t block_rows = 256, block_cols = 256;
        if (argc == 6) {  // BLOCK or ROWSxCOLS
            block_rows = block_cols = std::atoi(argv[5]);
            if (const char* x = std::strchr(argv[5], 'x')) block_cols = std::atoi(x + 1);
        }
        const shadegap::Grid& grid = info.grid;
        const shadegap::detail::BlockLayout layout(grid.rows, grid.cols, block_rows, block_cols);
        const std::int64_t across = (grid.cols + layout.block_cols() - 1) / layout.block_cols();

        // Each unit in cell coordinates once, then one pair per block its box meets.
        std::vector<shadegap::detail::CellPolygon> cells(zones.polygons.size());
        std::vector<Pair> pairs;
        std::int64_t rows = 0;
        for (std::size_t z = 0; z < zones.polygons.size(); ++z) {
            const shadegap::Box box = shadegap::bounding_box(zones.polygons[z]);
            const shadegap::Window w = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
            if (w.empty()) continue;
            cells[z] = shadegap::detail::to_cell_polygon(grid, zones.polygons[z]);
            for (std::int64_t br = w.row0 / layout.block_rows(); br <= (w.row0 + w.rows - 1) / layout.block_rows(); ++br) {
                for (std::int64_t bc = w.col0 / layout.block_cols(); bc <= (w.col0 + w.cols - 1) / layout.block_cols();
                     ++bc) {
                    const std::int64_t block = br * across + bc;
                    const shadegap::Window part = shadegap::detail::intersect(w, layout.window(block));
                    if (part.empty()) continue;
                    pairs.push_back({block, z, part});
                    rows += part.rows;
                }
            }
        }
        std::sort(pairs.begin(), pairs.end(),
                  [](const Pair& a, const Pair& b) { return a.block != b.block ? a.block < b.block : a.zone < b.zone; });

        shadegap::detail::CoverageRasteriser rasteriser;
        std::vector<double> seconds;
        TotalSink total;
        for (int round = 0; round < rounds; ++round) {
            TotalSink sink;
            const auto start = clock::now();
            for (const Pair& pair : pairs) rasteriser.stream(cells[pair.zone], pair.window, sink);
            seconds.push_back(std::chrono::duration<double>(clock::now() - start).count());
            total = sink;
        }
        std::sort(seconds.begin(), seconds.end());
        std::printf("{\"pairs\": %zu, \"rows\": %lld, \"rounds\": %d, \"min_s\": %.4f, \"median_s\": %.4f, "
                    "\"covered_cells\": %.3f, \"checksum\": \"%016llx\"}\n",
                    pairs.size(), static_cast<long long>(rows), rounds, seconds.front(), seconds[seconds.size() / 2],
                    total.covered, static_cast<unsigned long long>(total.positions));
    } catch (const shadegap::Error& error) {
        std::fprintf(stderr, "shadegap_bench_coverage: error: %s: %s\n", error.subject().c_str(), error.message().c_str());
        return 1;
    }
    return 0;
}
