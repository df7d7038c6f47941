// Plain polygon types in the raster's CRS, the input of the coverage computation.
// SPDX-License-Identifier: MIT
#pragma once

#include <vector>

namespace shadegap {

struct Point {
    double x;
    double y;
};

/// A ring of vertices. The closing vertex may or may not repeat the first one;
/// orientation may be either way (coverage normalises it).
using Ring = std::vector<Point>;

/// A polygon: one shell and any number of holes, in the raster's CRS.
struct Polygon {
    Ring shell;
    std::vector<Ring> holes;
};

/// Parts of a multipolygon must not overlap (the loader repairs geometries first).
using MultiPolygon = std::vector<Polygon>;

/// Axis-aligned bounding box; empty when min > max.
struct Box {
    double x_min;
    double y_min;
    double x_max;
    double y_max;
};

Box bounding_box(const MultiPolygon& geometry);
/// Planar area in CRS units² (holes subtracted), whatever the ring orientation.
double planar_area(const MultiPolygon& geometry);

}  // namespace shadegap
