// Canopy kinds, raster metadata and reads through GDAL, and cell areas in m².
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"

#include <catch2/catch.hpp>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;

struct RasterSpec {
    Grid grid;
    std::string crs;  ///< anything OSRSetFromUserInput accepts, or empty
    GDALDataType type = GDT_Byte;
    std::optional<double> nodata;
    std::vector<double> values;  ///< row-major, or empty to leave the band unwritten
    std::vector<std::string> creation_options;
    bool georeferenced = true;
    double rotation = 0;  ///< geotransform terms 2 and 4
};

/// Writes a single-band GeoTIFF made by the test.
void write_raster(const std::string& path, const RasterSpec& spec) {
    GDALAllRegister();
    GDALDriverH driver = GDALGetDriverByName("GTiff");
    REQUIRE(driver != nullptr);
    std::vector<const char*> options;
    for (const auto& option : spec.creation_options) options.push_back(option.c_str());
    options.push_back(nullptr);
    GDALDatasetH dataset = GDALCreate(driver, path.c_str(), static_cast<int>(spec.grid.cols),
                                      static_cast<int>(spec.grid.rows), 1, spec.type,
                                      const_cast<char**>(options.data()));
    REQUIRE(dataset != nullptr);
    if (spec.georeferenced) {
        double gt[6] = {spec.grid.x_min, spec.grid.cell_width, spec.rotation,
                        spec.grid.y_max, spec.rotation, -spec.grid.cell_height};
        REQUIRE(GDALSetGeoTransform(dataset, gt) == CE_None);
    }
    if (!spec.crs.empty()) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        REQUIRE(OSRSetFromUserInput(srs, spec.crs.c_str()) == OGRERR_NONE);
        REQUIRE(GDALSetSpatialRef(dataset, srs) == CE_None);
        OSRRelease(srs);
    }
    GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
    if (spec.nodata) REQUIRE(GDALSetRasterNoDataValue(band, *spec.nodata) == CE_None);
    if (!spec.values.empty()) {
        std::vector<double> values = spec.values;
        REQUIRE(GDALRasterIO(band, GF_Write, 0, 0, static_cast<int>(spec.grid.cols), static_cast<int>(spec.grid.rows),
                             values.data(), static_cast<int>(spec.grid.cols), static_cast<int>(spec.grid.rows),
                             GDT_Float64, 0, 0) == CE_None);
    }
    GDALClose(dataset);
}

/// A file name in /tmp that no other test process uses, removed when the test ends.
class TempPath {
public:
    explicit TempPath(const std::string& name)
        : m_path("/tmp/shadegap_test_" + std::to_string(getpid()) + "_" + name) {}
    ~TempPath() { VSIUnlink(m_path.c_str()); }
    TempPath(const TempPath&) = delete;
    TempPath& operator=(const TempPath&) = delete;
    const std::string& str() const { return m_path; }

private:
    std::string m_path;
};

/// Cell area by integrating the surface element M·N·cos φ dφ dλ of the ellipsoid with
/// composite Simpson's rule: an independent route to the authalic-latitude formula. The
/// cell is given by its middle latitude and its height so small cells keep their digits.
double integrated_cell_area(double a, double inverse_flattening, double mid_lat_deg, double dlat_deg,
                            double dlon_deg) {
    const double f = inverse_flattening > 0 ? 1 / inverse_flattening : 0;
    const double e2 = f * (2 - f);
    const auto element = [&](double phi) {
        const double w = 1 - e2 * std::sin(phi) * std::sin(phi);
        const double m = a * (1 - e2) / std::pow(w, 1.5);
        const double n = a / std::sqrt(w);
        return m * n * std::cos(phi);
    };
    const int intervals = 2000;
    const double phi_mid = mid_lat_deg * pi / 180, dphi = dlat_deg * pi / 180;
    const double h = dphi / intervals;
    const auto phi_at = [&](int i) { return phi_mid + (i - intervals / 2) * h; };
    double sum = element(phi_at(0)) + element(phi_at(intervals));
    for (int i = 1; i < intervals; ++i) sum += element(phi_at(i)) * (i % 2 == 1 ? 4 : 2);
    return sum * h / 3 * (dlon_deg * pi / 180);
}

}  // namespace

