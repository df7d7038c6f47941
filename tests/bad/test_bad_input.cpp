// The bad-input suite: each case runs the built binary and checks its exit status, its one
// stderr line and the output folder, or the warning and the exact numbers (docs/bad-input.md).
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "bad_case.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;
namespace test = shadegap::test;

// ---------------------------------------------------------------------------------------
// Running the binary

using Spawn = test::Spawn;
using namespace test::bad;


/// A successful run: exit 0, nothing on stdout, exactly these warning lines on stderr
/// (in order), then the summary line.
void require_success(const Outcome& outcome, const std::vector<std::string>& warnings) {
    INFO("stdout: " << outcome.out << "\nstderr: " << outcome.err);
    CHECK(outcome.killed_by == 0);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.out.empty());
    std::vector<std::string> lines = lines_of(outcome.err);
    REQUIRE_FALSE(lines.empty());
    CHECK_THAT(lines.back(), StartsWith("ranked "));
    lines.pop_back();
    CHECK(lines == warnings);
}

// ---------------------------------------------------------------------------------------
// Fixtures: a 10 × 10 raster of 1 m cells in UTM 18N, x 500000–500010, y 4100000–4100010.
// Columns 0–4 (local x 0–5) are canopy (1), columns 5–9 are not (0). Polygons are given
// in local metres from the raster's lower-left corner.

constexpr double origin_x = 500000;
constexpr double origin_y = 4100000;
constexpr int utm18n = 32618;
constexpr int utm17n = 32617;

std::vector<double> base_values() {
    std::vector<double> values(100);
    for (int r = 0; r < 10; ++r)
        for (int c = 0; c < 10; ++c) values[static_cast<std::size_t>(r * 10 + c)] = c < 5 ? 1 : 0;
    return values;
}

void write_base_raster(const std::string& path, int epsg = utm18n) {
    test::write_raster(path, 10, 10, origin_x, origin_y + 10, 1.0, base_values(), epsg);
}

std::string number_text(double value) {
    std::ostringstream text;
    text.precision(17);
    text << value;
    return text.str();
}

using Pt = std::array<double, 2>;

/// A ring in local metres as WKT text "(x y, ...)" in UTM coordinates.
std::string ring(const std::vector<Pt>& points, const std::string& extra = "") {
    std::string text = "(";
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (i > 0) text += ",";
        text += number_text(origin_x + points[i][0]) + " " + number_text(origin_y + points[i][1]) + extra;
    }
    return text + ")";
}

std::vector<Pt> box_points(double xa, double ya, double xb, double yb) {
    return {{xa, ya}, {xb, ya}, {xb, yb}, {xa, yb}, {xa, ya}};
}

std::string box(double xa, double ya, double xb, double yb) {
    return "POLYGON(" + ring(box_points(xa, ya, xb, yb)) + ")";
}

test::TestFeature unit(const std::string& id, const std::string& wkt, double population = 100) {
    return {wkt, {{"GEOID", id}}, {{"population", population}}};
}

/// A temporary folder with the base raster, and the arguments of a run on it.
struct Case {
    test::TempDir dir;
    std::string raster = dir.file("canopy.tif");
    std::string units = dir.file("units.gpkg");
    std::string out = dir.file("out");

    Case() { write_base_raster(raster); }

    void write_units(const std::vector<test::TestFeature>& features, int epsg = utm18n) const {
        test::write_layer(units, "GPKG", "units", epsg, features);
    }

