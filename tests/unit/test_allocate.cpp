// Census counts to neighbourhoods: by area, or by residential land with the fallback to area.
// SPDX-License-Identifier: MIT
#include "shadegap/allocate.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace shadegap;

namespace {

ZoneSums with_residential(double residential_m2) {
    ZoneSums sums;
    sums.valid_m2 = 1;
    sums.residential_m2 = residential_m2;
    return sums;
}

}  // namespace

// U1 (100 people, 100 m², 40 m² residential): piece in N0 60 m² holding all 40 m² of its
// residential land, piece in N1 40 m² holding none → N0 100, N1 0 (by area: 60 and 40).
// U2 (50 people, 100 m², no residential land): by area, 30 m² in N0 and 70 m² in N1 → 15, 35.
TEST_CASE("residential shares: people follow residential land, units without any by area", "[allocate][residential]") {
    UnitTable units;
    units.ids = {"U1", "U2"};
    units.names = units.ids;
    units.area_m2 = {100, 100};
    units.sums = {with_residential(40), with_residential(0)};
    units.population = {100, 50};
    units.scope = {"", ""};
    units.heat_c = {30.0, std::nullopt};
    Pieces pieces;
    pieces.unit = {0, 0, 1, 1};
    pieces.owner = {0, 1, 0, 1};
    pieces.polygons.resize(4);
    pieces.area_m2 = {60, 40, 30, 70};
    pieces.unit_covered_m2 = {100, 100};
    const std::vector<ZoneSums> piece_sums = {with_residential(40), with_residential(0), with_residential(0),
                                              with_residential(0)};

    std::vector<std::string> by_area;
    const auto shares = residential_shares(units, pieces, piece_sums, by_area);
    CHECK(shares == std::vector<double>{1.0, 0.0, 0.3, 0.7});
    CHECK(by_area == std::vector<std::string>{"U2"});

    Diagnostics diagnostics;
    const RankingTable table = allocate_by_residential(units, pieces, piece_sums, {"N0", "N1"}, {"N0", "N1"},
                                                       {90, 110}, "units.gpkg", diagnostics);
    REQUIRE(table.units.size() == 2);
    CHECK(table.units[0].population == Approx(115).epsilon(1e-12));
    CHECK(table.units[1].population == Approx(35).epsilon(1e-12));
    CHECK(std::abs(table.units[0].population + table.units[1].population - 150) <= 1e-9);
    REQUIRE(diagnostics.warnings().size() == 1);
    CHECK(diagnostics.warnings()[0].code == "no-residential");
    // heat_c of a ranking unit: area-weighted over the pieces whose unit has a value.
    CHECK(table.units[0].heat_c.value() == Approx(30).epsilon(1e-12));

    const RankingTable by_area_table =
        allocate_by_area(units, pieces, piece_sums, {"N0", "N1"}, {"N0", "N1"}, {90, 110});
    CHECK(by_area_table.units[0].population == Approx(60 + 15).epsilon(1e-12));
    CHECK(by_area_table.units[1].population == Approx(40 + 35).epsilon(1e-12));
}
