// The GeoJSON writer: the same bytes whether one driver writes every row or chunks of rows
// are written on several threads and joined.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "shadegap/output.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>

#include <cmath>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

/// `rows` units as a ranked table in UTM 18N: an irregular pentagon each, a text id, an
/// integer rank, a real value (missing in every seventh row) and a text with a quote.
OutputTable pentagon_table(int rows) {
    OutputTable table;
    table.columns = {{"id", OutputColumn::Type::Text},
                     {"rank", OutputColumn::Type::Integer},
                     {"value", OutputColumn::Type::Real},
                     {"note", OutputColumn::Type::Text}};
    OGRSpatialReference utm;
    utm.importFromEPSG(32618);
    char* wkt = nullptr;
    utm.exportToWkt(&wkt);
    table.crs_wkt = wkt;
    CPLFree(wkt);
    for (int i = 0; i < rows; ++i) {
        FieldValue value = std::monostate{};
        if (i % 7 != 0) value = 100.0 / (i + 3);
        table.rows.push_back({"U" + std::to_string(i), std::int64_t{i + 1}, value, std::string("block \"") +
                                                                                        std::to_string(i % 5) + "\""});
        const double x = 383000 + (i % 20) * 250.0, y = 4087000 + (i / 20) * 250.0;
        OGRLinearRing ring;
        ring.addPoint(x, y);
        ring.addPoint(x + 200.5, y + 3.25 * (i % 3));
        ring.addPoint(x + 210.125, y + 150);
        ring.addPoint(x + 100, y + 230.75);
        ring.addPoint(x - 5.5, y + 140);
        ring.closeRings();
        OGRPolygon polygon;
        polygon.addRing(&ring);
        std::vector<unsigned char> wkb(static_cast<std::size_t>(polygon.WkbSize()));
        REQUIRE(polygon.exportToWkb(wkbNDR, wkb.data(), wkbVariantIso) == OGRERR_NONE);
        table.geometries.push_back(std::move(wkb));
    }
    return table;
}

}  // namespace

TEST_CASE("GeoJSON written in chunks on several threads has the bytes of one driver's", "[output]") {
    test::TempDir dir;
    // 300 rows: 2, 3 and 4 chunks (at least 64 rows each); 100 rows: one driver whatever the threads.
    for (const int rows : {300, 100}) {
        const OutputTable table = pentagon_table(rows);
        const std::string one_path = dir.file("one-" + std::to_string(rows) + ".geojson");
        write_geojson(table, one_path, 1);
        const std::string one = test::read_text(one_path);
        for (const int threads : {2, 3, 8}) {
            INFO(rows << " rows, " << threads << " threads");
            const std::string path = dir.file(std::to_string(rows) + "-" + std::to_string(threads) + ".geojson");
            write_geojson(table, path, threads);
            CHECK(test::read_text(path) == one);
        }

        // And what one driver wrote is the table: every row, in order, with its values.
        const nlohmann::json collection = nlohmann::json::parse(one);
        REQUIRE(collection["features"].size() == static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) {
            const nlohmann::json& properties = collection["features"][static_cast<std::size_t>(i)]["properties"];
            INFO("row " << i);
            CHECK(properties["id"] == "U" + std::to_string(i));
            CHECK(properties["rank"] == i + 1);
            if (i % 7 == 0) {
                CHECK(properties["value"].is_null());
            } else {
                CHECK(properties["value"].get<double>() == 100.0 / (i + 3));
            }
            CHECK(properties["note"] == "block \"" + std::to_string(i % 5) + "\"");
            const nlohmann::json& geometry = collection["features"][static_cast<std::size_t>(i)]["geometry"];
            const nlohmann::json& ring =
                geometry["type"] == "MultiPolygon" ? geometry["coordinates"][0][0] : geometry["coordinates"][0];
            CHECK(ring.size() == 6);
            // UTM 18N near 383 km E, 4087 km N is about 76.3° W, 36.9° N.
            CHECK(std::abs(ring[0][0].get<double>() + 76.3) < 0.2);
            CHECK(std::abs(ring[0][1].get<double>() - 36.9) < 0.2);
        }
    }
}