    /// `run` on the raster and the units with the canopy-gap model (population only),
    /// one thread, and `extra` arguments after.
    std::vector<std::string> args(const std::vector<std::string>& extra = {}) const {
        std::vector<std::string> a = {"run",      "--canopy", raster,         "--units", units,
                                      "--unit-id", "GEOID",   "--model",      "canopy-gap",
                                      "--out",     out,       "--threads",    "1"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

/// The row of units.csv for `id`.
std::map<std::string, std::string> unit_row(const std::string& out, const std::string& id) {
    const auto table = test::read_csv(out + "/units.csv");
    for (const auto& row : table.rows)
        if (row.at("unit_id") == id) return row;
    FAIL("no row for unit '" << id << "' in " << out << "/units.csv");
    return {};
}

bool has_row(const std::string& out, const std::string& id) {
    const auto table = test::read_csv(out + "/units.csv");
    for (const auto& row : table.rows)
        if (row.at("unit_id") == id) return true;
    return false;
}

double field(const std::map<std::string, std::string>& row, const std::string& key) {
    const auto it = row.find(key);
    REQUIRE(it != row.end());
    REQUIRE_FALSE(it->second.empty());
    return std::stod(it->second);
}

/// Checks the measured areas of one unit against values worked out by hand. Areas of
/// boxes on a 1 m grid are sums of binary fractions: 1e-9 m² covers the last digit of
/// the 15 significant digits in units.csv.
void require_areas(const std::string& out, const std::string& id, double area_m2, double valid_m2,
                   double canopy_m2, double nodata_m2) {
    const auto row = unit_row(out, id);
    INFO("unit " << id);
    CHECK(field(row, "area_m2") == Approx(area_m2).margin(1e-9));
    CHECK(field(row, "valid_m2") == Approx(valid_m2).margin(1e-9));
    CHECK(field(row, "canopy_m2") == Approx(canopy_m2).margin(1e-9));
    CHECK(field(row, "nodata_m2") == Approx(nodata_m2).margin(1e-9));
}

void require_warning_recorded(const std::string& out, const std::string& code) {
    const std::string run_json = test::read_text(out + "/run.json");
    CHECK_THAT(run_json, Contains("\"code\": \"" + code + "\""));
}

bool is_valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        if (c < 0x80) extra = 0;
        else if (c >= 0xC2 && c <= 0xDF) extra = 1;
        else if (c >= 0xE0 && c <= 0xEF) extra = 2;
        else if (c >= 0xF0 && c <= 0xF4) extra = 3;
        else return false;
        if (i + extra >= text.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
        i += extra + 1;
    }
    return true;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Files and CRSs

// A canopy path that does not exist → exit 1, "PATH: no such file (--canopy)".
TEST_CASE("missing canopy file", "[bad][files]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string missing = c.dir.file("none.tif");
    auto args = c.args();
    args[2] = missing;
    require_error(run_binary(args), 1, "shadegap: error: " + missing + ": no such file (--canopy)", c.out);
}

// A units path that does not exist → exit 1, "PATH: no such file (--units)".
TEST_CASE("missing units file", "[bad][files]") {
    Case c;
    const std::string missing = c.dir.file("none.gpkg");
    auto args = c.args();
    args[4] = missing;
    require_error(run_binary(args), 1, "shadegap: error: " + missing + ": no such file (--units)", c.out);
}

// A raster without CRS → exit 1, the raster named; shadegap does not guess.
TEST_CASE("raster without CRS", "[bad][crs]") {
    Case c;
    write_base_raster(c.raster, 0);
    c.write_units({unit("A", box(0, 0, 4, 4))});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.raster + ": raster has no CRS; shadegap will not guess it (hint: assign "
                  "one, e.g. gdal_edit.py -a_srs EPSG:32618 " + c.raster + ")",
                  c.out);
}

// A Shapefile without .prj → exit 1, the layer named.
TEST_CASE("layer without CRS (Shapefile without .prj)", "[bad][crs]") {
    Case c;
    const std::string shp = c.dir.file("units.shp");
    test::write_layer(shp, "ESRI Shapefile", "units", 0, {unit("A", box(0, 0, 4, 4))});
    REQUIRE_FALSE(fs::exists(c.dir.file("units.prj")));
    auto args = c.args();
    args[4] = shp;
    require_error(run_binary(args), 1,
                  "shadegap: error: " + shp + ": layer 'units' has no CRS; shadegap will not guess it (hint: "
                  "assign one, e.g. ogr2ogr -a_srs EPSG:4269 fixed.gpkg " + shp + ")",
                  c.out);
}

// Units in EPSG:4326 (GeoJSON) over the UTM raster are transformed: the same areas as the
// same boxes given in UTM (16 m², 12 m² of canopy), within 1e-6 m² (degrees round-trip).
TEST_CASE("CRS mismatch is transformed correctly", "[bad][crs]") {
    Case c;
    const std::vector<test::TestFeature> features = {unit("A", box(1, 1, 5, 5)), unit("B", box(3, 2, 7, 6))};
    const std::string geojson = c.dir.file("units.geojson");
    test::write_layer(geojson, "GeoJSON", "units", 4326, features, utm18n);
    auto args = c.args();
    args[4] = geojson;
    const Outcome outcome = run_binary(args);
    require_success(outcome, {});
    for (const auto& [id, canopy] : {std::pair<std::string, double>{"A", 16}, {"B", 8}}) {
        const auto row = unit_row(c.out, id);
        INFO("unit " << id);
        CHECK(field(row, "valid_m2") == Approx(16).margin(1e-6));
        CHECK(field(row, "canopy_m2") == Approx(canopy).margin(1e-6));
        CHECK(field(row, "area_m2") == Approx(16).margin(1e-6));
    }
}

// Coordinates of UTM zone 18N declared as zone 17N land ~ 650 km west of the raster:
// exit 1, an error naming the units and the two extents, not a run of zeros.
TEST_CASE("CRS present but wrong", "[bad][crs]") {
    Case c;
    c.write_units({unit("A", box(1, 1, 5, 5))}, utm17n);
    const Outcome outcome = run_binary(c.args());
    INFO("stderr: " << outcome.err);
    CHECK(outcome.status == 1);
    CHECK(outcome.out.empty());
    CHECK(lines_of(outcome.err).size() == 1);
    CHECK_THAT(outcome.err, StartsWith("shadegap: error: " + c.units + ": no unit overlaps the raster " + c.raster +
                                       " (units span x "));
    CHECK_THAT(outcome.err, Contains("the raster spans x 500000..500010, y 4.1e+06..4.10001e+06 in the raster's "
                                     "CRS) (hint: check that both files declare the right CRS)\n"));
    CHECK(entries_of(c.out).empty());
}

// Units in the raster's CRS but 1 km away: exit 1, the extents of both quoted.
TEST_CASE("no overlap at all", "[bad][crs]") {
    Case c;
    c.write_units({unit("A", box(1000, 1000, 1004, 1004))});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.units + ": no unit overlaps the raster " + c.raster +
                      " (units span x 501000..501004, y 4.101e+06..4.101e+06; the raster spans x 500000..500010, "
                      "y 4.1e+06..4.10001e+06 in the raster's CRS) (hint: check that both files declare the right "
                      "CRS)",
                  c.out);
}

// ---------------------------------------------------------------------------------------
// Geometry against the grid

// A 0.25 m square inside one canopy cell and a 0.5 m square on the corner of four cells
// (two canopy, two not) keep their exact areas: 0.0625 m² (all canopy) and 0.25 m²
// (0.125 m² canopy). No warning: they are measured, not dropped.
TEST_CASE("polygons smaller than a cell", "[bad][geometry]") {
    Case c;
    c.write_units({unit("S", box(2.25, 7.5, 2.5, 7.75)), unit("C", box(4.75, 4.75, 5.25, 5.25))});
    require_success(run_binary(c.args()), {});
    require_areas(c.out, "S", 0.0625, 0.0625, 0.0625, 0);
    require_areas(c.out, "C", 0.25, 0.25, 0.125, 0);
}

// E straddles the east edge: x 8–12 of which 8–10 lie on the raster, y 2–4 → area 8 m²,
// valid 4 m², canopy 0; 50 % without data → warning. F lies along the north edge inside
// the raster (y 8–10): no warning, valid = area = 8, canopy 8.
TEST_CASE("polygons on the raster edge and partly outside", "[bad][geometry]") {
    Case c;
    c.write_units({unit("E", box(8, 2, 12, 4)), unit("F", box(0, 8, 4, 10))});
    const Outcome outcome = run_binary(c.args());
    require_success(outcome, {"shadegap: warning: E: census unit has no data (nodata or outside the raster) on "
                              "50.0 % of its area"});
    require_areas(c.out, "E", 8, 4, 0, 0);
    require_areas(c.out, "F", 8, 8, 8, 0);
    require_warning_recorded(c.out, "nodata-share");
}

// ---------------------------------------------------------------------------------------
// Raster values

namespace {
/// The base raster with column 0 set to `marker` (the nodata value, or NaN).
void write_marked_raster(const std::string& path, double marker, GDALDataType type, const double* nodata) {
    std::vector<double> values = base_values();
    for (int r = 0; r < 10; ++r) values[static_cast<std::size_t>(r * 10)] = marker;
    test::write_raster(path, 10, 10, origin_x, origin_y + 10, 1.0, values, utm18n, type, nodata);
}
}  // namespace

// Nodata 255 declared, column 0 is 255. A (x 0–4, y 8–10, 8 m²): 2 m² nodata, 6 m² valid
// canopy; 25 % without data → warning. B (x 1–5) has no nodata cell.
TEST_CASE("nodata as a value", "[bad][nodata]") {
    Case c;
    const double nodata = 255;
    write_marked_raster(c.raster, 255, GDT_Byte, &nodata);
    c.write_units({unit("A", box(0, 8, 4, 10)), unit("B", box(1, 0, 5, 2))});
    require_success(run_binary(c.args()), {"shadegap: warning: A: census unit has no data (nodata or outside the "
                                           "raster) on 25.0 % of its area"});
    require_areas(c.out, "A", 8, 6, 6, 2);
    require_areas(c.out, "B", 8, 8, 8, 0);
}

// Float32 raster, column 0 NaN, nodata declared as NaN and, in a second run, not declared:
// NaN is never a value, so both give A 2 m² nodata and 6 m² valid canopy.
TEST_CASE("nodata as NaN in a Float32 raster", "[bad][nodata]") {
    Case c;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const bool declared : {true, false}) {
        INFO("NaN declared as nodata: " << declared);
        write_marked_raster(c.raster, nan, GDT_Float32, declared ? &nan : nullptr);
        c.write_units({unit("A", box(0, 8, 4, 10))});
        require_success(run_binary(c.args({"--overwrite"})),
                        {"shadegap: warning: A: census unit has no data (nodata or outside the raster) on 25.0 % "
                         "of its area"});
        require_areas(c.out, "A", 8, 6, 6, 2);
    }
}

// A percent raster with 255 in column 0 and no declared nodata: exit 1, the value and
// its cell quoted, with the gdal_edit.py hint.
TEST_CASE("values above 100 in a percent raster without nodata", "[bad][nodata]") {
    Case c;
    write_marked_raster(c.raster, 255, GDT_Byte, nullptr);
    c.write_units({unit("A", box(0, 8, 4, 10))});
    require_error(run_binary(c.args({"--canopy-kind", "percent"})), 1,
                  "shadegap: error: " + c.raster + ": value 255 at row 0, column 0 is not a valid percent canopy "
                  "value (expected 0 to 100); if 255 marks missing data, declare it as the raster's nodata value "
                  "(hint: gdal_edit.py -a_nodata 255 " + c.raster + ")",
                  c.out);
}

// Every cell is nodata: exit 1, "no census unit has a valid canopy cell".
TEST_CASE("an all-nodata raster", "[bad][nodata]") {
    Case c;
    const double nodata = 255;
    test::write_raster(c.raster, 10, 10, origin_x, origin_y + 10, 1.0, std::vector<double>(100, 255), utm18n, GDT_Byte, &nodata);
    c.write_units({unit("A", box(0, 0, 4, 4))});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.raster + ": no census unit has a valid canopy cell (all nodata, water or "
                  "outside)",
                  c.out);
}

// A tiled GeoTIFF cut in half: its header opens, the missing tiles cannot be read.
// Exit 1, no crash, the file named with GDAL's reason.
TEST_CASE("a truncated GeoTIFF", "[bad][files]") {
    Case c;
    std::vector<double> values(256 * 256);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i % 2);
    test::write_raster(c.raster, 256, 256, origin_x, origin_y + 256, 1.0, values, utm18n, GDT_Byte, nullptr, 64);
    const auto size = fs::file_size(c.raster);
    fs::resize_file(c.raster, size / 2);
    c.write_units({unit("A", box(0, 0, 256, 256))});
    const Outcome outcome = run_binary(c.args());
    INFO("stderr: " << outcome.err);
    CHECK(outcome.killed_by == 0);
    CHECK(outcome.status == 1);
    CHECK(outcome.out.empty());
    REQUIRE(lines_of(outcome.err).size() == 1);
    CHECK_THAT(outcome.err, StartsWith("shadegap: error: " + c.raster + ": cannot read rows "));
    CHECK(entries_of(c.out).empty());
}

