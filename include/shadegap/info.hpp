// What shadegap sees in a raster or a vector file (`shadegap info`).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/raster.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

struct FieldInfo {
    std::string name;
    std::string type;  ///< OGR type name, e.g. "Integer64", "Real", "String"
};

struct LayerInfo {
    std::string name;
    std::string geometry_type;
    std::int64_t feature_count = 0;
    std::string crs_name;
    std::string crs_authority;
    double x_min = 0, y_min = 0, x_max = 0, y_max = 0;
    std::vector<FieldInfo> fields;
};

struct DatasetInfo {
    std::string path;
    std::string driver;
    bool is_raster = false;
    RasterInfo raster;                 ///< when is_raster
    std::vector<double> sample_values; ///< distinct values seen in a sample (≤ 32), rasters
    double sample_min = 0, sample_max = 0;
    std::string canopy_kind_guess;     ///< e.g. "binary", "percent", or empty
    std::string canopy_kind_reason;    ///< why that guess
    std::vector<LayerInfo> layers;     ///< vectors
};

/// Opens a raster or vector file and describes it. Throws InputError naming the file.
DatasetInfo describe_dataset(const std::string& path);

}  // namespace shadegap
