// measure_lines alone: random street edges over a raster, timed.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_lines RASTER THREADS [LINES] [LENGTH_M] [BLOCK]
//
// RASTER is made first if it does not exist: 10,000 × 10,000 cells of 1 m in UTM 18N, Byte
// random values 0–100 (percent shade; noise, the worst case for DEFLATE) in tiles of 256, with 255 as nodata here and there. LINES
// straight lines (default 100,000) of LENGTH_M metres (default 80) start at random points
// of the raster and head in random directions. Prints one JSON line: the seconds (wall
// clock and CPU over all threads), the total length, shaded and unknown metres, and a
// digest of the result's bytes (equal digests: identical results).
#include "shadegap/lines.hpp"
#include "shadegap/raster.hpp"

#include "bench_util.hpp"

#include <gdal.h>
#include <ogr_srs_api.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int side = 10000;

void make_raster(const std::string& path) {
    GDALAllRegister();
    const char* options[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", nullptr};
    GDALDatasetH dataset =
        GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), side, side, 1, GDT_Byte, const_cast<char**>(options));
    if (dataset == nullptr) {
        std::fprintf(stderr, "cannot create %s\n", path.c_str());
        std::exit(1);
    }
    double gt[6] = {500000, 1, 0, 4500000, 0, -1};
    GDALSetGeoTransform(dataset, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32618);
    GDALSetSpatialRef(dataset, srs);
    OSRRelease(srs);
    GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
    GDALSetRasterNoDataValue(band, 255);
    std::mt19937 random(1);
    std::vector<std::uint8_t> row(side);
    for (int r = 0; r < side; ++r) {
        for (int c = 0; c < side; ++c) row[static_cast<std::size_t>(c)] = random() % 1000 == 0 ? 255 : random() % 101;
        if (GDALRasterIO(band, GF_Write, 0, r, side, 1, row.data(), side, 1, GDT_Byte, 0, 0) != CE_None) std::exit(1);
    }
    GDALClose(dataset);
}

std::uint64_t digest(const std::vector<shadegap::LineShade>& result) {
    shadegap::bench::Digest hash;
    for (const auto& s : result) hash.add({s.length_m, s.shaded_m, s.unknown_m});
    return hash.value();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 6) {
        std::fprintf(stderr, "usage: shadegap_bench_lines RASTER THREADS [LINES] [LENGTH_M] [BLOCK]\n");
        return 2;
    }
    const std::string path = argv[1];
    const int threads = std::atoi(argv[2]);
    const int count = argc > 3 ? std::atoi(argv[3]) : 100000;
    const double length = argc > 4 ? std::atof(argv[4]) : 80;
    const int block = argc > 5 ? std::atoi(argv[5]) : 0;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        std::fclose(f);
    } else {
        make_raster(path);
    }
    const shadegap::RasterInfo info = shadegap::describe_raster(path);

    std::mt19937_64 random(2);
    std::uniform_real_distribution<double> x(info.grid.x_min, info.grid.x_max());
    std::uniform_real_distribution<double> y(info.grid.y_min(), info.grid.y_max);
    std::uniform_real_distribution<double> angle(0, 2 * 3.14159265358979323846);
    std::vector<shadegap::Polyline> lines;
    lines.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        const double x0 = x(random), y0 = y(random), a = angle(random);
        lines.push_back({{x0, y0}, {x0 + length * std::cos(a), y0 + length * std::sin(a)}});
    }
    const shadegap::ShadeOf percent = [](double v) -> std::optional<double> {
        if (v >= 0 && v <= 100) return v / 100;
        return std::nullopt;
    };

    const double cpu_start = shadegap::bench::cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const std::vector<shadegap::LineShade> result = shadegap::measure_lines(info, percent, lines, threads, block);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = shadegap::bench::cpu_seconds() - cpu_start;
    double total = 0, shaded = 0, unknown = 0;
    for (const auto& s : result) {
        total += s.length_m;
        shaded += s.shaded_m;
        unknown += s.unknown_m;
    }
    std::printf("{\"lines\": %d, \"threads\": %d, \"seconds\": %.3f, \"cpu_seconds\": %.3f, \"length_km\": %.3f, "
                "\"shaded_km\": %.3f, \"unknown_km\": %.3f, \"digest\": \"%016llx\"}\n",
                count, threads, seconds, cpu, total / 1000, shaded / 1000, unknown / 1000,
                static_cast<unsigned long long>(digest(result)));
    return 0;
}