TEST_CASE("canopy kinds parse and print back", "[raster]") {
    CHECK(CanopyKind::parse("binary").type == CanopyKind::Type::Binary);
    CHECK(CanopyKind::parse("percent").type == CanopyKind::Type::Percent);
    CHECK(CanopyKind::parse(" Fraction ").type == CanopyKind::Type::Fraction);
    const CanopyKind classes = CanopyKind::parse("classes=1, 2,41");
    CHECK(classes.type == CanopyKind::Type::Classes);
    CHECK(classes.classes == std::vector<double>{1, 2, 41});
    CHECK(classes.to_string() == "classes=1,2,41");
    const CanopyKind min = CanopyKind::parse("min=2.5");
    CHECK(min.type == CanopyKind::Type::Min);
    CHECK(min.threshold == 2.5);
    CHECK(min.to_string() == "min=2.5");
    CHECK(CanopyKind::parse("min=-0.1").threshold == -0.1);
    for (const std::string text : {"binary", "percent", "fraction", "classes=11", "classes=1,2.5", "min=0.35"}) {
        INFO(text);
        CHECK(CanopyKind::parse(text).to_string() == text);
        CHECK(CanopyKind::parse(CanopyKind::parse(text).to_string()).to_string() == text);
    }
}

TEST_CASE("anything else is a usage error on the key canopy_kind quoting the text", "[raster]") {
    for (const std::string text : {"", "percentage", "classes", "classes=", "classes=1,,2", "classes=1,x", "min=",
                                   "min=abc", "min=1e999", "binary=1", "height"}) {
        INFO("'" << text << "'");
        try {
            CanopyKind::parse(text);
            FAIL("parse accepted '" << text << "'");
        } catch (const UsageError& error) {
            CHECK(error.subject() == "canopy_kind");
            CHECK_THAT(error.message(), Catch::Contains("'" + text + "'"));
        }
    }
}

TEST_CASE("canopy shares at the edges of each kind", "[raster]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const CanopyKind binary = CanopyKind::parse("binary");
    CHECK(binary.canopy_of(1) == 1.0);
    CHECK(binary.canopy_of(0) == 0.0);
    CHECK_FALSE(binary.canopy_of(0.5));
    CHECK_FALSE(binary.canopy_of(2));
    CHECK_FALSE(binary.canopy_of(nan));

    const CanopyKind percent = CanopyKind::parse("percent");
    CHECK(percent.canopy_of(0) == 0.0);
    CHECK(percent.canopy_of(100) == 1.0);
    CHECK(percent.canopy_of(37.5) == 0.375);
    CHECK_FALSE(percent.canopy_of(100.0001));
    CHECK_FALSE(percent.canopy_of(-0.0001));
    CHECK_FALSE(percent.canopy_of(255));
    CHECK_FALSE(percent.canopy_of(nan));

    const CanopyKind fraction = CanopyKind::parse("fraction");
    CHECK(fraction.canopy_of(0) == 0.0);
    CHECK(fraction.canopy_of(1) == 1.0);
    CHECK(fraction.canopy_of(0.25) == 0.25);
    CHECK_FALSE(fraction.canopy_of(1.0000001));
    CHECK_FALSE(fraction.canopy_of(-1e-9));

    const CanopyKind classes = CanopyKind::parse("classes=41,42,43");
    CHECK(classes.canopy_of(42) == 1.0);
    CHECK(classes.canopy_of(44) == 0.0);
    CHECK(classes.canopy_of(0) == 0.0);
    CHECK_FALSE(classes.canopy_of(nan));

    const CanopyKind min = CanopyKind::parse("min=2.5");
    CHECK(min.canopy_of(2.5) == 1.0);
    CHECK(min.canopy_of(30) == 1.0);
    CHECK(min.canopy_of(2.4999999) == 0.0);
    CHECK(min.canopy_of(-5) == 0.0);
    CHECK_FALSE(min.canopy_of(nan));
}

TEST_CASE("a GeoTIFF's grid, CRS, nodata and values", "[raster]") {
    const TempPath path("utm.tif");
    RasterSpec spec;
    spec.grid = {583000.0, 4507000.0, 2.0, 2.0, 5, 3};
    spec.crs = "EPSG:32618";
    spec.nodata = 255;
    spec.values = {0, 1, 1, 255, 0, 1, 0, 0, 1, 255, 255, 1, 0, 1, 0};
    spec.creation_options = {"TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"};
    write_raster(path.str(), spec);

    RasterSource source(path.str());
    const RasterInfo& info = source.info();
    CHECK(info.path == path.str());
    CHECK(info.driver == "GTiff");
    CHECK(info.grid.x_min == 583000.0);
    CHECK(info.grid.y_max == 4507000.0);
    CHECK(info.grid.cell_width == 2.0);
    CHECK(info.grid.cell_height == 2.0);
    CHECK(info.grid.cols == 5);
    CHECK(info.grid.rows == 3);
    CHECK(info.crs_name == "WGS 84 / UTM zone 18N");
    CHECK(info.crs_authority == "EPSG:32618");
    CHECK_THAT(info.crs_wkt, Catch::Contains("UTM zone 18N"));
    CHECK_FALSE(info.geographic);
    CHECK(info.linear_unit_m == 1.0);
    CHECK(info.block_cols == 16);
    CHECK(info.block_rows == 16);
    REQUIRE(info.nodata);
    CHECK(*info.nodata == 255.0);
    CHECK(info.data_type == "Byte");
    CHECK(info.band_count == 1);

    std::vector<double> values;
    source.read(info.grid.full_window(), values);
    CHECK(values == spec.values);
    source.read(Window{1, 2, 2, 3}, values);
    CHECK(values == std::vector<double>{0, 1, 255, 0, 1, 0});

    const CellAreas areas(info);
    CHECK(areas.constant());
    CHECK(areas.cell_area_m2(0) == 4.0);
    CHECK(areas.cell_area_m2(2) == 4.0);

    const RasterInfo described = describe_raster(path.str());
    CHECK(described.crs_authority == info.crs_authority);
    CHECK(described.grid.cols == 5);
}