// ---------------------------------------------------------------------------------------
// Layers and geometries

// A layer with the fields but no feature: exit 1.
TEST_CASE("an empty layer", "[bad][layers]") {
    Case c;
    {
        GDALAllRegister();
        GDALDatasetUniquePtr dataset(GetGDALDriverManager()->GetDriverByName("GPKG")->Create(
            c.units.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        OGRSpatialReference srs;
        srs.importFromEPSG(utm18n);
        OGRLayer* layer = dataset->CreateLayer("units", &srs, wkbPolygon, nullptr);
        OGRFieldDefn id("GEOID", OFTString);
        OGRFieldDefn population("population", OFTReal);
        REQUIRE(layer->CreateField(&id) == OGRERR_NONE);
        REQUIRE(layer->CreateField(&population) == OGRERR_NONE);
    }
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.units + ": layer 'units' has no polygon feature", c.out);
}

// B has a null geometry: warning, B left out of units.csv; A measured as usual.
TEST_CASE("null geometries", "[bad][layers]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("B", "")});
    require_success(run_binary(c.args()),
                    {"shadegap: warning: " + c.units + ": unit 'B' has no geometry; it is left out"});
    require_areas(c.out, "A", 16, 16, 16, 0);
    CHECK_FALSE(has_row(c.out, "B"));
    require_warning_recorded(c.out, "geometry-missing");
}

namespace {
const std::string repaired_warning(const std::string& units, const std::string& id) {
    return "shadegap: warning: " + units + ": unit '" + id +
           "' had an invalid polygon (e.g. self-intersection); repaired";
}
}  // namespace

// Bow-tie (0 0, 2 2, 2 0, 0 2): repaired into two triangles of 1 m² each, all canopy.
TEST_CASE("a bow-tie polygon is repaired", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", "POLYGON(" + ring({{0, 0}, {2, 2}, {2, 0}, {0, 2}, {0, 0}}) + ")")});
    require_success(run_binary(c.args()), {repaired_warning(c.units, "A")});
    require_areas(c.out, "A", 2, 2, 2, 0);
    require_warning_recorded(c.out, "geometry-repaired");
}

// GeoJSON text whose ring is not closed (0 0, 4 0, 4 4, 0 4): read as the closed 4 m
// square, 16 m² of canopy.
TEST_CASE("an unclosed ring", "[bad][geometry]") {
    Case c;
    const std::string path = c.dir.file("unclosed.geojson");
    std::string coordinates;
    for (const Pt& p : std::vector<Pt>{{0, 0}, {4, 0}, {4, 4}, {0, 4}})
        coordinates += std::string(coordinates.empty() ? "" : ", ") + "[" + number_text(origin_x + p[0]) + ", " +
                       number_text(origin_y + p[1]) + "]";
    write_file(path, "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
                     "\"urn:ogc:def:crs:EPSG::32618\"}}, \"features\": [{\"type\": \"Feature\", \"properties\": "
                     "{\"GEOID\": \"A\", \"population\": 100}, \"geometry\": {\"type\": \"Polygon\", "
                     "\"coordinates\": [[" + coordinates + "]]}}]}\n");
    auto args = c.args();
    args[4] = path;
    const Outcome outcome = run_binary(args);
    require_success(outcome, {"shadegap: warning: " + path + ": unit 'A' had a ring that was not closed; closed"});
    require_areas(c.out, "A", 16, 16, 16, 0);
}

// A square with a spike (a zero-width excursion to x 6 and back): repaired, the spike has
// no area: 16 m², all canopy.
TEST_CASE("a polygon with a spike", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", "POLYGON(" + ring({{0, 0}, {4, 0}, {4, 2}, {6, 2}, {4, 2}, {4, 4}, {0, 4}, {0, 0}}) + ")")});
    require_success(run_binary(c.args()), {repaired_warning(c.units, "A")});
    require_areas(c.out, "A", 16, 16, 16, 0);
}

// Repeated vertices are valid: no warning, 16 m².
TEST_CASE("repeated points", "[bad][geometry]") {
    Case c;
    c.write_units(
        {unit("A", "POLYGON(" + ring({{0, 0}, {0, 0}, {4, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 4}, {0, 0}}) + ")")});
    require_success(run_binary(c.args()), {});
    require_areas(c.out, "A", 16, 16, 16, 0);
}

// A 4 m square with a "hole" (x 6–8, y 6–8) outside it: the repair keeps the extent
// (GEOS's STRUCTURE rule, PostGIS's ST_MakeValid, and how GDAL reads such a ring from a
// Shapefile): the ring becomes a part of its own. 20 m² valid, 16 m² canopy (x < 5).
TEST_CASE("a hole outside its shell", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", "POLYGON(" + ring(box_points(0, 0, 4, 4)) + "," + ring(box_points(6, 6, 8, 8)) + ")")});
    require_success(run_binary(c.args()), {repaired_warning(c.units, "A")});
    require_areas(c.out, "A", 20, 20, 16, 0);
}

// Two parts x 0–4, y 0–4 and x 2–6, y 2–6 overlap on 4 m²: repaired to their union,
// 28 m² valid, 24 m² canopy (x < 5): not 32 (the overlap counted twice) nor 24 valid
// (the overlap dropped, as the even-odd LINEWORK repair would).
TEST_CASE("overlapping parts of a multipolygon", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", "MULTIPOLYGON((" + ring(box_points(0, 0, 4, 4)) + "),(" + ring(box_points(2, 2, 6, 6)) +
                                 "))")});
    require_success(run_binary(c.args()), {repaired_warning(c.units, "A")});
    require_areas(c.out, "A", 28, 28, 24, 0);
}

// The same square as POLYGON Z, M and ZM: Z and M dropped, the numbers of the 2D square
// (x 3–7, y 0–4: 16 m², 8 m² canopy), no warning.
TEST_CASE("3D and measured geometries", "[bad][geometry]") {
    Case c;
    const auto square = box_points(3, 0, 7, 4);
    c.write_units({unit("XY", "POLYGON(" + ring(square) + ")"), unit("Z", "POLYGON Z(" + ring(square, " 12.5") + ")"),
                   unit("M", "POLYGON M(" + ring(square, " 7") + ")"),
                   unit("ZM", "POLYGON ZM(" + ring(square, " 12.5 7") + ")")});
    require_success(run_binary(c.args()), {});
    for (const std::string id : {"XY", "Z", "M", "ZM"}) require_areas(c.out, id, 16, 16, 8, 0);
}

// ---------------------------------------------------------------------------------------
// Attributes

// Two features with id A: exit 1, the id and the field quoted.
TEST_CASE("duplicate unit ids", "[bad][attributes]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("A", box(4, 0, 8, 4))});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.units + ": duplicate id 'A' in field 'GEOID' (hint: choose a field whose "
                  "values are unique)",
                  c.out);
}

// population is a text field holding "many": exit 1, field, unit and value quoted.
TEST_CASE("non-numeric population", "[bad][attributes]") {
    Case c;
    c.write_units({{box(0, 0, 4, 4), {{"GEOID", "A"}, {"population", "120"}}, {}},
                   {box(4, 0, 8, 4), {{"GEOID", "B"}, {"population", "many"}}, {}}});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.units + ": field 'population' of unit 'B': 'many' is not a number", c.out);
}

// population -5: exit 1, field, unit and value quoted.
TEST_CASE("negative population", "[bad][attributes]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("B", box(4, 0, 8, 4), -5)});
    require_error(run_binary(c.args()), 1,
                  "shadegap: error: " + c.units + ": field 'population' of unit 'B': -5 is negative; a population "
                  "is a count of 0 or more",
                  c.out);
}

