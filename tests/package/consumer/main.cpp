// Uses the installed library through its public headers: a canopy kind, a tree allocation
// worked out by hand, a run computed in memory, and the version. Prints one line per check;
// exits 1 on a wrong answer.
// SPDX-License-Identifier: MIT
#include <shadegap/error.hpp>
#include <shadegap/outcome.hpp>
#include <shadegap/plan.hpp>
#include <shadegap/raster.hpp>
#include <shadegap/version.hpp>

#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

// A canopy raster of 4 × 2 cells of 1 m (EPSG:32618, x 500000–500004, y 4000000–4000002),
// land-cover classes, 1 = canopy:   1 1 1 2
//                                   1 2 2 2
// and two census units: "whole" (the raster, 4 of 8 m² canopy: 0.5) and "left" (x 500000–
// 500002, 3 of 4 m²: 0.75). Both in GDAL's memory files: nothing touches the disk.
void write_city() {
    GDALAllRegister();
    GDALDatasetH raster = GDALCreate(GDALGetDriverByName("GTiff"), "/vsimem/city/canopy.tif", 4, 2, 1, GDT_Byte, nullptr);
    double transform[6] = {500000, 1, 0, 4000002, 0, -1};
    GDALSetGeoTransform(raster, transform);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 32618);
    GDALSetSpatialRef(raster, srs);
    OSRDestroySpatialReference(srs);
    unsigned char cells[8] = {1, 1, 1, 2, 1, 2, 2, 2};
    if (GDALRasterIO(GDALGetRasterBand(raster, 1), GF_Write, 0, 0, 4, 2, cells, 4, 2, GDT_Byte, 0, 0) != CE_None)
        std::printf("cannot write the raster\n");
    GDALClose(raster);

    const std::string units = R"({"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32618"}},
 "features": [
  {"type": "Feature", "properties": {"GEOID": "whole", "population": 10},
   "geometry": {"type": "Polygon", "coordinates": [[[500000, 4000000], [500004, 4000000], [500004, 4000002],
                                                      [500000, 4000002], [500000, 4000000]]]}},
  {"type": "Feature", "properties": {"GEOID": "left", "population": 20},
   "geometry": {"type": "Polygon", "coordinates": [[[500000, 4000000], [500002, 4000000], [500002, 4000002],
                                                      [500000, 4000002], [500000, 4000000]]]}}]})";
    VSILFILE* file = VSIFOpenL("/vsimem/city/units.geojson", "wb");
    VSIFWriteL(units.data(), 1, units.size(), file);
    VSIFCloseL(file);
}

}  // namespace

int main() {
    int failures = 0;

    // "classes=1,2": land-cover classes 1 and 2 are canopy, 3 is not.
    const auto kind = shadegap::CanopyKind::parse("classes=1,2");
    const bool kind_ok = kind.canopy_of(2) == 1.0 && kind.canopy_of(3) == 0.0 &&
                         kind.to_string() == "classes=1,2";
    std::printf("canopy kind %s: %s\n", kind.to_string().c_str(), kind_ok ? "ok" : "WRONG");
    failures += !kind_ok;

    // One unit of 1,000 m² land, 75 % short of its goal: 750 m² of canopy to gain, 125 m² per
    // crown (exact in binary), so 6 trees close the gap and a 7th adds nothing.
    shadegap::plan::UnitNeed unit;
    unit.id = "a";
    unit.priority = 1;
    unit.population = 100;
    unit.land_m2 = 1000;
    unit.gap = 0.75;
    unit.sites = 20;
    const auto plan = shadegap::plan::allocate_trees({unit}, 10, 125.0);
    const bool plan_ok = plan.trees.size() == 1 && plan.trees[0] == 6;
    std::printf("trees %lld: %s\n", plan.trees.empty() ? -1LL : static_cast<long long>(plan.trees[0]),
                plan_ok ? "ok" : "WRONG");
    failures += !plan_ok;

    // A run in memory: compute() returns units.csv's table, and writes nothing.
    write_city();
    shadegap::RunConfig config;
    config.canopy = "/vsimem/city/canopy.tif";
    config.canopy_kind = shadegap::CanopyKind::parse("classes=1");
    config.units = "/vsimem/city/units.geojson";
    config.unit_id = "GEOID";
    config.model = "canopy-gap";
    config.threads = 1;
    bool run_ok = false;
    std::string shares = "none";
    try {
        const shadegap::RunOutcome outcome = shadegap::compute(config);
        const auto& ids = outcome.units.column("unit_id").texts();
        const auto& share = outcome.units.column("canopy_fraction").reals();
        shares = ids.at(0) + " " + std::to_string(share.at(0)).substr(0, 4) + ", " + ids.at(1) + " " +
                 std::to_string(share.at(1)).substr(0, 4);
        run_ok = ids.at(0) == "whole" && ids.at(1) == "left" && std::fabs(share.at(0) - 0.5) < 1e-12 &&
                 std::fabs(share.at(1) - 0.75) < 1e-12 && outcome.result.outputs.empty();
    } catch (const shadegap::Error& error) {
        shares = error.what();
    }
    std::printf("canopy %s: %s\n", shares.c_str(), run_ok ? "ok" : "WRONG");
    failures += !run_ok;

    // The library linked and the headers are the same version.
    const bool version_ok = std::strcmp(shadegap::version(), SHADEGAP_VERSION_STRING) == 0;
    std::printf("shadegap %s (headers %d.%d.%d): %s\n", shadegap::version(), SHADEGAP_VERSION_MAJOR,
                SHADEGAP_VERSION_MINOR, SHADEGAP_VERSION_PATCH, version_ok ? "ok" : "WRONG");
    failures += !version_ok;

    return failures == 0 ? 0 : 1;
}