TEST_CASE("a Float32 raster without nodata reads NaN as NaN", "[raster]") {
    const std::string path = "/vsimem/shadegap_test_float.tif";
    RasterSpec spec;
    spec.grid = {0, 10, 1, 1, 2, 2};
    spec.crs = "EPSG:3857";
    spec.type = GDT_Float32;
    spec.values = {0.25, std::nan(""), 1.0, 0.5};
    write_raster(path, spec);
    RasterSource source(path);
    CHECK_FALSE(source.info().nodata);
    CHECK(source.info().data_type == "Float32");
    std::vector<double> values;
    source.read(source.info().grid.full_window(), values);
    CHECK(values[0] == 0.25);
    CHECK(std::isnan(values[1]));
    CHECK(values[3] == 0.5);
    VSIUnlink(path.c_str());
}

TEST_CASE("geographic cell areas follow the WGS 84 ellipsoid", "[raster]") {
    const double a = 6378137.0, inverse_flattening = 298.257223563;
    const std::string path = "/vsimem/shadegap_test_global.tif";
    RasterSpec spec;
    spec.grid = {-180.0, 90.0, 1.0, 1.0, 360, 180};
    spec.crs = "EPSG:4326";
    write_raster(path, spec);
    const RasterInfo info = describe_raster(path);
    VSIUnlink(path.c_str());
    REQUIRE(info.geographic);
    CHECK(info.crs_authority == "EPSG:4326");
    const CellAreas areas(info);
    REQUIRE_FALSE(areas.constant());

    double total_m2 = 0;
    for (std::int64_t r = 0; r < info.grid.rows; ++r) total_m2 += 360 * areas.cell_area_m2(r);
    // Closed form of the ellipsoid's surface: 2πa²(1 + (1 − e²)/e · artanh e).
    const double f = 1 / inverse_flattening;
    const double e = std::sqrt(f * (2 - f));
    const double closed_form_m2 = 2 * pi * a * a * (1 + (1 - e * e) / e * std::atanh(e));
    INFO("sum of cells " << total_m2 / 1e6 << " km², closed form " << closed_form_m2 / 1e6 << " km²");
    CHECK(total_m2 == Approx(closed_form_m2).epsilon(1e-12));
    CHECK(total_m2 / 1e6 == Approx(510065621.7).margin(0.1));  // the published WGS 84 surface

    // Row 49 spans 41° to 40° N.
    const double integrated = integrated_cell_area(a, inverse_flattening, 40.5, 1, 1);
    INFO("row 49: " << areas.cell_area_m2(49) << " m², integrated " << integrated << " m²");
    CHECK(areas.cell_area_m2(49) == Approx(integrated).epsilon(1e-12));
    CHECK(areas.cell_area_m2(130) == Approx(areas.cell_area_m2(49)).epsilon(1e-12));  // 40° to 41° S
    CHECK(areas.cell_area_m2(0) == Approx(integrated_cell_area(a, inverse_flattening, 89.5, 1, 1)).epsilon(1e-10));
}

TEST_CASE("metre-sized geographic cells keep their digits", "[raster]") {
    const std::string path = "/vsimem/shadegap_test_fine.tif";
    RasterSpec spec;
    const double step = 1e-5;  // about 1.1 m
    spec.grid = {-71.1, 42.36, step, step, 4, 4};
    spec.crs = "EPSG:4326";
    write_raster(path, spec);
    const CellAreas areas(describe_raster(path));
    VSIUnlink(path.c_str());
    for (std::int64_t r = 0; r < 4; ++r) {
        const double middle = 42.36 - (static_cast<double>(r) + 0.5) * step;
        const double integrated = integrated_cell_area(6378137.0, 298.257223563, middle, step, step);
        INFO("row " << r << ": " << areas.cell_area_m2(r) << " m², integrated " << integrated << " m²");
        CHECK(areas.cell_area_m2(r) == Approx(integrated).epsilon(1e-12));
    }
}