// tree-equity's poverty share pctpov = 1.7: exit 1 (shares are fractions 0–1), with the
// --scale hint as every bad value lies in 0–100. With a model file that reads pctpov in
// percent (scale = 0.01), 170 % is refused the same way and 17 % is accepted. The other
// six variables are not in these units: --allow-missing-variables.
TEST_CASE("a share above 1", "[bad][attributes]") {
    Case c;
    const auto write = [&](double a, double b) {
        c.write_units({{box(0, 0, 4, 4), {{"GEOID", "A"}}, {{"population", 100}, {"pctpov", a}}},
                       {box(4, 0, 8, 4), {{"GEOID", "B"}}, {{"population", 100}, {"pctpov", b}}}});
    };
    write(0.2, 1.7);
    auto args = c.args({"--overwrite", "--allow-missing-variables"});
    args[8] = "tree-equity";
    require_error(run_binary(args), 1,
                  "shadegap: error: " + c.units + ": values out of range: 'pctpov' (poverty, fractions 0–1): 1 of 2 "
                  "units, e.g. 'B' = 1.7 (hint: for columns in percent, --scale poverty=0.01)",
                  c.out);

    std::string model = shadegap::test::read_text(SHADEGAP_SOURCE_DIR "/models/tree-equity.toml");
    const std::string poverty = "column = \"pctpov\"";
    const auto at = model.find(poverty);
    REQUIRE(at != std::string::npos);
    const auto scale_at = model.find("scale = 1.0", at);
    REQUIRE(scale_at != std::string::npos);
    model.replace(scale_at, std::string("scale = 1.0").size(), "scale = 0.01");
    const std::string model_path = c.dir.file("percent.toml");
    write_file(model_path, model);
    args[8] = model_path;
    write(20, 170);
    require_error(run_binary(args), 1,
                  "shadegap: error: " + c.units + ": values out of range: 'pctpov' (poverty, percents 0–100 with "
                  "scale 0.01): 1 of 2 units, e.g. 'B' = 170 (hint: check the columns mapped to these variables, "
                  "and their scale (--scale ROLE=FACTOR))",
                  c.out);
    write(20, 17);
    const Outcome accepted = run_binary(args);
    CHECK(accepted.status == 0);
    CHECK(field(unit_row(c.out, "B"), "pctpov") == 17);
}

namespace {
/// A census unit with every column of tree-equity; `texts` replace or add columns as text.
test::TestFeature equity_unit(const std::string& id, const std::string& wkt, double population,
                              std::map<std::string, double> numbers, const std::map<std::string, std::string>& texts = {}) {
    std::map<std::string, double> all = {{"population", population}, {"pctpov", 0.2},   {"pctpoc", 0.3},
                                         {"unemplrate", 0.05},       {"dep_ratio", 0.6}, {"linguistic", 0.02},
                                         {"health", 0.1},            {"temp_diff", 0.5}};
    for (const auto& [name, value] : numbers) all[name] = value;
    for (const auto& [name, value] : texts) all.erase(name);
    std::map<std::string, std::string> text = texts;
    text["GEOID"] = id;
    return {wkt, text, all};
}

std::vector<std::string> tree_equity_args(const Case& c, const std::vector<std::string>& extra = {}) {
    auto args = c.args(extra);
    args[8] = "tree-equity";
    return args;
}
}  // namespace

// Two share columns in percent: one error lists both (counts and an example each) and
// gives the --scale flags. With them, the ranking equals that of the same data in
// fractions (priority.csv byte for byte), and units.csv keeps the columns as given.
TEST_CASE("share columns in percent: one error for all, then --scale", "[bad][attributes]") {
    Case c;
    const auto write = [&](double scale) {
        c.write_units({equity_unit("A", box(0, 0, 4, 4), 100, {{"pctpov", 20 * scale}, {"pctpoc", 30 * scale}}),
                       equity_unit("B", box(4, 0, 8, 4), 300, {{"pctpov", 45 * scale}, {"pctpoc", 60 * scale}}),
                       equity_unit("C", box(0, 4, 8, 8), 200, {{"pctpov", 0.5 * scale}, {"pctpoc", 0.8 * scale}})});
    };
    write(1);
    require_error(run_binary(tree_equity_args(c)), 1,
                  "shadegap: error: " + c.units + ": values out of range: 'pctpov' (poverty, fractions 0–1): 2 of 3 "
                  "units, e.g. 'A' = 20; 'pctpoc' (poc, fractions 0–1): 2 of 3 units, e.g. 'A' = 30 (hint: for "
                  "columns in percent, --scale poverty=0.01 --scale poc=0.01)",
                  c.out);
    require_success(run_binary(tree_equity_args(c, {"--scale", "poverty=0.01", "--scale", "poc=0.01"})), {});
    const std::string in_percent = test::read_text(c.out + "/priority.csv");
    CHECK(field(unit_row(c.out, "B"), "pctpov") == 45);
    write(0.01);
    require_success(run_binary(tree_equity_args(c, {"--overwrite"})), {});
    CHECK(test::read_text(c.out + "/priority.csv") == in_percent);

    // The project file's [scale] table does the same.
    write(1);
    const std::string project = c.dir.file("city.toml");
    write_file(project, "[scale]\npoverty = 0.01\npoc = 0.01\n");
    auto args = tree_equity_args(c, {"--overwrite"});
    args.insert(args.begin() + 1, project);
    require_success(run_binary(args), {});
    CHECK(test::read_text(c.out + "/priority.csv") == in_percent);
    require_error(run_binary(tree_equity_args(c, {"--scale", "shade=0.01", "--overwrite"})), 2,
                  "shadegap: error: --scale shade=0.01: model 'tree-equity' has no variable 'shade' (variables: "
                  "poverty, poc, unemployment, dependency, linguistic, health, heat)",
                  c.dir.file("none"));
}

// ACS "no estimate" codes are missing values: a warning names the column, the first unit
// and the count, and the ranking equals that of the same data with those cells empty.
TEST_CASE("ACS annotation codes are missing values", "[bad][attributes]") {
    Case c;
    const auto write = [&](const std::string& a, const std::string& c_value) {
        c.write_units({equity_unit("A", box(0, 0, 4, 4), 100, {}, {{"pctpov", a}}),
                       equity_unit("B", box(4, 0, 8, 4), 300, {{"pctpoc", 0.7}}, {{"pctpov", "0.4"}}),
                       equity_unit("C", box(0, 4, 8, 8), 200, {{"pctpoc", 0.1}}, {{"pctpov", c_value}})});
    };
    write("-666666666", "-222222222");
    const Outcome coded = run_binary(tree_equity_args(c));
    require_success(coded, {"shadegap: warning: " + c.units + ": field 'pctpov' of unit 'A' holds -666666666, a "
                            "Census Bureau annotation code (no estimate), as do 1 more unit(s): taken as missing, as "
                            "an empty cell",
                            "shadegap: warning: poverty: 2 of 3 units have no value for 'poverty': their priority "
                            "uses the other variables, weights renormalised"});
    require_warning_recorded(c.out, "acs-annotation");
    const std::string with_codes = test::read_text(c.out + "/priority.csv");
    CHECK(unit_row(c.out, "A").at("pctpov").empty());
    write("", "");
    require_success(run_binary(tree_equity_args(c, {"--overwrite"})),
                    {"shadegap: warning: poverty: 2 of 3 units have no value for 'poverty': their priority uses the "
                     "other variables, weights renormalised"});
    CHECK(test::read_text(c.out + "/priority.csv") == with_codes);
}

