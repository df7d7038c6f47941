// describe_dataset: a raster's grid, CRS and sampled values, or a vector's layers and fields.
// SPDX-License-Identifier: MIT
#include "shadegap/info.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/sample.hpp"

#include "gdal_util.hpp"

#include <fmt/format.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace shadegap {
namespace {

/// `shadegap info` lists at most this many of the sampled values (the smallest).
constexpr std::size_t max_listed_values = 32;

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
        const ValueSample sample = sample_raster(info.raster);
        const auto listed_end = std::next(sample.distinct.begin(),
                                          static_cast<std::ptrdiff_t>(std::min(sample.distinct.size(), max_listed_values)));
        info.sample_values.assign(sample.distinct.begin(), listed_end);
        info.sample_min = sample.min;
        info.sample_max = sample.max;
        const CanopyKindGuess guess = guess_canopy_kind(sample);
        info.canopy_kind_guess = guess.text;
        info.canopy_kind_reason = guess.reason;
    }
    for (OGRLayer* layer : dataset->GetLayers()) info.layers.push_back(describe_layer(*layer));
    if (!info.is_raster && info.layers.empty())
        throw InputError(path, "holds neither a raster band nor a vector layer (a container of subdatasets?)");
    return info;
}

}  // namespace shadegap
