// End to end on the sample city: the tool's numbers against a separate computation here.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"

#include "shadegap/pipeline.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>

using namespace shadegap;
using shadegap::test::TempDir;
using shadegap::test::number;

namespace {

const std::string sample = std::string(SHADEGAP_SOURCE_DIR) + "/sample-rasters/";

RunConfig sample_config(const TempDir& dir) {
    RunConfig config;
    config.canopy = sample + "landcover.tif";
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.water_classes = {4};
    config.units = sample + "blocks.gpkg";
    config.units_layer = "blocks";
    config.unit_id = "GEOID";
    config.join = sample + "acs.csv";
    config.join_key = "GEOID";
    config.out = dir.file("out");
    return config;
}

using Rings = std::vector<std::vector<std::pair<double, double>>>;

/// Even–odd point-in-polygon over every ring (shells and holes alike).
bool inside(const Rings& rings, double x, double y) {
    bool in = false;
    for (const auto& ring : rings) {
        for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
            const auto [xi, yi] = ring[i];
            const auto [xj, yj] = ring[j];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
        }
    }
    return in;
}

/// Canopy share of valid land by sampling k × k points in every cell, reading the raster
/// and the block directly with GDAL/OGR.
double supersampled_canopy(const std::string& geoid, int k) {
    GDALAllRegister();
    GDALDatasetUniquePtr raster(GDALDataset::Open((sample + "landcover.tif").c_str(), GDAL_OF_RASTER));
    GDALDatasetUniquePtr vector(GDALDataset::Open((sample + "blocks.gpkg").c_str(), GDAL_OF_VECTOR));
    REQUIRE(raster);
    REQUIRE(vector);
    double gt[6];
    raster->GetGeoTransform(gt);
    OGRSpatialReference target(*raster->GetSpatialRef());
    target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayer* layer = vector->GetLayerByName("blocks");
    OGRSpatialReference source(*layer->GetSpatialRef());
    source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&source, &target));
    layer->SetAttributeFilter(("GEOID = '" + geoid + "'").c_str());
    std::unique_ptr<OGRFeature> feature(layer->GetNextFeature());
    REQUIRE(feature);
    std::unique_ptr<OGRGeometry> geometry(feature->GetGeometryRef()->clone());
    REQUIRE(geometry->transform(ct.get()) == OGRERR_NONE);
    Rings rings;
    OGREnvelope env;
    geometry->getEnvelope(&env);
    const auto add_polygon = [&](const OGRPolygon& p) {
        for (int r = -1; r < p.getNumInteriorRings(); ++r) {
            const OGRLinearRing* ring = r < 0 ? p.getExteriorRing() : p.getInteriorRing(r);
            std::vector<std::pair<double, double>> pts;
            for (int i = 0; i < ring->getNumPoints(); ++i) pts.emplace_back(ring->getX(i), ring->getY(i));
            rings.push_back(pts);
        }
    };
    if (wkbFlatten(geometry->getGeometryType()) == wkbPolygon) add_polygon(*geometry->toPolygon());
    else for (const auto* p : *geometry->toMultiPolygon()) add_polygon(*p);

    const int width = raster->GetRasterXSize(), height = raster->GetRasterYSize();
    const int c0 = std::max(0, static_cast<int>(std::floor((env.MinX - gt[0]) / gt[1])));
    const int c1 = std::min(width, static_cast<int>(std::ceil((env.MaxX - gt[0]) / gt[1])));
    const int r0 = std::max(0, static_cast<int>(std::floor((env.MaxY - gt[3]) / gt[5])));
    const int r1 = std::min(height, static_cast<int>(std::ceil((env.MinY - gt[3]) / gt[5])));
    const int cols = c1 - c0, rows = r1 - r0;
    std::vector<unsigned char> values(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows));
    REQUIRE(raster->GetRasterBand(1)->RasterIO(GF_Read, c0, r0, cols, rows, values.data(), cols, rows, GDT_Byte, 0,
                                               0) == CE_None);
    double canopy = 0, land = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const unsigned char v = values[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
            if (v == 0 || v == 4) continue;  // nodata, water
            int hits = 0;
            for (int i = 0; i < k; ++i)
                for (int j = 0; j < k; ++j)
                    hits += inside(rings, gt[0] + (c0 + c + (j + 0.5) / k) * gt[1], gt[3] + (r0 + r + (i + 0.5) / k) * gt[5]);
            land += hits;
            if (v == 1) canopy += hits;
        }
    }
    return canopy / land;
}


}  // namespace

