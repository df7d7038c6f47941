// Where a raster lies on the Earth: its centre in WGS 84 and the direction of true north there.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/raster.hpp"

namespace shadegap {

/// Where a raster lies on the Earth: its centre in WGS 84 degrees (through PROJ) and the angle
/// from the grid's north to true north there, degrees clockwise (meridian convergence: the true
/// azimuth A of the sun is A + grid_convergence_deg on the grid).
struct RasterPlace {
    double latitude_deg = 0;
    double longitude_deg = 0;
    double grid_convergence_deg = 0;
};

/// The place of a raster. Throws CrsError (subject: the raster's path) when it has no CRS or
/// the centre cannot be transformed.
RasterPlace locate_raster(const RasterInfo& raster);

}  // namespace shadegap