TEST_CASE("a spherical geographic CRS has spherical cell areas", "[raster]") {
    const std::string path = "/vsimem/shadegap_test_sphere.tif";
    RasterSpec spec;
    spec.grid = {0, 60, 2, 2, 3, 3};
    spec.crs = "+proj=longlat +R=6371000 +no_defs";
    write_raster(path, spec);
    const CellAreas areas(describe_raster(path));
    VSIUnlink(path.c_str());
    const double r_m = 6371000;
    for (std::int64_t r = 0; r < 3; ++r) {
        const double top = (60.0 - 2.0 * static_cast<double>(r)) * pi / 180;
        const double bottom = top - 2 * pi / 180;
        const double expected = r_m * r_m * (2 * pi / 180) * (std::sin(top) - std::sin(bottom));
        CHECK(areas.cell_area_m2(r) == Approx(expected).epsilon(1e-12));
    }
}

TEST_CASE("a projected CRS in US survey feet", "[raster]") {
    const std::string path = "/vsimem/shadegap_test_feet.tif";
    RasterSpec spec;
    spec.grid = {11000000.0, 3500000.0, 3.0, 3.0, 4, 4};  // Virginia South, ftUS
    spec.crs = "EPSG:2284";
    write_raster(path, spec);
    const RasterInfo info = describe_raster(path);
    VSIUnlink(path.c_str());
    CHECK_FALSE(info.geographic);
    CHECK(info.crs_authority == "EPSG:2284");
    CHECK(info.linear_unit_m == Approx(1200.0 / 3937.0).epsilon(1e-15));
    CHECK(info.linear_unit_m == Approx(0.3048006096).margin(1e-10));
    const CellAreas areas(info);
    const double foot = 1200.0 / 3937.0;
    CHECK(areas.cell_area_m2(3) == Approx(9 * foot * foot).epsilon(1e-14));
}

TEST_CASE("unreadable, rotated and ungeoreferenced rasters are errors naming the file", "[raster]") {
    SECTION("a missing file") {
        const std::string path = "/tmp/shadegap_no_such_raster.tif";
        try {
            RasterSource source(path);
            FAIL("opened a missing file");
        } catch (const InputError& error) {
            CHECK(error.subject() == path);
            CHECK_THAT(std::string(error.what()), Catch::Contains(path));
        }
    }
    SECTION("a text file") {
        const TempPath path("not_a_raster.txt");
        std::ofstream(path.str()) << "GEOID,POP\n1,2\n";
        try {
            describe_raster(path.str());
            FAIL("opened a text file as a raster");
        } catch (const InputError& error) {
            CHECK(error.subject() == path.str());
            CHECK_THAT(error.message(), Catch::Contains("cannot be opened as a raster"));
        }
    }
    SECTION("a rotated raster") {
        const std::string path = "/vsimem/shadegap_test_rotated.tif";
        RasterSpec spec;
        spec.grid = {500000, 4500000, 1, 1, 3, 3};
        spec.crs = "EPSG:32618";
        spec.rotation = 0.2;
        write_raster(path, spec);
        CHECK_THROWS_AS(RasterSource(path), CrsError);
        try {
            RasterSource source(path);
        } catch (const CrsError& error) {
            CHECK(error.subject() == path);
            CHECK_THAT(error.message(), Catch::Contains("rotated"));
        }
        VSIUnlink(path.c_str());
    }
    SECTION("a raster without a geotransform") {
        const std::string path = "/vsimem/shadegap_test_plain.tif";
        RasterSpec spec;
        spec.grid = {0, 0, 1, 1, 3, 3};
        spec.georeferenced = false;
        write_raster(path, spec);
        try {
            RasterSource source(path);
            FAIL("opened a raster without a geotransform");
        } catch (const InputError& error) {
            CHECK(error.subject() == path);
            CHECK_THAT(error.message(), Catch::Contains("geotransform"));
        }
        VSIUnlink(path.c_str());
    }
    SECTION("a window outside the raster") {
        const std::string path = "/vsimem/shadegap_test_small.tif";
        RasterSpec spec;
        spec.grid = {0, 3, 1, 1, 3, 3};
        spec.crs = "EPSG:32618";
        write_raster(path, spec);
        RasterSource source(path);
        std::vector<double> values;
        CHECK_THROWS_AS(source.read(Window{2, 0, 2, 3}, values), InputError);
        VSIUnlink(path.c_str());
    }
}
