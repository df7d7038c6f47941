// The floor of the overlay benchmark: reads every block of band 1 once through GDAL, one dataset per thread.
// SPDX-License-Identifier: MIT
//
//   shadegap_bench_decode RASTER THREADS
//
// Every natural block is decoded once with GDALReadBlock, into a buffer of the band's own
// data type: the least work GDAL does to produce every cell (no block cache, no copy, no
// conversion), with one dataset per thread. GDAL's block cache, used only when a driver
// reads through it (a VRT's sources), is held to 256 MB unless GDAL_CACHEMAX is set, more
// than the overlay allows itself. Prints one JSON line: cells, blocks, wall and CPU seconds,
// and a checksum that keeps the reads from being elided.
#include "bench_util.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: shadegap_bench_decode RASTER THREADS\n");
        return 2;
    }
    const std::string path = argv[1];
    const int threads = std::max(1, std::atoi(argv[2]));
    GDALAllRegister();
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) GDALSetCacheMax64(std::int64_t{256} << 20);

    std::vector<GDALDatasetH> datasets(static_cast<std::size_t>(threads));
    for (auto& ds : datasets) {
        ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
        if (!ds) {
            std::fprintf(stderr, "shadegap_bench_decode: error: %s: cannot open\n", path.c_str());
            return 1;
        }
    }
    GDALRasterBandH band0 = GDALGetRasterBand(datasets[0], 1);
    const std::int64_t cols = GDALGetRasterXSize(datasets[0]);
    const std::int64_t rows = GDALGetRasterYSize(datasets[0]);
    int natural_cols = 0, natural_rows = 0;
    GDALGetBlockSize(band0, &natural_cols, &natural_rows);
    const std::int64_t block_rows = natural_rows, block_cols = natural_cols;
    const GDALDataType type = GDALGetRasterDataType(band0);
    const int type_bytes = GDALGetDataTypeSizeBytes(type);
    const std::int64_t across = (cols + block_cols - 1) / block_cols;
    const std::int64_t blocks = across * ((rows + block_rows - 1) / block_rows);

    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = shadegap::bench::cpu_seconds();
    std::uint64_t checksum = 0;
    int failed = 0;
    // Each thread takes fixed, interleaved stripes of block columns in every block row, as
    // the overlay does where tiles are shared between blocks (a VRT's sources): a source tile
    // needed by two block rows is then decoded by one thread, not by both.
    const std::int64_t stripe = std::max<std::int64_t>(1, across / (static_cast<std::int64_t>(threads) * 8));
#pragma omp parallel num_threads(threads) reduction(+ : checksum, failed)
    {
        const int thread = omp_get_thread_num();
        GDALRasterBandH band = GDALGetRasterBand(datasets[static_cast<std::size_t>(thread)], 1);
        std::vector<unsigned char> buffer(static_cast<std::size_t>(block_rows * block_cols * type_bytes));
        for (std::int64_t b = 0; b < blocks; ++b) {
            if (((b % across) / stripe) % threads != thread) continue;
            // Some drivers (VRT) leave the part of an edge block past the raster untouched.
            if ((b % across + 1) * block_cols > cols || (b / across + 1) * block_rows > rows)
                std::fill(buffer.begin(), buffer.end(), static_cast<unsigned char>(0));
            if (GDALReadBlock(band, static_cast<int>(b % across), static_cast<int>(b / across), buffer.data()) !=
                CE_None) {
                ++failed;
                continue;
            }
            // One byte in 64 is enough to make the read observable.
            for (std::size_t i = 0; i < buffer.size(); i += 64) checksum += buffer[i];
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = shadegap::bench::cpu_seconds() - cpu_start;
    for (auto ds : datasets) GDALClose(ds);
    if (failed) {
        std::fprintf(stderr, "shadegap_bench_decode: error: %s: %d block reads failed\n", path.c_str(), failed);
        return 1;
    }
    std::printf("{\"cells\": %lld, \"blocks\": %lld, \"threads\": %d, \"seconds\": %.4f, \"cpu_s\": %.4f, "
                "\"checksum\": %llu}\n",
                static_cast<long long>(rows * cols), static_cast<long long>(blocks), threads, seconds, cpu,
                static_cast<unsigned long long>(checksum));
    return 0;
}
