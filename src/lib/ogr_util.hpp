// Internal helpers for OGR: error capture, opening vector files, geometry conversion.
// SPDX-License-Identifier: MIT
#pragma once

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

#include "gdal_util.hpp"
#include "shadegap/geometry.hpp"

#include <memory>
#include <string>
#include <vector>

namespace shadegap::detail {

using ErrorCapture = GdalErrorCapture;

/// Opens a vector dataset; throws InputError "PATH: ..." when missing or unreadable.
GDALDatasetUniquePtr open_vector(const std::string& path, const char* const* allowed_drivers = nullptr,
                                 const char* const* open_options = nullptr);
/// The named layer, or the only one; throws InputError listing the layers.
OGRLayer* find_layer(GDALDataset& dataset, const std::string& path, const std::string& layer);

/// A spatial reference with the traditional GIS axis order (x = easting/longitude).
std::unique_ptr<OGRSpatialReference> srs_from_wkt(const std::string& wkt);
std::string srs_name(const OGRSpatialReference* srs);

std::vector<unsigned char> to_wkb(const OGRGeometry& geometry);
std::unique_ptr<OGRGeometry> from_wkb(const std::vector<unsigned char>& wkb);
/// Polygons of a (multi)polygon or collection as plain rings; other parts are ignored.
MultiPolygon to_multipolygon(const OGRGeometry& geometry);
/// Keeps only the polygonal parts of a geometry, as a MultiPolygon.
std::unique_ptr<OGRGeometry> polygonal_part(std::unique_ptr<OGRGeometry> geometry);

}  // namespace shadegap::detail
