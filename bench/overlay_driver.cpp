// The overlay stage alone: loads and aligns census units, then times shadegap::overlay_zones.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_overlay RASTER UNITS ID_FIELD KIND THREADS [BLOCK] [shade=SHADE]
//
// BLOCK (cells a side, or ROWSxCOLS) overrides the overlay's block size, to see what it changes.
// shade=SHADE sums a shade raster beside the land cover (as `run --shade`, over the land mask
// without excluded classes).
// Prints one JSON line: the load+align and overlay seconds (wall clock, and the overlay's
// CPU seconds summed over threads, which a busy machine disturbs less), the zone and cell
// counts, the covered cells, and a digest of the result's bytes (equal digests: identical results).
#include "bench_util.hpp"
#include "shadegap/error.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/zones.hpp"

#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// FNV-1a over the bytes of every sum, zone by zone (the shade sums too, with a shade raster).
std::uint64_t digest(const std::vector<shadegap::ZoneSums>& sums, bool shade) {
    shadegap::bench::Digest hash;
    for (const auto& s : sums) {
        hash.add({s.valid_m2, s.canopy_m2, s.water_m2, s.nodata_m2, s.covered_m2});
        if (shade) hash.add({s.shade_mask_m2, s.shade_m2});
    }
    return hash.value();
}

}  // namespace

int main(int argc, char** argv) {
    using clock = std::chrono::steady_clock;
    if (argc < 6 || argc > 8) {
        std::fprintf(stderr, "usage: shadegap_bench_overlay RASTER UNITS ID_FIELD KIND THREADS [BLOCK] [shade=SHADE]\n");
        return 2;
    }
    try {
        const std::string raster = argv[1];
        const auto start = clock::now();
        shadegap::Diagnostics diagnostics;
        const shadegap::RasterInfo info = shadegap::describe_raster(raster);
        const shadegap::ZoneLayer layer = shadegap::read_zone_layer({argv[2], "", argv[3], "", {}, {}}, diagnostics);
        const shadegap::AlignedZones zones = shadegap::align_zones(layer, info, diagnostics);
        const auto aligned = clock::now();
        const double cpu_before = shadegap::bench::cpu_seconds();

        shadegap::OverlayOptions options;
        options.kind = shadegap::CanopyKind::parse(argv[4]);
        options.threads = std::atoi(argv[5]);
        for (int a = 6; a < argc; ++a) {
            if (std::strncmp(argv[a], "shade=", 6) == 0) {
                options.shade.path = argv[a] + 6;
            } else {  // BLOCK or ROWSxCOLS
                options.block_rows = options.block_cols = std::atoi(argv[a]);
                if (const char* x = std::strchr(argv[a], 'x')) options.block_cols = std::atoi(x + 1);
            }
        }
        const std::vector<shadegap::ZoneSums> sums = shadegap::overlay_zones(raster, zones.polygons, options);
        const auto done = clock::now();
        const double overlay_cpu_s = shadegap::bench::cpu_seconds() - cpu_before;

        double covered_m2 = 0;
        for (const auto& s : sums) covered_m2 += s.covered_m2;
        const shadegap::CellAreas areas(info);
        std::printf("{\"load_align_s\": %.4f, \"overlay_s\": %.4f, \"overlay_cpu_s\": %.4f, \"zones\": %zu, \"cells\": %lld, "
                    "\"covered_cells\": %.0f, \"threads\": %d, \"digest\": \"%016llx\"}\n",
                    std::chrono::duration<double>(aligned - start).count(),
                    std::chrono::duration<double>(done - aligned).count(), overlay_cpu_s, sums.size(),
                    static_cast<long long>(info.grid.rows * info.grid.cols), covered_m2 / areas.cell_area_m2(0),
                    options.threads, static_cast<unsigned long long>(digest(sums, !options.shade.path.empty())));
    } catch (const shadegap::Error& error) {
        std::fprintf(stderr, "shadegap_bench_overlay: error: %s: %s\n", error.subject().c_str(), error.message().c_str());
        return 1;
    }
    return 0;
}
