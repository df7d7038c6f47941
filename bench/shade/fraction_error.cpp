// Difference between two shade-fraction rasters of `shadegap shade` on one grid: mean, 99.9th
// percentile and largest |a − b| over the cells valid in both, in percentage points.
// Usage: shadegap_bench_fraction_error A.tif B.tif
// SPDX-License-Identifier: MIT
#include <gdal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

bool read(const char* path, std::vector<float>& values, int& cols, int& rows, double& nodata) {
    GDALDatasetH dataset = GDALOpen(path, GA_ReadOnly);
    if (!dataset) return false;
    cols = GDALGetRasterXSize(dataset);
    rows = GDALGetRasterYSize(dataset);
    GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
    nodata = GDALGetRasterNoDataValue(band, nullptr);
    values.resize(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows));
    const bool ok = GDALRasterIO(band, GF_Read, 0, 0, cols, rows, values.data(), cols, rows, GDT_Float32, 0, 0) == CE_None;
    GDALClose(dataset);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s A.tif B.tif\n", argv[0]);
        return 2;
    }
    GDALAllRegister();
    std::vector<float> a, b;
    int cols_a = 0, rows_a = 0, cols_b = 0, rows_b = 0;
    double nodata_a = 0, nodata_b = 0;
    if (!read(argv[1], a, cols_a, rows_a, nodata_a) || !read(argv[2], b, cols_b, rows_b, nodata_b) ||
        cols_a != cols_b || rows_a != rows_b) {
        std::fprintf(stderr, "cannot read two rasters of one size\n");
        return 1;
    }
    std::vector<double> differences;
    differences.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == static_cast<float>(nodata_a) || b[i] == static_cast<float>(nodata_b)) continue;
        differences.push_back(100.0 * std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    }
    if (differences.empty()) {
        std::fprintf(stderr, "no cell is valid in both\n");
        return 1;
    }
    double sum = 0;
    for (const double d : differences) sum += d;
    std::sort(differences.begin(), differences.end());
    const std::size_t at = std::min(differences.size() - 1,
                                    static_cast<std::size_t>(std::ceil(0.999 * static_cast<double>(differences.size()))) - 1);
    std::printf("cells %zu  mean %.4f pp  p99.9 %.4f pp  max %.4f pp\n", differences.size(),
                sum / static_cast<double>(differences.size()), differences[at], differences.back());
    return 0;
}
