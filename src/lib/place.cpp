// The place of a raster: its centre in WGS 84 through PROJ, and the grid's convergence there.
// SPDX-License-Identifier: MIT
#include "shadegap/place.hpp"

#include "gdal_util.hpp"
#include "shadegap/error.hpp"

#include <fmt/format.h>
#include <ogr_srs_api.h>

#include <cmath>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;

}  // namespace

RasterPlace locate_raster(const RasterInfo& raster) {
    if (raster.crs_wkt.empty()) {
        CrsError error(raster.path, "has no CRS, so the place of the sun cannot be known");
        error.with_hint("assign the CRS, e.g. gdal_edit.py -a_srs EPSG:32618");
        throw error;
    }
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture capture;
    detail::OwnedSrs source(OSRNewSpatialReference(nullptr));
    detail::OwnedSrs wgs84(OSRNewSpatialReference(nullptr));
    if (OSRSetFromUserInput(source.get(), raster.crs_wkt.c_str()) != OGRERR_NONE || OSRImportFromEPSG(wgs84.get(), 4326) != OGRERR_NONE)
        throw CrsError(raster.path, capture.explain("its CRS cannot be read"));
    OSRSetAxisMappingStrategy(source.get(), OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(wgs84.get(), OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH to_wgs84 = OCTNewCoordinateTransformation(source.get(), wgs84.get());
    OGRCoordinateTransformationH to_grid = OCTNewCoordinateTransformation(wgs84.get(), source.get());
    const auto cleanup = [&] {
        if (to_wgs84) OCTDestroyCoordinateTransformation(to_wgs84);
        if (to_grid) OCTDestroyCoordinateTransformation(to_grid);
    };
    if (!to_wgs84 || !to_grid) {
        cleanup();
        throw CrsError(raster.path, capture.explain("no transformation between its CRS and WGS 84"));
    }
    const Grid& g = raster.grid;
    double x = 0.5 * (g.x_min + g.x_max());
    double y = 0.5 * (g.y_min() + g.y_max);
    const double centre_x = x;
    const double centre_y = y;
    RasterPlace place;
    int ok = 0;
    if (!OCTTransformEx(to_wgs84, 1, &x, &y, nullptr, &ok) || !ok) {
        cleanup();
        throw CrsError(raster.path, capture.explain(fmt::format("its centre ({}, {}) cannot be transformed to WGS 84",
                                                                centre_x, centre_y)));
    }
    place.longitude_deg = x;
    place.latitude_deg = y;
    // True north on the grid: a point a little north of the centre, back in the grid's CRS.
    const double step_deg = place.latitude_deg < 89.9 ? 1e-4 : -1e-4;
    double north_x = place.longitude_deg;
    double north_y = place.latitude_deg + step_deg;
    ok = 0;
    if (OCTTransformEx(to_grid, 1, &north_x, &north_y, nullptr, &ok) && ok) {
        const double sign = step_deg > 0 ? 1 : -1;
        place.grid_convergence_deg = std::atan2(sign * (north_x - centre_x), sign * (north_y - centre_y)) * 180 / pi;
    }
    cleanup();
    return place;
}

}  // namespace shadegap
