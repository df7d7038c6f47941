// The canopy raster: what a cell's value means (canopy kind) and block reads through GDAL.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/grid.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// How a raster value becomes a canopy share c in [0, 1].
struct CanopyKind {
    enum class Type { Binary, Percent, Fraction, Classes, Min };
    Type type = Type::Binary;
    std::vector<double> classes;  ///< Classes: land-cover values that are canopy
    double threshold = 0;         ///< Min: canopy where value >= threshold

    /// Parses "binary", "percent", "fraction", "classes=1,2", "min=2.5".
    /// Throws UsageError (subject "canopy_kind", the configuration key) quoting the text on anything else.
    static CanopyKind parse(const std::string& text);
    /// The text form that parse() accepts.
    std::string to_string() const;
    /// Canopy share of a valid cell value. Binary: 1 when value == 1, 0 when value == 0;
    /// Percent: value/100; Fraction: value; Classes: 1 when value is a listed class;
    /// Min: 1 when value >= threshold. Returns nullopt for a value the kind cannot
    /// hold (binary other than 0/1, percent outside 0–100, fraction outside 0–1, NaN).
    std::optional<double> canopy_of(double value) const;
};

/// What GDAL tells about a raster, read once when it is opened.
struct RasterInfo {
    std::string path;
    std::string driver;
    Grid grid;
    std::string crs_wkt;        ///< empty when the raster has no CRS
    std::string crs_name;       ///< e.g. "WGS 84 / UTM zone 18N"
    std::string crs_authority;  ///< e.g. "EPSG:32618", or empty
    bool geographic = false;
    double linear_unit_m = 1;   ///< metres per CRS unit (projected CRSs)
    int block_cols = 0;         ///< natural block size of band 1
    int block_rows = 0;
    std::optional<double> nodata;
    std::string data_type;      ///< GDAL name, e.g. "Byte"
    int band_count = 0;
};

/// Exact area in m² of one cell in row `row`: cell_width·cell_height·unit² for a projected
/// CRS; for a geographic CRS the ellipsoidal area of the cell (from the CRS's ellipsoid,
/// WGS 84 semi-axes when unknown), which depends on the row's latitudes.
class CellAreas {
public:
    explicit CellAreas(const RasterInfo& info);
    double cell_area_m2(std::int64_t row) const;
    bool constant() const { return m_per_row.empty(); }

private:
    double m_constant = 0;
    std::vector<double> m_per_row;
};

/// Reads band 1 of a raster by windows. Not thread-safe: one instance per thread.
/// Throws InputError naming the file on open or read failure, CrsError when the
/// raster is rotated.
class RasterSource {
public:
    explicit RasterSource(const std::string& path);
    /// Opens the raster `info` describes again, for another thread, without describing it
    /// again: no CRS is parsed (on a new thread that would start PROJ, tens of
    /// milliseconds). Throws InputError if it can no longer be opened or its size changed.
    explicit RasterSource(const RasterInfo& info);
    ~RasterSource();
    RasterSource(RasterSource&&) noexcept;
    RasterSource& operator=(RasterSource&&) noexcept;

    const RasterInfo& info() const { return m_info; }
    /// Reads `window` (row-major, window.rows × window.cols values) as doubles. A window
    /// made of whole natural blocks is decoded straight from the file, block by block,
    /// without a copy through GDAL's block cache; any other window goes through it.
    void read(const Window& window, std::vector<double>& values);
    /// Reads `window` as bytes, for a Byte band (info().data_type == "Byte"): the values as
    /// stored, without a conversion to double. Throws InputError for any other data type.
    void read(const Window& window, std::vector<std::uint8_t>& values);
    /// Reads `window` as floats, for a Float32 band (info().data_type == "Float32"): the
    /// values as stored, without a conversion. Throws InputError for any other data type.
    void read(const Window& window, std::vector<float>& values);

private:
    void read_into(const Window& window, int gdal_type, void* out);
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    RasterInfo m_info;
};

/// Opens a raster just to describe it (`shadegap info`, validation).
RasterInfo describe_raster(const std::string& path);

/// Same size, and origin and cell size equal to within 1e-9 of their magnitude.
bool same_grid(const Grid& a, const Grid& b);
/// Same CRS for PROJ (OSRIsSame), or the same WKT text; a WKT that does not parse is different.
bool same_crs(const std::string& wkt_a, const std::string& wkt_b);

/// Checks that `other` lies on `reference`'s grid, cell for cell, in the same CRS: throws
/// InputError naming other.path and both grids when the grids differ ("its grid (3 × 2 cells
/// of 1 × 1 from (0, 2)) differs from REFERENCE (...)"), or CrsError when the CRSs differ.
/// `what` names the reference in the message (e.g. "the canopy raster landcover.tif").
void require_same_grid(const RasterInfo& reference, const RasterInfo& other, const std::string& what);

}  // namespace shadegap