// Columns named in another case are found (UNEMPLRATE for unemplrate); a variable without
// a column is an error listing it with the columns that look close, unless
// --allow-missing-variables (then a warning, and the summary says 6 of 7 variables).
TEST_CASE("model variables without a column", "[bad][model]") {
    Case c;
    std::vector<test::TestFeature> units;
    for (const auto& [id, wkt] : {std::pair<std::string, std::string>{"A", box(0, 0, 4, 4)}, {"B", box(4, 0, 8, 4)}}) {
        auto u = equity_unit(id, wkt, id == "A" ? 100 : 300, {{"pctpov", id == "A" ? 0.1 : 0.4}});
        u.numbers["PCT_POC"] = u.numbers.at("pctpoc");
        u.numbers["UNEMPLRATE"] = u.numbers.at("unemplrate");
        u.numbers.erase("pctpoc");
        u.numbers.erase("unemplrate");
        u.numbers.erase("linguistic");
        units.push_back(u);
    }
    c.write_units(units);
    const std::string line = "shadegap: error: " + c.units + ": model 'tree-equity' reads 2 of its 7 variables from "
                             "no column: poc (column 'pctpoc'; close: 'PCT_POC', 'pctpov'), linguistic (column "
                             "'linguistic') (hint: map each with --field ROLE=COLUMN, or run without them (weights "
                             "renormalised) with --allow-missing-variables)";
    auto args = tree_equity_args(c);
    require_error(run_binary(args), 1, line, c.out);
    args[0] = "check";
    require_error(run_binary(args), 1, line, c.out);

    const Outcome outcome =
        run_binary(tree_equity_args(c, {"--field", "poc=PCT_POC", "--allow-missing-variables"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK_THAT(outcome.err, Contains("shadegap: warning: linguistic: model variable 'linguistic' has no column in the "
                                     "data (default column 'linguistic', map one with --field linguistic=COLUMN): "
                                     "dropped; weights renormalised\n"));
    CHECK_THAT(outcome.err, Contains("; model tree-equity with 6 of 7 variables; city score "));
    const std::string run_json = test::read_text(c.out + "/run.json");
    CHECK_THAT(run_json, Contains("\"unemployment\": {\n      \"column\": \"UNEMPLRATE\""));
    CHECK_THAT(run_json, Contains("\"dropped_variables\": [\n    \"linguistic\"\n  ]"));
}

// A column that matches two others ignoring case (one in the units, one in the CSV) is an
// error asking for --field.
TEST_CASE("a column name that matches two columns ignoring case", "[bad][model]") {
    Case c;
    auto a = equity_unit("A", box(0, 0, 4, 4), 100, {});
    a.numbers.erase("pctpov");
    a.numbers["PCTPOV"] = 0.2;
    c.write_units({a});
    const std::string csv = c.dir.file("acs.csv");
    write_file(csv, "GEOID,PctPov\nA,0.3\n");
    require_error(run_binary(tree_equity_args(c, {"--join", csv, "--join-key", "GEOID"})), 1,
                  "shadegap: error: " + c.units + ": column 'pctpov' for 'poverty' matches 'PCTPOV' and 'PctPov' "
                  "ignoring case (hint: choose one with --field poverty=COLUMN)",
                  c.out);
    require_success(run_binary(tree_equity_args(c, {"--join", csv, "--join-key", "GEOID", "--field", "poverty=PctPov"})),
                    {});
    CHECK(field(unit_row(c.out, "A"), "PctPov") == 0.3);
}

// The join CSV lacks a row for B: exit 1, the count of matches and a key of each side
// (C is the CSV's key that no unit has). With --allow-unmatched: a warning naming the
// CSV, B's population is null (counted as 0, with a warning); A's comes from the CSV.
// `check` gives the same line and status as `run`.
TEST_CASE("a CSV join with a missing key", "[bad][join]") {
    Case c;
    c.write_units({{box(0, 0, 4, 4), {{"GEOID", "A"}}, {}}, {box(4, 0, 8, 4), {{"GEOID", "B"}}, {}}});
    const std::string csv = c.dir.file("acs.csv");
    write_file(csv, "GEOID,population\nA,120\nC,7\n");
    const std::string line = "shadegap: error: " + csv + ": join by GEOID: 1 of 2 census units matched a row; units "
                             "look like 'B', the CSV like 'C' (hint: --allow-unmatched runs with the unmatched units' "
                             "joined values null)";
    auto args = c.args({"--join", csv, "--join-key", "GEOID"});
    require_error(run_binary(args), 1, line, c.out);
    args[0] = "check";
    require_error(run_binary(args), 1, line, c.out);

    const Outcome outcome = run_binary(c.args({"--join", csv, "--join-key", "GEOID", "--allow-unmatched"}));
    require_success(outcome,
                    {"shadegap: warning: " + csv + ": 1 census unit(s) have no row in the join table "
                     "(--allow-unmatched): their joined values are null",
                     "shadegap: warning: " + csv + ": 1 census unit(s) have no population value; counted as 0"});
    CHECK(field(unit_row(c.out, "A"), "population") == 120);
    CHECK(field(unit_row(c.out, "B"), "population") == 0);
    require_warning_recorded(c.out, "join-missing");
}

namespace {
/// Units with text GEOIDs of 12 digits (leading zero) as a city's block groups have them.
std::vector<test::TestFeature> zero_units() {
    return {{box(0, 0, 4, 4), {{"GEOID", "060750101002"}}, {}}, {box(4, 0, 8, 4), {{"GEOID", "060750101003"}}, {}}};
}

/// A GeoPackage of two units whose key GEOID is stored as Integer64 (its zeros gone).
void write_integer_key_units(const std::string& path) {
    GDALAllRegister();
    GDALDatasetUniquePtr dataset(
        GetGDALDriverManager()->GetDriverByName("GPKG")->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    OGRSpatialReference srs;
    srs.importFromEPSG(utm18n);
    OGRLayer* layer = dataset->CreateLayer("units", &srs, wkbPolygon, nullptr);
    OGRFieldDefn key("GEOID", OFTInteger64);
    REQUIRE(layer->CreateField(&key) == OGRERR_NONE);
    const std::pair<GIntBig, std::string> rows[] = {{60750101002LL, box(0, 0, 4, 4)}, {60750101003LL, box(4, 0, 8, 4)}};
    for (const auto& [id, wkt] : rows) {
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("GEOID", id);
        OGRGeometry* geometry = nullptr;
        OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &geometry);
        feature.SetGeometryDirectly(geometry);
        REQUIRE(layer->CreateFeature(&feature) == OGRERR_NONE);
    }
}
}  // namespace

// The everyday ways a GEOID join loses its leading zeros, each an error that shows a key
// of each side and says why, never a run of zero populations.
TEST_CASE("a join whose keys lost their leading zeros", "[bad][join]") {
    Case c;
    const std::string csv = c.dir.file("acs.csv");
    SECTION("the CSV was saved by a spreadsheet: 60750101002") {
        c.write_units(zero_units());
        write_file(csv, "GEOID,population\n60750101002,120\n60750101003,80\n");
        require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), 1,
                      "shadegap: error: " + csv + ": join by GEOID: 0 of 2 census units matched a row; units look "
                      "like '060750101002', the CSV like '60750101002' (hint: leading zeros lost?; keep keys as text; "
                      "--allow-unmatched runs with the unmatched units' joined values null)",
                      c.out);
    }
    SECTION("a .csvt declares the key Integer64") {
        c.write_units(zero_units());
        write_file(csv, "GEOID,population\n060750101002,120\n060750101003,80\n");
        write_file(c.dir.file("acs.csvt"), "Integer64,Integer\n");
        require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), 1,
                      "shadegap: error: " + csv + ": join by GEOID: 0 of 2 census units matched a row; units look "
                      "like '060750101002', the CSV like '60750101002' (hint: leading zeros lost?; a .csvt declares "
                      "'GEOID' as Integer64; keep keys as text; --allow-unmatched runs with the unmatched units' "
                      "joined values null)",
                      c.out);
        // Declared as text, the same CSV joins: the populations of both units.
        write_file(c.dir.file("acs.csvt"), "String,Integer\n");
        require_success(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), {});
        CHECK(field(unit_row(c.out, "060750101002"), "population") == 120);
        CHECK(field(unit_row(c.out, "060750101003"), "population") == 80);
    }
    SECTION("the units store the key as Integer64") {
        write_integer_key_units(c.units);
        write_file(csv, "GEOID,population\n060750101002,120\n060750101003,80\n");
        require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), 1,
                      "shadegap: error: " + csv + ": join by GEOID: 0 of 2 census units matched a row; units look "
                      "like '60750101002', the CSV like '060750101002' (hint: leading zeros lost?; the units store "
                      "'GEOID' as Integer64; keep keys as text; --allow-unmatched runs with the unmatched units' "
                      "joined values null)",
                      c.out);
    }
}

// The CSV names the key GEO_ID, the units GEOID: --join-key GEOID=GEO_ID joins them; the
// plain --join-key GEOID names the side that lacks it.
TEST_CASE("a join key named differently on each side", "[bad][join]") {
    Case c;
    c.write_units(zero_units());
    const std::string csv = c.dir.file("acs.csv");
    write_file(csv, "GEO_ID,population\n060750101003,80\n060750101002,120\n");
    require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), 1,
                  "shadegap: error: " + csv + ": field 'GEOID' not found (fields: GEO_ID, population)", c.out);
    require_success(run_binary(c.args({"--join", csv, "--join-key", "GEOID=GEO_ID"})), {});
    CHECK(field(unit_row(c.out, "060750101002"), "population") == 120);
    CHECK(field(unit_row(c.out, "060750101003"), "population") == 80);
    require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID=", "--overwrite"})), 2,
                  "shadegap: error: --join-key: expected FIELD or UNITS_FIELD=CSV_FIELD, got \"GEOID=\"",
                  c.dir.file("none"));
}

