// Internal helpers for OGR: error capture, opening vector files, geometry conversion.
// SPDX-License-Identifier: MIT
#pragma once

#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

#include "gdal_util.hpp"
#include "shadegap/geometry.hpp"
#include "shadegap/raster.hpp"

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

/// The transformation from a layer's CRS (`layer_wkt`, empty: none) to the raster's (traditional
/// GIS axis order), or null when they are the same. Throws CrsError naming `path` when the layer
/// has no CRS (with an ogr2ogr -a_srs hint) or its CRS cannot be read or transformed, naming the
/// raster when it has no CRS.
std::unique_ptr<OGRCoordinateTransformation> transformation_to_raster(const std::string& layer_wkt,
                                                                       const std::string& layer_crs_name,
                                                                       const std::string& layer_name,
                                                                       const std::string& path,
                                                                       const RasterInfo& raster);

std::vector<unsigned char> to_wkb(const OGRGeometry& geometry);
std::unique_ptr<OGRGeometry> from_wkb(const std::vector<unsigned char>& wkb);
/// Polygons of a (multi)polygon or collection as plain rings; other parts are ignored.
MultiPolygon to_multipolygon(const OGRGeometry& geometry);
/// Keeps only the polygonal parts of a geometry, as a MultiPolygon.
std::unique_ptr<OGRGeometry> polygonal_part(std::unique_ptr<OGRGeometry> geometry);

}  // namespace shadegap::detail
