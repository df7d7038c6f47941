// Bounding boxes and planar areas of plain polygons.
// SPDX-License-Identifier: MIT
#include "shadegap/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shadegap {

namespace {
double signed_ring_area(const Ring& ring) {
    const std::size_t n = ring.size();
    if (n < 3) return 0;
    // Shoelace relative to the first vertex keeps precision for large coordinates.
    const Point o = ring[0];
    double twice = 0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
        const double ax = ring[i].x - o.x, ay = ring[i].y - o.y;
        const double bx = ring[i + 1].x - o.x, by = ring[i + 1].y - o.y;
        twice += ax * by - bx * ay;
    }
    return twice / 2;
}
}  // namespace

Box bounding_box(const MultiPolygon& geometry) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    Box box{inf, inf, -inf, -inf};
    for (const auto& polygon : geometry) {
        for (const auto& p : polygon.shell) {
            box.x_min = std::min(box.x_min, p.x);
            box.y_min = std::min(box.y_min, p.y);
            box.x_max = std::max(box.x_max, p.x);
            box.y_max = std::max(box.y_max, p.y);
        }
    }
    return box;
}

double planar_area(const MultiPolygon& geometry) {
    double area = 0;
    for (const auto& polygon : geometry) {
        area += std::abs(signed_ring_area(polygon.shell));
        for (const auto& hole : polygon.holes) area -= std::abs(signed_ring_area(hole));
    }
    return area;
}

}  // namespace shadegap