// Key A twice in the join CSV: exit 1, the key quoted.
TEST_CASE("a CSV join with duplicate keys", "[bad][join]") {
    Case c;
    c.write_units({{box(0, 0, 4, 4), {{"GEOID", "A"}}, {}}});
    const std::string csv = c.dir.file("acs.csv");
    write_file(csv, "GEOID,population\nA,120\nA,7\n");
    require_error(run_binary(c.args({"--join", csv, "--join-key", "GEOID"})), 1,
                  "shadegap: error: " + csv + ": duplicate key 'A' in column 'GEOID'", c.out);
}

namespace {
/// A neighbourhood Shapefile (UTM 18N) whose name field holds raw bytes, written
/// without recoding; `cpg` (if not empty) is written as its .cpg file.
void write_raw_names(const std::string& path, const std::string& raw_name, const std::string& cpg) {
    GDALAllRegister();
    {
        GDALDatasetUniquePtr dataset(GetGDALDriverManager()->GetDriverByName("ESRI Shapefile")->Create(
            path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        OGRSpatialReference srs;
        srs.importFromEPSG(utm18n);
        const char* const options[] = {"ENCODING=", nullptr};
        OGRLayer* layer = dataset->CreateLayer("nbhd", &srs, wkbPolygon, const_cast<char**>(options));
        OGRFieldDefn id("nid", OFTString);
        OGRFieldDefn name("name", OFTString);
        REQUIRE(layer->CreateField(&id) == OGRERR_NONE);
        REQUIRE(layer->CreateField(&name) == OGRERR_NONE);
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("nid", "N1");
        feature.SetField("name", raw_name.c_str());
        OGRGeometry* geometry = nullptr;
        const std::string wkt = box(0, 0, 10, 10);
        OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &geometry);
        feature.SetGeometryDirectly(geometry);
        REQUIRE(layer->CreateFeature(&feature) == OGRERR_NONE);
    }
    const std::string stem = path.substr(0, path.size() - 4);
    fs::remove(stem + ".cpg");
    if (!cpg.empty()) write_file(stem + ".cpg", cpg);
}
}  // namespace

// A neighbourhood named "Caf\xE9" in Latin-1. With a .cpg naming the code page (1252) the
// layer's encoding converts it: "Café" in UTF-8, no warning. Without one, the bytes are
// not UTF-8: the invalid byte becomes U+FFFD, with a warning; the outputs stay UTF-8.
TEST_CASE("names that are not valid UTF-8", "[bad][attributes]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string shp = c.dir.file("nbhd.shp");
    const auto args = c.args({"--neighbourhoods", shp, "--neighbourhood-id", "nid", "--neighbourhood-name", "name",
                              "--overwrite"});
    SECTION("declared by a .cpg: converted") {
        write_raw_names(shp, "Caf\xE9", "1252");
        require_success(run_binary(args), {});
        const std::string geojson = test::read_text(c.out + "/priority.geojson");
        CHECK(is_valid_utf8(geojson));
        CHECK_THAT(geojson, Contains("\"name\": \"Caf\xC3\xA9\""));
        CHECK(test::read_csv(c.out + "/priority.csv").rows.at(0).at("name") == "Caf\xC3\xA9");
    }
    SECTION("undeclared: replaced and warned") {
        write_raw_names(shp, "Caf\xE9", "");
        require_success(run_binary(args),
                        {"shadegap: warning: " + shp + ": field 'name' of unit 'N1' is not valid UTF-8 "
                         "('Caf\\xE9'); the invalid bytes are replaced by U+FFFD (declare the layer's encoding, "
                         "e.g. in a .cpg file, or convert it with ogr2ogr -oo ENCODING=...)"});
        const std::string geojson = test::read_text(c.out + "/priority.geojson");
        CHECK(is_valid_utf8(geojson));
        CHECK_THAT(geojson, Contains("\"name\": \"Caf\xEF\xBF\xBD\""));
        const std::string csv = test::read_text(c.out + "/priority.csv");
        CHECK(is_valid_utf8(csv));
        CHECK_THAT(csv, Contains("Caf\xEF\xBF\xBD"));
        require_warning_recorded(c.out, "text-encoding");
    }
}

// ---------------------------------------------------------------------------------------
// Output folder, model and options

// --out below a regular file cannot be created: exit 1, the folder named. As root (CI)
// a chmod 0555 folder is still writable, so that variant runs only for other users.
TEST_CASE("an unwritable output folder", "[bad][output]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string file = c.dir.file("a-file");
    write_file(file, "not a folder\n");
    auto args = c.args();
    args[10] = file + "/sub";
    const Outcome outcome = run_binary(args);
    require_error(outcome, 1,
                  "shadegap: error: " + file + "/sub: cannot create the output folder (" + file + " is not a folder)",
                  file + "/sub");
    CHECK(test::read_text(file) == "not a folder\n");

    if (::geteuid() != 0) {
        const std::string locked = c.dir.file("locked");
        fs::create_directory(locked);
        fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
        args[10] = locked;
        const Outcome denied = run_binary(args);
        fs::permissions(locked, fs::perms::owner_all);
        require_error(denied, 1, "shadegap: error: " + locked + ": cannot write in the output folder (Permission denied)",
                      locked);
    }
}

// --out already holds the outputs of an earlier run, no --overwrite: exit 1 with the
// hint, and the earlier files are untouched.
TEST_CASE("an output folder with outputs and no --overwrite", "[bad][output]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    fs::create_directories(c.out);
    for (const std::string name : {"priority.geojson", "priority.csv", "units.csv", "run.json"})
        write_file(c.out + "/" + name, "earlier " + name + "\n");
    const Outcome outcome = run_binary(c.args());
    INFO("stderr: " << outcome.err);
    CHECK(outcome.status == 1);
    CHECK(outcome.out.empty());
    CHECK(outcome.err == "shadegap: error: " + c.out + ": already holds priority.geojson; shadegap does not "
                         "overwrite outputs (hint: use --overwrite, or choose another --out)\n");
    CHECK(entries_of(c.out).size() == 4);
    for (const std::string name : {"priority.geojson", "priority.csv", "units.csv", "run.json"})
        CHECK(test::read_text(c.out + "/" + name) == "earlier " + name + "\n");
}

// A model file with an unknown key in [goal]: exit 1, file and key named, the keys listed.
TEST_CASE("a model file with an unknown key", "[bad][model]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    std::string model = shadegap::test::read_text(SHADEGAP_SOURCE_DIR "/models/canopy-gap.toml");
    const auto at = model.find("cap_factor = 1.5");
    REQUIRE(at != std::string::npos);
    model.insert(at, "bogus = 3\n");
    const std::string path = c.dir.file("bad-model.toml");
    write_file(path, model);
    auto args = c.args();
    args[8] = path;
    require_error(run_binary(args), 1,
                  "shadegap: error: " + path + ": unknown key 'goal.bogus' (hint: the keys of 'goal' are method, "
                  "baseline, column, cap_factor, density)",
                  c.out);
}

// --field population=POP where the units have no column POP: exit 1, the fields listed.
// --field naming a variable the model does not have is bad usage: exit 2.
TEST_CASE("a field option naming an unknown column or variable", "[bad][options]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    require_error(run_binary(c.args({"--field", "population=POP"})), 1,
                  "shadegap: error: " + c.units + ": field 'POP' for 'population' not found (fields: GEOID, "
                  "population) (hint: map it with --field population=COLUMN)",
                  c.out);
    require_error(run_binary(c.args({"--field", "shade=x"})), 2,
                  "shadegap: error: --field shade=x: model 'canopy-gap' has no variable 'shade' (variables: "
                  "population)",
                  c.out);
}

// ---------------------------------------------------------------------------------------
// Faults while running

// Writes beyond 4 KiB fail (RLIMIT_FSIZE, SIGXFSZ ignored): the GeoJSON of 40 units is
// larger. Exit 1, "cannot write (disk full?)" naming the output, and the output folder
// (new for this run) is gone again.
TEST_CASE("a full disk", "[bad][faults]") {
    Case c;
    std::vector<test::TestFeature> features;
    for (int i = 0; i < 40; ++i) {
        const double x = (i % 8) * 1.25, y = (i / 8) * 2.0;
        features.push_back(unit("U" + std::to_string(i), box(x, y, x + 1.25, y + 2)));
    }
    c.write_units(features);
    Spawn spawn;
    spawn.file_size_limit = 4096;
    const Outcome outcome = run_binary(c.args(), spawn);
    require_error(outcome, 1, "shadegap: error: " + c.out + "/priority.geojson: cannot write (disk full?)", c.out);
    CHECK_FALSE(fs::exists(c.out));
}

