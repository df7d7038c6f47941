// The shares of `run --shard I/N`: every unit in one share, balanced by area, compact in space.
// SPDX-License-Identifier: MIT
#include "shadegap/shard.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <vector>

using namespace shadegap;

TEST_CASE("shard values are read as I/N with 1 <= I <= N and nothing else", "[shard]") {
    CHECK(problem_with_shard("1/1").empty());
    CHECK(problem_with_shard("3/8").empty());
    CHECK(problem_with_shard("8/8").empty());
    const ShardSpec spec = parse_shard("3/8");
    CHECK(spec.index == 3);
    CHECK(spec.count == 8);
    for (const char* bad : {"", "3", "0/8", "9/8", "1/0", "-1/2", "1/-2", "a/b", "1/2/3", " 1/2", "1.0/2", "1/"}) {
        INFO("--shard " << bad);
        CHECK_THAT(problem_with_shard(bad), Catch::Matchers::StartsWith("expected I/N with 1 ≤ I ≤ N"));
        CHECK_THROWS_AS(parse_shard(bad), UsageError);
    }
}

TEST_CASE("shares of equal units on a 16 x 16 grid are its four quadrants, 64 units each", "[shard]") {
    // Unit (i, j) is the square [i, i+1] x [j, j+1]; its centre (i + 0.5, j + 0.5). A Hilbert
    // curve visits one quadrant after the other, so with equal areas the 4 shares of 64 units
    // are the quadrants (which one is first depends on the curve's orientation).
    std::vector<double> x, y, weight;
    for (int j = 0; j < 16; ++j)
        for (int i = 0; i < 16; ++i) {
            x.push_back(i + 0.5);
            y.push_back(j + 0.5);
            weight.push_back(1.0);
        }
    const std::vector<int> shares = assign_shares(x, y, weight, 4);
    std::vector<int> count(4, 0);
    std::vector<std::set<int>> quadrants(4);
    for (std::size_t u = 0; u < shares.size(); ++u) {
        REQUIRE(shares[u] >= 0);
        REQUIRE(shares[u] < 4);
        ++count[static_cast<std::size_t>(shares[u])];
        quadrants[static_cast<std::size_t>(shares[u])].insert((x[u] > 8 ? 1 : 0) + (y[u] > 8 ? 2 : 0));
    }
    CHECK(count == std::vector<int>{64, 64, 64, 64});
    std::set<int> seen;
    for (const auto& q : quadrants) {
        CHECK(q.size() == 1);  // a share is one quadrant
        seen.insert(q.begin(), q.end());
    }
    CHECK(seen.size() == 4);
}

TEST_CASE("shares are balanced by area: none exceeds total / N by more than the largest unit", "[shard]") {
    // A unit goes to the share where the middle of its area falls along the curve, so a
    // share holds at most the areas whose middles fall in a window of total / N, plus half a
    // unit at each end: at most total / N + the largest area.
    std::mt19937_64 random(17);
    std::uniform_real_distribution<double> place(0, 1000), area(0, 50);
    std::vector<double> x(500), y(500), weight(500);
    for (std::size_t u = 0; u < 500; ++u) {
        x[u] = place(random);
        y[u] = place(random);
        weight[u] = u % 10 == 0 ? 0.0 : area(random);  // some units off the raster weigh nothing
    }
    const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
    const double largest = *std::max_element(weight.begin(), weight.end());
    for (const int n : {1, 2, 3, 7, 64}) {
        INFO(n << " shares");
        const std::vector<int> shares = assign_shares(x, y, weight, n);
        std::vector<double> share_area(static_cast<std::size_t>(n), 0.0);
        for (std::size_t u = 0; u < 500; ++u) {
            REQUIRE(shares[u] >= 0);
            REQUIRE(shares[u] < n);
            share_area[static_cast<std::size_t>(shares[u])] += weight[u];
        }
        for (const double a : share_area) {
            CHECK(a <= total / n + largest);
            CHECK(a >= total / n - largest);
        }
        CHECK(assign_shares(x, y, weight, n) == shares);  // the same shares every time
    }
}

TEST_CASE("more shares than units leave some shares empty, and none is out of range", "[shard]") {
    const std::vector<int> shares = assign_shares({0, 10, 20}, {0, 0, 0}, {1, 1, 1}, 7);
    // Middles at 1/6, 1/2, 5/6 of the area: shares floor(7/6) = 1, floor(3.5) = 3, floor(35/6) = 5.
    std::vector<int> sorted = shares;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == std::vector<int>{1, 3, 5});
    // Without any area on the raster, by position along the curve.
    const std::vector<int> none = assign_shares({0, 10, 20}, {0, 0, 0}, {0, 0, 0}, 3);
    std::vector<int> sorted_none = none;
    std::sort(sorted_none.begin(), sorted_none.end());
    CHECK(sorted_none == std::vector<int>{0, 1, 2});
}
