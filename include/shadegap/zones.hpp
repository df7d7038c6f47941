// Zones: polygon layers read through OGR and aligned to the raster's CRS.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/geometry.hpp"
#include "shadegap/raster.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// What to read from a polygon layer.
struct LayerRequest {
    std::string path;
    std::string layer;       ///< empty: the only layer (an error when there are several)
    std::string id_field;    ///< required, values must be unique
    std::string name_field;  ///< optional
    std::vector<std::string> numeric_fields;  ///< read as numbers (strings parsed strictly)
    std::vector<std::string> text_fields;     ///< read as text (group-by, scope)
};

/// A polygon layer in its own CRS, as read (the load stage).
struct ZoneLayer {
    std::string path;
    std::string layer_name;
    std::string crs_wkt;   ///< the layer's CRS
    std::string crs_name;
    std::vector<std::string> ids;
    std::vector<std::string> names;
    std::vector<std::vector<unsigned char>> wkb;  ///< geometries (2D, ISO WKB), layer CRS
    std::map<std::string, std::vector<std::optional<double>>> numbers;
    std::map<std::string, std::vector<std::optional<std::string>>> texts;
    /// OGR type name ("String", "Integer64", ...) of each field read into `texts`.
    std::map<std::string, std::string> text_field_types;
    std::size_t size() const { return ids.size(); }
};

/// A polygon layer in the raster's CRS (the align stage): valid, 2D, with areas.
struct AlignedZones {
    std::vector<MultiPolygon> polygons;           ///< raster CRS
    std::vector<std::vector<unsigned char>> wkb;  ///< the same geometries as WKB, raster CRS
    std::vector<double> area_m2;                  ///< ellipsoidal or projected area
    /// Area of the part that lies on the raster's extent (the polygon clipped to it), m².
    std::vector<double> on_raster_m2;
};

/// Parses a decimal number strictly (surrounding blanks allowed). Empty text gives nullopt
/// with ok = true; anything else that is not a finite number gives ok = false.
std::optional<double> parse_number(const std::string& text, bool& ok);

/// Names of the fields of a layer (for error messages and field lookup).
std::vector<std::string> layer_field_names(const std::string& path, const std::string& layer);

/// Reads a layer. Throws InputError naming the file for a missing file or layer, an unknown
/// field (listing the fields), a non-numeric value in a numeric field, duplicate or null
/// ids, or a non-polygon geometry. Features without geometry are left out with a warning.
ZoneLayer read_zone_layer(const LayerRequest& request, Diagnostics& diagnostics);

/// Transforms a layer to the raster's CRS (traditional GIS axis order), repairs invalid
/// polygons (with a warning per feature) and computes areas in m². Throws CrsError when
/// either side has no CRS or the transformation fails.
AlignedZones align_zones(const ZoneLayer& layer, const RasterInfo& raster, Diagnostics& diagnostics);

/// Area in m² of a polygon given as WKB in the raster's CRS: planar × unit² for a projected
/// CRS, geodesic on the CRS's ellipsoid for a geographic one.
double area_m2(const std::vector<unsigned char>& wkb, const RasterInfo& raster);

/// A CSV table keyed by one column, read through OGR's CSV driver.
struct JoinTable {
    std::string path;
    std::string key;
    std::vector<std::string> fields;  ///< all columns but the key
    std::map<std::string, std::map<std::string, std::string>> rows;  ///< key → field → text
    std::vector<std::string> keys;  ///< the keys in the file's order
    /// OGR type of the key column: "String" unless a .csvt sidecar declares another
    /// (an Integer64 key has lost its leading zeros before shadegap sees it).
    std::string key_type = "String";
};

/// Reads a join CSV. Throws InputError for a missing file, a missing key column, or a
/// duplicate key (quoting it).
JoinTable read_join_table(const std::string& path, const std::string& key);

}  // namespace shadegap