namespace {
/// A 40960 × 40960 sparse tiled GeoTIFF (all 0, no tile written, 200 KB on disk): its
/// overlay takes about a second even in Release, far longer than the run needs to
/// notice a signal (it stops after the batch of blocks it is in).
void write_large_sparse_raster(const std::string& path) {
    GDALAllRegister();
    const char* const options[] = {"TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "SPARSE_OK=TRUE", nullptr};
    GDALDatasetUniquePtr dataset(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
        path.c_str(), 40960, 40960, 1, GDT_Byte, const_cast<char**>(options)));
    REQUIRE(dataset);
    double transform[6] = {origin_x, 1, 0, origin_y + 40960, 0, -1};
    dataset->SetGeoTransform(transform);
    OGRSpatialReference srs;
    srs.importFromEPSG(utm18n);
    dataset->SetSpatialRef(&srs);
}
}  // namespace

// SIGINT or SIGTERM once the overlay has begun (seen on the --progress bar): exit status
// 130 / 143, the error line after the bar, nothing on stdout, no output and no temporary
// folder left.
TEST_CASE("an interrupted run", "[bad][faults]") {
    Case c;
    write_large_sparse_raster(c.raster);
    c.write_units({unit("A", box(-1, -1, 40961, 40961))});
    for (const auto& [signal, name, status] : {std::tuple<int, std::string, int>{SIGINT, "SIGINT", 130},
                                               {SIGTERM, "SIGTERM", 143}}) {
        INFO(name);
        Spawn spawn;
        spawn.signal = signal;
        spawn.signal_when = "overlay";
        const Outcome outcome = run_binary(c.args({"--block-size", "256", "--progress"}), spawn);
        INFO("stderr: " << outcome.err);
        REQUIRE(outcome.signal_sent);
        CHECK(outcome.killed_by == 0);
        CHECK(outcome.status == status);
        CHECK(outcome.out.empty());
        // The bar redraws itself with carriage returns and is erased before the error.
        const std::string after_bar = outcome.err.substr(outcome.err.rfind('\r') + 1);
        CHECK(after_bar == "shadegap: error: " + c.out + ": interrupted by " + name +
                               " during overlay; no output was written\n");
        CHECK(lines_of(outcome.err).size() == 1);
        CHECK_FALSE(fs::exists(c.out));
    }
}

// ---------------------------------------------------------------------------------------
// Shade (`run --shade`)

namespace {

/// A 10 × 10 shade raster (Float32, nodata −1) over the base raster's cells, in `epsg`, with
/// its west edge `shift` metres east of the base raster's; every value `value` but one.
void write_shade(const std::string& path, double one_value, int epsg = utm18n, double shift = 0) {
    std::vector<double> values(100, 0.5);
    values[23] = one_value;  // row 2, column 3
    const double nodata = -1;
    test::write_raster(path, 10, 10, origin_x + shift, origin_y + 10, 1.0, values, epsg, GDT_Float32, &nodata);
}

}  // namespace

// A shade raster with a value above 1 → exit 1, the file, the value and the cell named.
TEST_CASE("a shade raster with a value outside 0-1", "[bad][shade]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("B", box(5, 5, 9, 9))});
    const std::string shade = c.dir.file("shade.tif");
    write_shade(shade, 1.25);
    require_error(run_binary(c.args({"--shade", shade})), 1,
                  "shadegap: error: " + shade + ": value 1.25 at row 2, column 3 is not a shade fraction (expected 0 "
                  "to 1, or the raster's nodata value)",
                  c.out);
}

// A shade raster half a cell off the canopy raster's grid → exit 1, both grids named; never resampled.
TEST_CASE("a shade raster on another grid", "[bad][shade]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string shade = c.dir.file("shade.tif");
    write_shade(shade, 0.5, utm18n, 0.5);
    require_error(run_binary(c.args({"--shade", shade})), 1,
                  "shadegap: error: " + shade + ": its grid (10 × 10 cells of 1 × 1 from (500000.5, 4100010)) differs "
                  "from the canopy raster " + c.raster + " (10 × 10 cells of 1 × 1 from (500000, 4100010)); shadegap "
                  "does not resample (hint: warp it onto that grid: gdalwarp -t_srs EPSG:32618 -te 500000 4100000 "
                  "500010 4100010 -tr 1 1 -r average)",
                  c.out);
}

// The same numbers in UTM 17N → exit 1, both CRSs named; never reprojected.
TEST_CASE("a shade raster in another CRS", "[bad][shade]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string shade = c.dir.file("shade.tif");
    write_shade(shade, 0.5, utm17n);
    require_error(run_binary(c.args({"--shade", shade})), 1,
                  "shadegap: error: " + shade + ": its CRS (WGS 84 / UTM zone 17N) differs from the canopy raster " +
                      c.raster + " (WGS 84 / UTM zone 18N); shadegap does not reproject it",
                  c.out);
}

// --shade names a file that does not exist → exit 1, "PATH: no such file (--shade)".
TEST_CASE("missing shade file", "[bad][shade]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    const std::string missing = c.dir.file("none.tif");
    require_error(run_binary(c.args({"--shade", missing})), 1,
                  "shadegap: error: " + missing + ": no such file (--shade)", c.out);
}

// A model ranking by shade without --shade, and a walkable mask without its classes → exit 2.
TEST_CASE("shade options that do not fit together", "[bad][shade]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    auto args = c.args();
    args[8] = "shade-equity";
    require_error(run_binary(args), 2,
                  "shadegap: error: --shade: model 'shade-equity' ranks by shade (model.coverage = \"shade\") and "
                  "needs a shade-fraction raster (hint: make one with shadegap shade, then give --shade PATH)",
                  c.out);
    const std::string shade = c.dir.file("shade.tif");
    write_shade(shade, 0.5);
    require_error(run_binary(c.args({"--shade", shade, "--shade-mask", "walkable"})), 2,
                  "shadegap: error: --shade-mask: walkable needs --walkable-classes V1,V2,... (the land-cover values "
                  "of roads, sidewalks and open ground)",
                  c.out);
}

// ---------------------------------------------------------------------------------------
// Units off the raster, neighbourhoods that overlap or leave gaps (issue 13)

namespace {
/// A neighbourhood layer (GeoPackage, UTM 18N) with id field nid.
void write_neighbourhoods(const std::string& path, const std::vector<std::pair<std::string, std::string>>& boxes) {
    std::vector<test::TestFeature> features;
    for (const auto& [id, wkt] : boxes) features.push_back({wkt, {{"nid", id}}, {}});
    test::write_layer(path, "GPKG", "nbhd", utm18n, features);
}

std::map<std::string, std::string> priority_row(const std::string& out, const std::string& id) {
    for (const auto& row : test::read_csv(out + "/priority.csv").rows)
        if (row.at("id") == id) return row;
    FAIL("no row for '" << id << "' in " << out << "/priority.csv");
    return {};
}
}  // namespace

// B (x 9.99999–14, y 0–4) lies on the raster by a sliver of 1e-5 × 4 m² (2.5e-6 of its
// 16.00004 m²) over a column without canopy: before, canopy 0 % from the sliver ranked it
// first. Now: one warning counting it (from check too), no canopy, no score, no rank; A
// (x 0–4, canopy) is rank 1, alone.
TEST_CASE("a unit outside the raster but for a sliver", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("B", box(9.99999, 0, 14, 4))});
    const std::string warning = "shadegap: warning: " + c.units + ": 1 of 2 census units lie outside the raster " +
                                c.raster + " (less than 1 % of their area on it): no canopy, no score, no rank ('B')";
    require_success(run_binary(c.args()), {warning});
    require_warning_recorded(c.out, "outside-raster");
    const auto b = priority_row(c.out, "B");
    CHECK(b.at("rank").empty());
    CHECK(b.at("score").empty());
    CHECK(b.at("canopy_pct").empty());
    CHECK(field(b, "outside_pct") == Approx(100 * 16 / 16.00004).epsilon(1e-9));
    CHECK(unit_row(c.out, "B").at("canopy_fraction").empty());
    CHECK(field(unit_row(c.out, "B"), "outside_m2") == Approx(16).margin(1e-6));
    CHECK(field(priority_row(c.out, "A"), "rank") == 1);

    auto args = c.args({"--overwrite"});
    args[0] = "check";
    const Outcome checked = run_binary(args);
    CHECK(checked.status == 0);
    const auto lines = lines_of(checked.err);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == warning);
}

