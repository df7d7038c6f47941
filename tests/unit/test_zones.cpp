// Zones: reading polygon layers through OGR (zones.cpp).
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/zones.hpp"

#include <catch2/catch.hpp>
#include <cpl_vsi.h>

#include <string>

using namespace shadegap;

namespace {

const char* const two_units = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"a","pop":12},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"id":"b","pop":null},"geometry":{"type":"Polygon","coordinates":[[[2,0],[3,0],[3,1],[2,0]]]}}]})";

/// A file in GDAL's in-memory file system, removed when the object goes.
struct MemoryFile {
    std::string path;
    MemoryFile(std::string name, const std::string& text) : path("/vsimem/" + std::move(name)) {
        VSILFILE* file = VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(text.data())),
                                              static_cast<vsi_l_offset>(text.size()), FALSE);
        REQUIRE(file != nullptr);
        VSIFCloseL(file);
    }
    ~MemoryFile() { VSIUnlink(path.c_str()); }
};

}  // namespace

// Found while writing fuzz/fuzz_zones_geojson: every layer given as a GDAL virtual path
// (/vsimem/, /vsizip/...) was "no such file", because the check looked at the disk only;
// the project-file docs promise these paths are kept as written.
TEST_CASE("a layer given as a GDAL virtual path is read", "[zones]") {
    const std::string text = two_units;
    const MemoryFile file("test-zones-units.geojson", text);
    LayerRequest request;
    request.path = file.path;
    request.id_field = "id";
    request.numeric_fields = {"pop"};
    Diagnostics diagnostics;
    const ZoneLayer layer = read_zone_layer(request, diagnostics);
    REQUIRE(layer.size() == 2);
    CHECK((layer.ids == std::vector<std::string>{"a", "b"}));
    CHECK(layer.numbers.at("pop")[0] == 12.0);
    CHECK_FALSE(layer.numbers.at("pop")[1].has_value());
    CHECK(diagnostics.warnings().empty());
}

TEST_CASE("a missing layer file, plain or virtual, is 'no such file'", "[zones]") {
    for (const std::string path : {"/nonexistent/units.gpkg", "/vsimem/nonexistent.geojson",
                                   "/vsizip//nonexistent.zip/units.shp"}) {
        LayerRequest request;
        request.path = path;
        request.id_field = "id";
        Diagnostics diagnostics;
        INFO(path);
        try {
            (void)read_zone_layer(request, diagnostics);
            FAIL("no error");
        } catch (const InputError& error) {
            CHECK(error.subject() == path);
            CHECK(error.message() == "no such file");
        }
    }
}
