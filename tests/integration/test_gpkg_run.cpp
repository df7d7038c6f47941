// --format gpkg on the sample city: priority.gpkg against priority.csv, its CRS, its QGIS style.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include "shadegap/output.hpp"
#include "shadegap/pipeline.hpp"

#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <filesystem>
#include <regex>

using namespace shadegap;
using shadegap::test::TempDir;
using Catch::Matchers::Contains;

namespace {

const std::string sample = std::string(SHADEGAP_SOURCE_DIR) + "/sample-rasters/";

RunConfig neighbourhood_config(const TempDir& dir, const std::string& out) {
    RunConfig config;
    config.canopy = sample + "landcover.tif";
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.water_classes = {4};
    config.units = sample + "blocks.gpkg";
    config.units_layer = "blocks";
    config.unit_id = "GEOID";
    config.join = sample + "acs.csv";
    config.join_key = "GEOID";
    config.neighbourhoods = sample + "neighbourhoods.gpkg";
    config.neighbourhoods_layer = "neighbourhoods";
    config.neighbourhood_id = "nbhd_id";
    config.neighbourhood_name = "name";
    config.threads = 1;
    config.out = dir.file(out);
    return config;
}

/// The value of attribute `name` in the first start tag `<element ...>` of `xml`, or "".
std::string attribute(const std::string& xml, const std::string& element, const std::string& name) {
    const std::regex tag("<" + element + R"(\b[^>]*>)");
    std::smatch match;
    if (!std::regex_search(xml, match, tag)) return {};
    const std::string text = match.str();
    const std::regex value(R"(\s)" + name + R"re(="([^"]*)")re");
    std::smatch found;
    return std::regex_search(text, found, value) ? found[1].str() : std::string();
}

}  // namespace

TEST_CASE("run --format gpkg: priority.gpkg holds the ranking of priority.csv in the raster's CRS", "[gpkg]") {
    TempDir dir;
    RunConfig config = neighbourhood_config(dir, "out");
    config.format = OutputFormat::GeoPackage;
    run_pipeline(config);

    const auto csv = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE_FALSE(csv.rows.empty());
    GDALAllRegister();
    GDALDatasetUniquePtr gpkg(GDALDataset::Open(dir.file("out/priority.gpkg").c_str(), GDAL_OF_VECTOR));
    REQUIRE(gpkg);
    CHECK(std::string(gpkg->GetDriver()->GetDescription()) == "GPKG");
    OGRLayer* layer = gpkg->GetLayerByName("priority");
    REQUIRE(layer != nullptr);
    CHECK(layer->GetFeatureCount() == static_cast<GIntBig>(csv.rows.size()));

    // The same properties in the same order as priority.csv (and so priority.geojson).
    std::vector<std::string> fields;
    for (int i = 0; i < layer->GetLayerDefn()->GetFieldCount(); ++i)
        fields.push_back(layer->GetLayerDefn()->GetFieldDefn(i)->GetNameRef());
    CHECK(fields == csv.header);

    layer->ResetReading();
    std::size_t r = 0;
    for (auto& feature : *layer) {
        REQUIRE(r < csv.rows.size());
        const auto& row = csv.rows[r];
        INFO("feature " << r << ", csv id " << row.at("id"));
        CHECK(feature->GetFieldAsString("id") == row.at("id"));
        if (row.at("rank").empty()) {
            CHECK(feature->IsFieldNull(feature->GetFieldIndex("rank")));
        } else {
            CHECK(feature->GetFieldAsInteger64("rank") == std::stoll(row.at("rank")));
        }
        if (row.at("score").empty()) {
            CHECK(feature->IsFieldNull(feature->GetFieldIndex("score")));
        } else {
            // CSV keeps 15 significant digits; the GeoPackage the double itself.
            CHECK(feature->GetFieldAsDouble("score") == Approx(std::stod(row.at("score"))).epsilon(1e-14));
        }
        REQUIRE(feature->GetGeometryRef() != nullptr);
        CHECK(wkbFlatten(feature->GetGeometryRef()->getGeometryType()) == wkbMultiPolygon);
        ++r;
    }
    CHECK(r == csv.rows.size());

    // Not reprojected to WGS 84: the canopy raster's CRS.
    GDALDatasetUniquePtr raster(GDALDataset::Open((sample + "landcover.tif").c_str(), GDAL_OF_RASTER));
    REQUIRE(raster);
    REQUIRE(layer->GetSpatialRef() != nullptr);
    CHECK(layer->GetSpatialRef()->IsSame(raster->GetSpatialRef()));
    CHECK_FALSE(layer->GetSpatialRef()->IsGeographic());

    CHECK_THAT(test::read_text(dir.file("out/run.json")), Contains(dir.file("out/priority.gpkg")));
}

TEST_CASE("run --format gpkg: layer_styles makes a graduated renderer on score the layer's default", "[gpkg]") {
    TempDir dir;
    RunConfig config = neighbourhood_config(dir, "out");
    config.format = OutputFormat::GeoPackage;
    run_pipeline(config);

    GDALAllRegister();
    GDALDatasetUniquePtr gpkg(GDALDataset::Open(dir.file("out/priority.gpkg").c_str(), GDAL_OF_VECTOR));
    REQUIRE(gpkg);
    OGRLayer* styles = gpkg->GetLayerByName("layer_styles");
    REQUIRE(styles != nullptr);
    for (const char* column : {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                               "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"}) {
        INFO("column " << column);
        CHECK(styles->GetLayerDefn()->GetFieldIndex(column) >= 0);
    }
    REQUIRE(styles->GetFeatureCount() == 1);
    styles->ResetReading();
    std::unique_ptr<OGRFeature> row(styles->GetNextFeature());
    REQUIRE(row);
    CHECK(std::string(row->GetFieldAsString("f_table_name")) == "priority");
    CHECK(std::string(row->GetFieldAsString("f_geometry_column")) == gpkg->GetLayerByName("priority")->GetGeometryColumn());
    CHECK(row->GetFieldAsInteger("useAsDefault") == 1);
    const int use_as_default = styles->GetLayerDefn()->GetFieldIndex("useAsDefault");
    CHECK(styles->GetLayerDefn()->GetFieldDefn(use_as_default)->GetSubType() == OFSTBoolean);

    const std::string qml = row->GetFieldAsString("styleQML");
    CHECK(qml == score_style_qml());
    CHECK(attribute(qml, "renderer-v2", "type") == "graduatedSymbol");
    CHECK(attribute(qml, "renderer-v2", "attr") == "score");
    const std::regex range_tag(R"(<range\b[^>]*>)");
    std::vector<std::pair<std::string, std::string>> bounds;
    for (auto it = std::sregex_iterator(qml.begin(), qml.end(), range_tag); it != std::sregex_iterator(); ++it)
        bounds.emplace_back(attribute(it->str(), "range", "lower"), attribute(it->str(), "range", "upper"));
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"0", "20"}, {"20", "40"}, {"40", "60"}, {"60", "80"}, {"80", "100"}};
    CHECK(bounds == expected);
    // Red for the first class (plant first), green for the last.
    const std::regex color(R"re(name="color" value="([0-9,]+)")re");
    std::vector<std::string> colors;
    for (auto it = std::sregex_iterator(qml.begin(), qml.end(), color); it != std::sregex_iterator(); ++it)
        colors.push_back((*it)[1].str());
    REQUIRE(colors.size() == 5);
    CHECK(colors.front() == "215,25,28,255");
    CHECK(colors.back() == "26,150,65,255");
}

