// Lines over a raster: the exact length of each polyline inside each cell, weighed by the cell's shade.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/raster.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace shadegap {

/// A point in the raster's CRS.
struct LinePoint {
    double x = 0;
    double y = 0;
};

/// A line of two or more points in the raster's CRS (consecutive equal points are allowed and add nothing).
using Polyline = std::vector<LinePoint>;

/// The shade fraction in [0, 1] of a raster cell's value, or nullopt where the raster says nothing (nodata, NaN, a value out of range).
using ShadeOf = std::function<std::optional<double>(double value)>;

/// What one line crosses. length_m = Σ over its pieces of their lengths, and every piece is
/// either over a cell with a shade fraction (adding length × fraction to shaded_m) or in
/// unknown_m, so shaded_m ≤ length_m − unknown_m (equal where every known cell is fully shaded).
struct LineShade {
    double length_m = 0;   ///< the line's length in metres
    double shaded_m = 0;   ///< Σ over cells of (length inside the cell in m × the cell's shade fraction)
    double unknown_m = 0;  ///< length over cells where ShadeOf gives nullopt, over the raster's nodata, or off the raster
};

/// Measures every line over band 1 of `raster`. Deterministic: the same bytes for any `threads`.
/// block_size: the edge in cells of the windows read (0: the raster's own blocks, at least 256).
///
/// Each segment is cut at every column and row line it crosses; the cut points are found
/// from the segment's own endpoints (t = (line − start) / (end − start) along it), so the
/// pieces add up to the segment. A piece belongs to the cell that holds its midpoint, with
/// cells half-open, [column, column + 1) × [row, row + 1) in cell coordinates: a piece
/// lying on a column line belongs to the cell on its right (east), one on a row line to
/// the cell below it (south). So a segment along the raster's left or top edge is on the
/// raster, and one along its right or bottom edge is off it (unknown).
///
/// A piece over a cell holding the raster's nodata value or NaN is unknown, and `shade_of`
/// is not called for it; otherwise `shade_of(value)` is called once per piece, from several
/// threads at once (it must be safe for that), and nullopt makes the piece unknown.
/// Fractions are used as given. A line of fewer than two points measures 0.
///
/// Lengths: in a projected CRS, the CRS length × RasterInfo::linear_unit_m. In a geographic
/// CRS (coordinates in degrees of longitude and latitude), each piece's Δλ and Δφ are
/// weighed by the WGS 84 metres per degree of longitude, (π/180) a cos φ / √(1 − e² sin² φ),
/// and of latitude, (π/180) a (1 − e²) / (1 − e² sin² φ)^{3/2}, at the piece's middle
/// latitude φ: the midpoint rule along the piece, whose relative error is about Δφ²/24
/// (Δφ the piece's span of latitude in radians): 10⁻¹⁴ for cells of 1 m (10⁻⁵°), 10⁻⁹ for
/// 0.01°; longer pieces (large cells, parts off the raster) are measured in steps of at
/// most 0.01° of latitude. The path measured is the straight line in longitude and
/// latitude, as drawn on the raster, not the geodesic.
///
/// Memory: the raster is read one window at a time, only the windows some line crosses,
/// each once; one window per thread is held, with a list of the segments crossing each
/// window. Throws UsageError (subject "threads" or "block_size") for a negative count,
/// GeometryError (subject "lines") for a coordinate that is not finite, and InputError
/// naming the raster when it cannot be read.
std::vector<LineShade> measure_lines(const RasterInfo& raster, const ShadeOf& shade_of,
                                     const std::vector<Polyline>& lines, int threads, int block_size = 0);

}  // namespace shadegap