TEST_CASE("sample city: canopy of block groups agrees with supersampling", "[sample-run]") {
    TempDir dir;
    const RunConfig config = sample_config(dir);
    run_pipeline(config);
    const auto units = test::read_csv(dir.file("out/units.csv"));
    REQUIRE(units.rows.size() == 50);
    // Three block groups spread over the city, one split by the nodata strip.
    std::set<std::string> checked;
    for (std::size_t i : {std::size_t{0}, std::size_t{24}, std::size_t{42}}) {
        const auto& row = units.rows[i];
        const std::string geoid = row.at("unit_id");
        const double sampled = supersampled_canopy(geoid, 4);
        INFO("block group " << geoid << ": shadegap " << number(row, "canopy_fraction") << ", supersampled " << sampled);
        // 16 samples a cell resolve the partial cells along a few hundred metres of edge to
        // well under 0.2 % of a block group's ~70,000 m².
        CHECK(number(row, "canopy_fraction") == Approx(sampled).margin(2e-3));
        checked.insert(geoid);
    }
    CHECK(checked.size() == 3);
}

TEST_CASE("sample city: scores recomputed from units.csv with the published formulas", "[sample-run]") {
    TempDir dir;
    const RunConfig config = sample_config(dir);
    const RunResult result = run_pipeline(config);
    const auto units = test::read_csv(dir.file("out/units.csv"));
    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(units.rows.size() == priority.rows.size());

    // The tree-equity model by hand: density goal, gap, 7 min–max variables, floor.
    const std::size_t n = units.rows.size();
    const std::vector<std::string> columns = {"pctpov", "pctpoc", "unemplrate", "dep_ratio", "linguistic", "health", "temp_diff"};
    std::vector<double> gap(n), goal(n), prio(n, 0), canopy(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& u = units.rows[i];
        const double land_km2 = (number(u, "area_m2") - number(u, "water_m2")) / 1e6;
        const double density = number(u, "population") / land_km2;
        const double factor = density < 2000 ? 1.2 : density < 4000 ? 1.0 : density < 8000 ? 0.8 : 0.5;
        goal[i] = std::min(0.4 * factor, 0.6);
        canopy[i] = number(u, "canopy_fraction");
        gap[i] = std::max(0.0, goal[i] - canopy[i]);
    }
    for (const auto& column : columns) {
        std::vector<double> x(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = std::min(number(units.rows[i], column), column == "dep_ratio" ? 2.0 : 1e300);
        const double lo = *std::min_element(x.begin(), x.end()), hi = *std::max_element(x.begin(), x.end());
        for (std::size_t i = 0; i < n; ++i) prio[i] += hi > lo ? (x[i] - lo) / (hi - lo) : 0;
    }
    const double gap_max = *std::max_element(gap.begin(), gap.end());
    std::map<std::string, double> expected_score;
    double below = 0, count_below = 0, at_max_priority = 0;
    for (std::size_t i = 0; i < n; ++i) {
        prio[i] = 0.1 + 0.9 * prio[i] / 7;
        const double score = std::min(100.0, std::floor(100 * (1 - gap[i] / gap_max * prio[i]) + 1e-9));
        expected_score[units.rows[i].at("unit_id")] = score;
        if (score < 100) {
            below += score;
            count_below += 1;
        } else {
            at_max_priority += prio[i];
        }
    }
    for (const auto& row : priority.rows) {
        INFO("unit " << row.at("id"));
        CHECK(number(row, "score") == expected_score.at(row.at("id")));
    }
    REQUIRE(result.city_score);
    CHECK(*result.city_score == Approx((below + 100 * at_max_priority) / (count_below + at_max_priority)).epsilon(1e-12));
}

TEST_CASE("sample city: the same bytes for any thread count", "[sample-run][determinism]") {
    TempDir dir;
    RunConfig config = sample_config(dir);
    config.neighbourhoods = sample + "neighbourhoods.gpkg";
    config.neighbourhoods_layer = "neighbourhoods";
    config.neighbourhood_id = "nbhd_id";
    config.neighbourhood_name = "name";
    // Block size changes the order of the sums (and so the last bits); thread count must not.
    config.block_size = GENERATE(0, 100);
    config.threads = 1;
    run_pipeline(config);
    const std::string reference = test::read_text(dir.file("out/priority.geojson"));
    const std::string reference_units = test::read_text(dir.file("out/units.csv"));
    for (int threads : {2, 3, 8}) {
        config.threads = threads;
        config.out = dir.file("out-" + std::to_string(threads));
        run_pipeline(config);
        INFO("threads " << threads << ", block " << config.block_size);
        CHECK(test::read_text(config.out + "/priority.geojson") == reference);
        CHECK(test::read_text(config.out + "/units.csv") == reference_units);
    }
}