TEST_CASE("run --format gpkg: two runs write the same bytes, and GDAL's settings are left as found", "[gpkg][determinism]") {
    TempDir dir;
    REQUIRE(CPLGetConfigOption("OGR_CURRENT_DATE", nullptr) == nullptr);
    RunConfig config = neighbourhood_config(dir, "first");
    config.format = OutputFormat::GeoPackage;
    run_pipeline(config);
    CHECK(CPLGetConfigOption("OGR_CURRENT_DATE", nullptr) == nullptr);
    config.out = dir.file("second");
    config.threads = 2;
    run_pipeline(config);
    const std::string first = test::read_text(dir.file("first/priority.gpkg"));
    REQUIRE_FALSE(first.empty());
    CHECK(first == test::read_text(dir.file("second/priority.gpkg")));
    CHECK(CPLGetConfigOption("OGR_CURRENT_DATE", nullptr) == nullptr);
}

TEST_CASE("run without --format gpkg: no priority.gpkg is written", "[gpkg]") {
    TempDir dir;
    RunConfig config = neighbourhood_config(dir, "out");
    run_pipeline(config);
    CHECK(std::filesystem::exists(dir.file("out/priority.geojson")));
    CHECK_FALSE(std::filesystem::exists(dir.file("out/priority.gpkg")));
    CHECK(test::read_text(dir.file("out/run.json")).find("priority.gpkg") == std::string::npos);
}

TEST_CASE("run --format shp (not geojson or gpkg) is bad usage naming the choices", "[gpkg][cli]") {
    TempDir dir;
    const test::Outcome outcome = test::run_binary(
        SHADEGAP_BINARY, {"run", sample + "city.toml", "--out", dir.file("out"), "--format", "shp"});
    test::require_one_line_error(outcome, 2);
    CHECK_THAT(outcome.err, Contains("--format"));
    CHECK_THAT(outcome.err, Contains("geojson or gpkg"));
    CHECK_THAT(outcome.err, Contains("\"shp\""));
    CHECK_FALSE(std::filesystem::exists(dir.file("out")));
}
