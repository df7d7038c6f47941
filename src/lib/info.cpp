// describe_dataset: a raster's grid, CRS and sampled values, or a vector's layers and fields.
// SPDX-License-Identifier: MIT
#include "shadegap/info.hpp"

#include "shadegap/error.hpp"

#include "gdal_util.hpp"

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

namespace shadegap {
namespace {

/// At most this many cells are read to sample a raster's values: 16 windows of 256 × 256.
constexpr std::int64_t max_sample_cells = 1 << 20;
constexpr std::int64_t sample_window_edge = 256;
constexpr int sample_windows_per_side = 4;
constexpr std::size_t max_listed_values = 32;
constexpr std::size_t max_class_count = 20;

struct Sample {
    std::set<double> distinct;  ///< the smallest distinct valid values, at most max_listed_values
    bool more_values = false;   ///< more distinct values than `distinct` holds
    bool all_integer = true;
    std::int64_t valid_count = 0;
    double min = 0;
    double max = 0;
};

/// GDAL virtual file systems and connection strings ("PG:dbname=x") are not plain files.
bool is_plain_path(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) return false;
    static const std::regex prefix(R"(^[A-Za-z][A-Za-z0-9_]+:)");
    return !std::regex_search(path, prefix);
}

/// The whole raster when it is small, else windows spread evenly over it, aligned to its
/// blocks so that each read touches as few blocks as possible.
std::vector<Window> sample_windows(const RasterInfo& raster) {
    const Grid& grid = raster.grid;
    if (grid.cols * grid.rows <= max_sample_cells) return {grid.full_window()};
    const std::int64_t cols = std::min(grid.cols, sample_window_edge);
    const std::int64_t rows = std::min(grid.rows, sample_window_edge);
    const auto snap = [](std::int64_t offset, std::int64_t block, std::int64_t edge) {
        return block > 0 && block <= edge ? offset - offset % block : offset;
    };
    std::vector<Window> windows;
    for (int i = 0; i < sample_windows_per_side; ++i) {
        for (int j = 0; j < sample_windows_per_side; ++j) {
            const std::int64_t row0 = (grid.rows - rows) * i / (sample_windows_per_side - 1);
            const std::int64_t col0 = (grid.cols - cols) * j / (sample_windows_per_side - 1);
            windows.push_back({snap(row0, raster.block_rows, rows), snap(col0, raster.block_cols, cols), rows, cols});
        }
    }
    return windows;
}

Sample sample_band(GDALRasterBand& band, const RasterInfo& raster) {
    Sample sample;
    std::vector<double> values;
    for (const Window& window : sample_windows(raster)) {
        values.resize(static_cast<std::size_t>(window.cell_count()));
        detail::GdalErrorCapture capture;
        const CPLErr status =
            band.RasterIO(GF_Read, static_cast<int>(window.col0), static_cast<int>(window.row0),
                          static_cast<int>(window.cols), static_cast<int>(window.rows), values.data(),
                          static_cast<int>(window.cols), static_cast<int>(window.rows), GDT_Float64, 0, 0,
                          nullptr);
        if (status != CE_None)
            throw InputError(raster.path, capture.explain(fmt::format(
                                              "cannot read band 1 at row {}, column {}", window.row0, window.col0)));
        for (const double value : values) {
            if (std::isnan(value) || (raster.nodata && value == *raster.nodata)) continue;
            if (sample.valid_count == 0) sample.min = sample.max = value;
            sample.min = std::min(sample.min, value);
            sample.max = std::max(sample.max, value);
            ++sample.valid_count;
            if (value != std::floor(value)) sample.all_integer = false;
            sample.distinct.insert(value);
            if (sample.distinct.size() > max_listed_values) {
                sample.distinct.erase(std::prev(sample.distinct.end()));
                sample.more_values = true;
            }
        }
    }
    return sample;
}

/// Guesses the --canopy-kind from the sampled values and says why.
void guess_canopy_kind(const Sample& sample, DatasetInfo& info) {
    const std::set<double>& values = sample.distinct;
    if (sample.valid_count == 0) {
        info.canopy_kind_reason = "no guess: the sample holds no valid cell (all nodata)";
        return;
    }
    const bool only_zero_one = !sample.more_values && std::all_of(values.begin(), values.end(), [](double v) {
        return v == 0.0 || v == 1.0;
    });
    if (only_zero_one) {
        info.canopy_kind_guess = "binary";
        info.canopy_kind_reason = "only the values 0 and 1 (1 = canopy)";
    } else if (sample.all_integer && !sample.more_values && values.size() <= max_class_count) {
        const auto example = std::find_if(values.begin(), values.end(), [](double v) { return v != 0.0; });
        info.canopy_kind_guess = "classes=…";
        info.canopy_kind_reason =
            fmt::format("{} distinct whole values look like land-cover classes; pick the canopy classes, e.g. "
                        "classes={}",
                        values.size(), example == values.end() ? *values.begin() : *example);
    } else if (sample.min >= 0.0 && sample.max <= 1.0) {
        info.canopy_kind_guess = "fraction";
        info.canopy_kind_reason = "values between 0 and 1: the canopy share of each cell";
    } else if (sample.min >= 0.0 && sample.max <= 100.0) {
        info.canopy_kind_guess = "percent";
        info.canopy_kind_reason = "values between 0 and 100: the canopy percentage of each cell";
    } else {
        info.canopy_kind_guess = "min=…";
        info.canopy_kind_reason = fmt::format(
            "values from {} to {} look continuous, like canopy height or NDVI; pick a threshold, e.g. min=2 "
            "for heights in metres",
            sample.min, sample.max);
    }
}

std::string authority_of(const OGRSpatialReference& srs) {
    const char* authority = srs.GetAuthorityName(nullptr);
    const char* code = srs.GetAuthorityCode(nullptr);
    return authority && code ? std::string(authority) + ":" + code : std::string();
}

void describe_crs(const OGRSpatialReference& srs, std::string& name, std::string& authority) {
    const char* srs_name = srs.GetName();
    name = srs_name ? srs_name : "";
    authority = authority_of(srs);
    if (authority.empty()) {
        OGRSpatialReference identified(srs);
        if (identified.AutoIdentifyEPSG() == OGRERR_NONE) authority = authority_of(identified);
    }
}

LayerInfo describe_layer(OGRLayer& layer) {
    LayerInfo info;
    info.name = layer.GetName();
    info.geometry_type = OGRGeometryTypeToName(layer.GetGeomType());
    info.feature_count = layer.GetFeatureCount(TRUE);
    if (const OGRSpatialReference* srs = layer.GetSpatialRef()) describe_crs(*srs, info.crs_name, info.crs_authority);
    OGREnvelope envelope;
    if (info.feature_count > 0 && layer.GetExtent(&envelope, TRUE) == OGRERR_NONE) {
        info.x_min = envelope.MinX;
        info.y_min = envelope.MinY;
        info.x_max = envelope.MaxX;
        info.y_max = envelope.MaxY;
    }
    const OGRFeatureDefn* definition = layer.GetLayerDefn();
    for (int i = 0; i < definition->GetFieldCount(); ++i) {
        const OGRFieldDefn* field = definition->GetFieldDefn(i);
        info.fields.push_back({field->GetNameRef(), OGRFieldDefn::GetFieldTypeName(field->GetType())});
    }
    return info;
}

}  // namespace

