// Output tables written through OGR drivers: GeoJSON (RFC 7946), CSV and GeoPackage.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace shadegap {

/// A cell of an output table: null, text, integer or real.
using FieldValue = std::variant<std::monostate, std::string, std::int64_t, double>;

struct OutputColumn {
    enum class Type { Text, Integer, Real };
    std::string name;
    Type type = Type::Real;
};

/// Rows of values, optionally with one geometry (WKB in `crs_wkt`) per row.
struct OutputTable {
    std::vector<OutputColumn> columns;
    std::vector<std::vector<FieldValue>> rows;
    std::vector<std::vector<unsigned char>> geometries;  ///< empty, or one per row
    std::string crs_wkt;
};

/// Writes an RFC 7946 GeoJSON file (WGS 84 lon/lat, right-hand rule, coordinates to 7
/// decimals, properties at full precision, null for missing values). With `threads` > 1
/// and at least 128 rows, chunks of rows are written at once on that many threads; the
/// bytes are the same as with one. Throws OutputError.
void write_geojson(const OutputTable& table, const std::string& path, int threads = 1);

/// Writes a CSV file with a header row; missing values are empty, reals keep at least 15
/// significant digits. Throws OutputError.
void write_csv(const OutputTable& table, const std::string& path);

/// Writes the `.csvt` sidecar of a CSV written by write_csv: one line naming each column's
/// OGR type ("String", "Integer64", "Real"), so GDAL, QGIS and ArcGIS read numbers as
/// numbers and ids as text. Throws OutputError.
void write_csvt(const OutputTable& table, const std::string& path);

/// Writes a GeoPackage (OGR's GPKG driver) with the table as the layer named after the file
/// (`priority` for priority.gpkg; geometry column `geom`, in the table's own CRS, not
/// reprojected) and a `layer_styles` table as QGIS reads it, whose one row makes
/// score_style_qml() the layer's default style. The bytes are the same on every run: the
/// tables' last change is 2000-01-01T00:00:00.000Z (GDAL's OGR_CURRENT_DATE, set for this
/// thread while writing and restored after; a value the caller has set is kept) and the
/// style's update_time is null. Throws OutputError.
void write_geopackage(const OutputTable& table, const std::string& path);

/// One layer of a GeoPackage: its name, its table (with geometries in the table's CRS) and
/// its default QGIS style with a sentence describing it.
struct GeoPackageLayer {
    std::string name;
    const OutputTable* table = nullptr;
    std::string qml;
    std::string description;
    bool points = false;  ///< a point layer, even without rows
};

/// Writes several layers into one GeoPackage, in the given order, each with its row in
/// `layer_styles` (points stay points, other geometries are written as multipolygons).
/// The same bytes on every run, as write_geopackage of one table. Throws OutputError.
void write_geopackage(const std::vector<GeoPackageLayer>& layers, const std::string& path);

/// The QGIS style (QML) of plan.gpkg's layer `plan`: a graduated renderer on
/// `canopy_pct_plan` in five classes 0–10, 10–20, 20–30, 30–40, 40–100 (ColorBrewer Greens).
std::string plan_style_qml();

/// The QGIS style (QML) of plan.gpkg's layer `sites`: one green circle marker, 2.4 mm.
std::string sites_style_qml();

/// The QGIS style (QML) of the priority layer: a graduated renderer (`graduatedSymbol`) on
/// `score` in five classes 0–20, 20–40, 40–60, 60–80, 80–100 (each upper bound included),
/// coloured red (plant first) to green (ColorBrewer RdYlGn); units without a score are not
/// drawn.
std::string score_style_qml();

/// Writes `bytes` to the file `path`, checking the writes, the flush and the close.
/// Throws OutputError "PATH: cannot write (disk full?)" naming the final output when
/// `path` lies in an OutputTransaction's temporary folder.
void write_file(const std::string& path, const std::string& bytes);

class Diagnostics;

/// Files written into a hidden temporary folder inside `out_dir` and moved into place by
/// commit(). Without commit() (an error unwinds) the temporary folder is removed, and
/// so is `out_dir` when the transaction created it: nothing is left behind.
///
/// The folder is `.shadegap-tmp-HOST-PID-N`. A run killed by SIGKILL cannot remove its
/// own; the next transaction on `out_dir` removes every such folder of this host whose
/// process no longer runs, with a warning ("stale-temporary") in `diagnostics`.
class OutputTransaction {
public:
    explicit OutputTransaction(std::string out_dir, Diagnostics* diagnostics = nullptr);
    ~OutputTransaction();
    OutputTransaction(const OutputTransaction&) = delete;
    OutputTransaction& operator=(const OutputTransaction&) = delete;
    /// Temporary path for the final file `name`.
    std::string path_for(const std::string& name);
    /// Temporary path for a working file `name` that commit() leaves where it is: it goes
    /// with the temporary folder.
    std::string scratch_path(const std::string& name) const;
    /// Renames every file into `out_dir`; returns the final paths.
    std::vector<std::string> commit();

private:
    std::string m_out_dir;
    std::string m_temp_dir;
    std::vector<std::string> m_names;
    bool m_created_out_dir = false;
    bool m_committed = false;
};

}  // namespace shadegap
