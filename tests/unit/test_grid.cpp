// Grid arithmetic and plain-polygon areas.
// SPDX-License-Identifier: MIT
#include "shadegap/geometry.hpp"
#include "shadegap/grid.hpp"

#include <catch2/catch.hpp>

using namespace shadegap;

TEST_CASE("a box maps to the cells it touches, clipped to the grid", "[grid]") {
    const Grid grid{100.0, 200.0, 2.0, 2.0, 10, 5};  // x 100..120, y 190..200
    REQUIRE(grid.x_max() == 120.0);
    REQUIRE(grid.y_min() == 190.0);
    const Window w = grid.window_of(101.0, 195.5, 104.0, 199.0);
    CHECK(w.col0 == 0);
    CHECK(w.cols == 2);  // columns 0 (100–102) and 1 (102–104)
    CHECK(w.row0 == 0);  // row 0 spans 198–200
    CHECK(w.rows == 3);  // rows 0..2 reach down to 194
    const Window outside = grid.window_of(130.0, 150.0, 140.0, 160.0);
    CHECK(outside.empty());
    const Window partial = grid.window_of(90.0, 180.0, 103.0, 199.0);
    CHECK(partial.col0 == 0);
    CHECK(partial.cols == 2);
    CHECK(partial.rows == 5);
}

TEST_CASE("planar area subtracts holes whatever the orientation", "[geometry]") {
    // 10 × 10 square (clockwise) with a 2 × 3 hole (counter-clockwise): 100 − 6.
    Polygon p{{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, {{{1, 1}, {3, 1}, {3, 4}, {1, 4}, {1, 1}}}};
    CHECK(planar_area({p}) == Approx(94.0));
    const Box box = bounding_box({p});
    CHECK(box.x_max == 10.0);
    CHECK(box.y_min == 0.0);
}