DatasetInfo describe_dataset(const std::string& path) {
    detail::ensure_gdal_registered();
    std::error_code ignored;
    if (is_plain_path(path) && !std::filesystem::exists(path, ignored)) throw InputError(path, "no such file");

    detail::GdalErrorCapture capture;
    GDALDatasetUniquePtr dataset(GDALDataset::Open(
        path.c_str(), GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR));
    if (!dataset) {
        const std::string gdal_message = capture.message();
        throw InputError(path, "not a raster or vector dataset GDAL can open" +
                                   (gdal_message.empty() ? std::string() : " (" + gdal_message + ")"));
    }

    DatasetInfo info;
    info.path = path;
    if (GDALDriver* driver = dataset->GetDriver()) info.driver = driver->GetDescription();
    if (dataset->GetRasterCount() > 0) {
        info.is_raster = true;
        info.raster = describe_raster(path);
        const Sample sample = sample_band(*dataset->GetRasterBand(1), info.raster);
        info.sample_values.assign(sample.distinct.begin(), sample.distinct.end());
        info.sample_min = sample.min;
        info.sample_max = sample.max;
        guess_canopy_kind(sample, info);
    }
    for (OGRLayer* layer : dataset->GetLayers()) info.layers.push_back(describe_layer(*layer));
    if (!info.is_raster && info.layers.empty())
        throw InputError(path, "holds neither a raster band nor a vector layer (a container of subdatasets?)");
    return info;
}

}  // namespace shadegap
