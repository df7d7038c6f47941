// Fuzz target: GeoJSON text → read_zone_layer → align_zones → coverage on a raster grid.
// SPDX-License-Identifier: MIT
//
// The input is written to /vsimem/ and read as `run` reads a units layer (id field "id",
// name "name", number "pop", text "grp"), aligned to a 10 m raster grid in UTM zone 18N
// (the seeds sit at about 75° W, 40.6° N). Rejections by a shadegap::Error are expected.
// Findings: a crash, a sanitizer report, another exception escaping, a fraction outside
// [0, 1], a negative or non-finite area, or, for a valid polygon inside the grid, a
// coverage sum that differs from the polygon's area.
#include "ogr_util.hpp"
#include "shadegap/coverage.hpp"
#include "shadegap/zones.hpp"

#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_zones_geojson: %s\n", what.c_str());
    std::abort();
}

shadegap::RasterInfo make_raster() {
    OGRSpatialReference srs;
    srs.importFromEPSG(32618);
    char* wkt = nullptr;
    srs.exportToWkt(&wkt);
    shadegap::RasterInfo raster;
    raster.path = "fuzz-raster.tif";
    raster.driver = "MEM";
    raster.crs_wkt = wkt;
    CPLFree(wkt);
    raster.crs_name = "WGS 84 / UTM zone 18N";
    raster.crs_authority = "EPSG:32618";
    raster.grid.x_min = 499000;
    raster.grid.y_max = 4502000;
    raster.grid.cell_width = 10;
    raster.grid.cell_height = 10;
    raster.grid.cols = 400;
    raster.grid.rows = 400;
    raster.block_cols = 256;
    raster.block_rows = 256;
    raster.data_type = "Byte";
    raster.band_count = 1;
    return raster;
}

/// Coverage of one aligned polygon over the cells its box touches (at most kMaxCells).
void check_coverage(const shadegap::RasterInfo& raster, const shadegap::MultiPolygon& polygon,
                    const std::vector<unsigned char>& wkb, double area_m2) {
    constexpr std::int64_t kMaxCells = 40000;
    if (!std::isfinite(area_m2) || area_m2 < 0) fail("area_m2 is " + std::to_string(area_m2));
    const shadegap::Box box = shadegap::bounding_box(polygon);
    if (!(box.x_min <= box.x_max && box.y_min <= box.y_max)) return;
    const shadegap::Grid& grid = raster.grid;
    const shadegap::Window window = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
    if (window.empty() || window.cell_count() > kMaxCells) return;
    const shadegap::CoverageMatrix coverage = shadegap::compute_coverage(grid, window, polygon);
    double sum = 0;
    for (double f : coverage.fractions) {
        if (!(f >= 0 && f <= 1)) fail("fraction " + std::to_string(f) + " outside [0, 1]");
        sum += f;
    }
    const bool inside_grid = box.x_min >= grid.x_min && box.x_max <= grid.x_max() && box.y_min >= grid.y_min() &&
                             box.y_max <= grid.y_max;
    const auto geometry = shadegap::detail::from_wkb(wkb);
    if (!inside_grid || !geometry || !geometry->IsValid()) return;
    const double cell_area = grid.cell_width * grid.cell_height;
    std::size_t vertices = 0;
    for (const auto& part : polygon) {
        vertices += part.shell.size();
        for (const auto& hole : part.holes) vertices += hole.size();
    }
    // Coordinates near 5e5 m carry about 1e-10 m of rounding; each vertex moves the area
    // by at most that times a cell side, far below this bound.
    const double tolerance = 1e-6 * cell_area * static_cast<double>(vertices + 1) + 1e-9 * area_m2;
    if (std::abs(sum * cell_area - area_m2) > tolerance)
        fail("coverage sum " + std::to_string(sum * cell_area) + " m² differs from the area " +
             std::to_string(area_m2) + " m²");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    GDALAllRegister();
    CPLSetErrorHandler(CPLQuietErrorHandler);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const shadegap::RasterInfo raster = make_raster();
    const std::string path = "/vsimem/fuzz.geojson";
    VSILFILE* file = VSIFileFromMemBuffer(path.c_str(), const_cast<GByte*>(data), static_cast<vsi_l_offset>(size), FALSE);
    if (file == nullptr) return 0;
    VSIFCloseL(file);
    try {
        shadegap::LayerRequest request;
        request.path = path;
        request.id_field = "id";
        request.name_field = "name";
        request.numeric_fields = {"pop"};
        request.text_fields = {"grp"};
        shadegap::Diagnostics diagnostics;
        const shadegap::ZoneLayer layer = shadegap::read_zone_layer(request, diagnostics);
        const shadegap::AlignedZones zones = shadegap::align_zones(layer, raster, diagnostics);
        if (zones.polygons.size() != layer.size() || zones.wkb.size() != layer.size() ||
            zones.area_m2.size() != layer.size())
            fail("align_zones returned " + std::to_string(zones.polygons.size()) + " polygons for " +
                 std::to_string(layer.size()) + " features");
        for (std::size_t i = 0; i < zones.polygons.size(); ++i)
            check_coverage(raster, zones.polygons[i], zones.wkb[i], zones.area_m2[i]);
    } catch (const shadegap::Error&) {
        // an expected rejection
    }
    VSIUnlink(path.c_str());
    return 0;
}