// N1 (x 5–15, y 0–10) is half off the raster: nodata_pct and outside_pct 50 (before: 0),
// canopy 0 % over its half on the raster. N2 (x 0–5) lies wholly on it: 0 and 0, canopy
// 100 %. The census unit A (x 0–10) lies in N1 ∪ N2 exactly: no overlap, no gap warning.
TEST_CASE("a neighbourhood half outside the raster", "[bad][geometry]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 10, 10), 100)});
    const std::string nbhd = c.dir.file("nbhd.gpkg");
    write_neighbourhoods(nbhd, {{"N1", box(5, 0, 15, 10)}, {"N2", box(0, 0, 5, 10)}});
    require_success(run_binary(c.args({"--neighbourhoods", nbhd, "--neighbourhood-id", "nid"})),
                    {"shadegap: warning: canopy-gap: 1 of 2 ranking units have no data (nodata or off the raster) on "
                     "more than 20 % of their area; their canopy is that of the rest ('N1' 50.0 %)"});
    const auto n1 = priority_row(c.out, "N1");
    CHECK(field(n1, "nodata_pct") == Approx(50).margin(1e-9));
    CHECK(field(n1, "outside_pct") == Approx(50).margin(1e-9));
    CHECK(field(n1, "canopy_pct") == Approx(0).margin(1e-9));
    CHECK(field(n1, "population") == Approx(50).margin(1e-9));
    const auto n2 = priority_row(c.out, "N2");
    CHECK(field(n2, "nodata_pct") == Approx(0).margin(1e-9));
    CHECK(field(n2, "outside_pct") == Approx(0).margin(1e-9));
    CHECK(field(n2, "canopy_pct") == Approx(100).margin(1e-9));
    const std::string run_json = test::read_text(c.out + "/run.json");
    CHECK_THAT(run_json, Contains("\"people_in_no_neighbourhood\": 0.0"));
    CHECK_THAT(run_json, Contains("\"people_in_several_neighbourhoods\": 0.0"));
}

// Units A (x 0–4, y 0–4, 100 people), B (x 4–8, 200) and C (y 4–8, x 0–8, 400).
// N1 = x 0–6, y 0–4 holds A and half of B; N2 = x 5–8, y 0–4 holds three quarters of B.
// B's quarter x 5–6 lies in both: 200 × 4/16 = 50 people counted twice (7.1 % of 700);
// C lies in neither: 400 people (57.1 %) in no neighbourhood. Populations by area: N1 =
// 100 + 200 × 8/16 = 200, N2 = 200 × 12/16 = 150.
TEST_CASE("neighbourhoods that overlap and leave a gap", "[bad][allocate]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4), 100), unit("B", box(4, 0, 8, 4), 200), unit("C", box(0, 4, 8, 8), 400)});
    const std::string nbhd = c.dir.file("nbhd.gpkg");
    write_neighbourhoods(nbhd, {{"N1", box(0, 0, 6, 4)}, {"N2", box(5, 0, 8, 4)}});
    require_success(run_binary(c.args({"--neighbourhoods", nbhd, "--neighbourhood-id", "nid"})),
                    {"shadegap: warning: " + nbhd + ": the neighbourhoods overlap: 50 people (7.1 % of the census "
                     "units') are counted in more than one neighbourhood (census units 'B')",
                     "shadegap: warning: " + nbhd + ": 400 people (57.1 % of the census units') live outside every "
                     "neighbourhood and are in no ranking unit (census units 'C')"});
    require_warning_recorded(c.out, "neighbourhood-overlap");
    require_warning_recorded(c.out, "neighbourhood-gap");
    CHECK(field(priority_row(c.out, "N1"), "population") == Approx(200).margin(1e-9));
    CHECK(field(priority_row(c.out, "N2"), "population") == Approx(150).margin(1e-9));
    const auto run = test::read_text(c.out + "/run.json");
    const auto number_after = [&](const std::string& key) {
        const auto at = run.find("\"" + key + "\": ");
        REQUIRE(at != std::string::npos);
        return std::stod(run.substr(at + key.size() + 4));
    };
    CHECK(number_after("people_in_several_neighbourhoods") == Approx(50).margin(1e-9));
    CHECK(number_after("people_in_no_neighbourhood") == Approx(400).margin(1e-9));
    CHECK(number_after("people") == 700);
}

// ---------------------------------------------------------------------------------------
// Frictions (issue 13, item 8)

// The American spellings of the neighbourhood flags give the same bytes.
TEST_CASE("the American spellings of the neighbourhood flags are aliases", "[bad][options]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 10, 10), 100)});
    const std::string nbhd = c.dir.file("nbhd.gpkg");
    write_neighbourhoods(nbhd, {{"N1", box(5, 0, 10, 10)}, {"N2", box(0, 0, 5, 10)}});
    require_success(run_binary(c.args({"--neighbourhoods", nbhd, "--neighbourhood-id", "nid", "--neighbourhood-name",
                                       "nid", "--neighbourhoods-layer", "nbhd"})),
                    {});
    const std::string british = test::read_text(c.out + "/priority.geojson");
    require_success(run_binary(c.args({"--neighborhoods", nbhd, "--neighborhood-id", "nid", "--neighborhood-name",
                                       "nid", "--neighborhoods-layer", "nbhd", "--overwrite"})),
                    {});
    CHECK(test::read_text(c.out + "/priority.geojson") == british);
}

// A flag given twice, and a raster given where the project file goes: one plain line.
TEST_CASE("a flag given twice, a raster as the project file", "[bad][options]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4))});
    require_error(run_binary(c.args({"--out", c.dir.file("other")})), 2,
                  "shadegap: error: --out: given twice; give it once (a flag overrides the project file's value by "
                  "itself) (hint: see shadegap run --help)",
                  c.out);
    const std::vector<std::string> args = {"run", c.raster, "--out", c.out};
    require_error(run_binary(args), 1,
                  "shadegap: error: " + c.raster + ": is a raster, not a project file (TOML text) (hint: give a "
                  "raster with --canopy PATH, or a project file first: shadegap run city.toml)",
                  c.out);
}

// More threads than cores: capped with a warning, the same bytes as one thread.
TEST_CASE("more threads than the machine has cores", "[bad][options]") {
    Case c;
    c.write_units({unit("A", box(0, 0, 4, 4)), unit("B", box(4, 0, 8, 4))});
    require_success(run_binary(c.args()), {});
    const std::string one = test::read_text(c.out + "/priority.geojson");
    auto args = c.args({"--overwrite"});
    args[12] = "4096";
    const Outcome outcome = run_binary(args);
    REQUIRE(outcome.status == 0);
    const auto lines = lines_of(outcome.err);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], StartsWith("shadegap: warning: --threads: 4096 threads asked for, but this machine has "));
    require_warning_recorded(c.out, "threads-capped");
    CHECK(test::read_text(c.out + "/priority.geojson") == one);
}

// Both units meet their goal (canopy 100 %, score 100): the one of higher priority ranks
// first although it has fewer people (before: population decided).
TEST_CASE("units at score 100 are ordered by priority", "[bad][ranking]") {
    Case c;
    c.write_units({equity_unit("POOR", box(0, 0, 4, 4), 10,
                               {{"pctpov", 0.6}, {"pctpoc", 0.8}, {"unemplrate", 0.1}, {"dep_ratio", 0.9},
                                {"linguistic", 0.2}, {"health", 0.3}, {"temp_diff", 2}}),
                   equity_unit("RICH", box(0, 4, 4, 8), 500,
                               {{"pctpov", 0.1}, {"pctpoc", 0.2}, {"unemplrate", 0.02}, {"dep_ratio", 0.4},
                                {"linguistic", 0.01}, {"health", 0.05}, {"temp_diff", -1}})});
    require_success(run_binary(tree_equity_args(c)), {});
    const auto table = test::read_csv(c.out + "/priority.csv");
    REQUIRE(table.rows.size() == 2);
    CHECK(table.rows[0].at("id") == "POOR");
    CHECK(field(table.rows[0], "score") == 100);
    CHECK(field(table.rows[0], "priority") == 1.0);
    CHECK(field(table.rows[1], "priority") == Approx(0.1));
    CHECK(field(table.rows[0], "rank") == 1);
}
