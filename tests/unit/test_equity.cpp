// Equity measures against hand-worked values and brute force over individuals.
// SPDX-License-Identifier: MIT
#include "shadegap/equity.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

using namespace shadegap;

namespace {

using Values = std::vector<std::optional<double>>;

// The example: five census units.
const std::vector<double> population{1000, 2000, 1500, 500, 1000};
const std::vector<double> people_of_colour{800, 1400, 600, 100, 150};
const Values canopy{0.10, 0.15, 0.25, 0.40, 0.35};
const Values income{20, 35, 50, 80, 120};

// The hand-worked values are given to 7 decimals, so they are checked to 1e-7.
constexpr double hand = 1e-7;
// Brute force and the O(n log n) formulas sum in different orders; they agree to rounding.
constexpr double rounding = 1e-12;

std::vector<double> others() {
    std::vector<double> result;
    for (std::size_t i = 0; i < population.size(); ++i) result.push_back(population[i] - people_of_colour[i]);
    return result;
}

/// One value per person: unit i's exposure repeated people[i] times.
std::vector<double> expand(const Values& x, const std::vector<int>& people) {
    std::vector<double> persons;
    for (std::size_t i = 0; i < x.size(); ++i)
        for (int k = 0; k < people[i]; ++k) persons.push_back(*x[i]);
    return persons;
}

std::vector<double> as_weights(const std::vector<int>& people) { return {people.begin(), people.end()}; }

double mean_of(const std::vector<double>& persons) {
    double sum = 0;
    for (double value : persons) sum += value;
    return sum / static_cast<double>(persons.size());
}

/// Mean absolute difference over all ordered pairs of people, over 2 μ.
double brute_gini(const std::vector<double>& persons) {
    double sum = 0;
    for (double first : persons)
        for (double second : persons) sum += std::abs(first - second);
    const double count = static_cast<double>(persons.size());
    return sum / (count * count) / (2 * mean_of(persons));
}

double brute_theil(const std::vector<double>& persons) {
    const double mu = mean_of(persons);
    double sum = 0;
    for (double value : persons)
        if (value > 0) sum += value / mu * std::log(value / mu);
    return sum / static_cast<double>(persons.size());
}

double brute_atkinson_half(const std::vector<double>& persons) {
    const double mu = mean_of(persons);
    double sum = 0;
    for (double value : persons) sum += std::sqrt(value / mu);
    const double ede = sum / static_cast<double>(persons.size());
    return 1 - ede * ede;
}

/// Concentration index over people: each person ranked among all people by rank value,
/// people with equal rank values sharing the mean of their positions (i − ½) / N.
double brute_concentration_index(const Values& x, const std::vector<int>& people, const Values& rank_by) {
    std::vector<std::pair<double, double>> persons;  // (rank value, exposure)
    for (std::size_t i = 0; i < x.size(); ++i)
        for (int k = 0; k < people[i]; ++k) persons.emplace_back(*rank_by[i], *x[i]);
    std::sort(persons.begin(), persons.end());
    const double count = static_cast<double>(persons.size());
    std::vector<double> rank(persons.size());
    for (std::size_t first = 0; first < persons.size();) {
        std::size_t last = first;
        while (last < persons.size() && persons[last].first == persons[first].first) ++last;
        double position_sum = 0;
        for (std::size_t p = first; p < last; ++p) position_sum += (static_cast<double>(p) + 0.5) / count;
        for (std::size_t p = first; p < last; ++p) rank[p] = position_sum / static_cast<double>(last - first);
        first = last;
    }
    double mu = 0;
    double mean_rank = 0;
    for (std::size_t p = 0; p < persons.size(); ++p) {
        mu += persons[p].second / count;
        mean_rank += rank[p] / count;
    }
    double covariance = 0;
    for (std::size_t p = 0; p < persons.size(); ++p)
        covariance += (persons[p].second - mu) * (rank[p] - mean_rank) / count;
    return 2 * covariance / mu;
}

}  // namespace

TEST_CASE("equity: the issue's example, concentration along income", "[equity]") {
    const auto result = equity::concentration(canopy, population, income, 0, 1);
    REQUIRE(result);
    CHECK(result->mean == Approx(0.2208333).margin(hand));
    CHECK(result->index == Approx(0.2405660).margin(hand));
    CHECK(result->erreygers == Approx(0.2125000).margin(hand));
    CHECK(result->wagstaff == Approx(0.3087479).margin(hand));
}

TEST_CASE("equity: the issue's example, group means and dissimilarity", "[equity]") {
    const auto poc = equity::weighted_mean(canopy, people_of_colour);
    const auto rest = equity::weighted_mean(canopy, others());
    REQUIRE(poc);
    REQUIRE(rest);
    CHECK(*poc == Approx(0.1745902).margin(hand));
    CHECK(*rest == Approx(0.2686441).margin(hand));

    const auto d = equity::dissimilarity(people_of_colour, others());
    REQUIRE(d);
    CHECK(*d == Approx(0.4501250).margin(hand));
    // Symmetric in the two groups.
    CHECK(*equity::dissimilarity(others(), people_of_colour) == Approx(*d).margin(rounding));
}

TEST_CASE("equity: Wagstaff with bounds other than 0 and 1 treats x as a fraction of b − a", "[equity]") {
    // Canopy in percent above a floor: x' = 10 + 50 x lies in [10, 60] and is x rescaled.
    Values shifted;
    for (const auto& value : canopy) shifted.push_back(10 + 50 * *value);
    const auto result = equity::concentration(shifted, population, income, 10, 60);
    REQUIRE(result);
    CHECK(result->mean == Approx(10 + 50 * 0.2208333).margin(50 * hand));
    // Erreygers and Wagstaff depend only on x's place within its bounds.
    CHECK(result->erreygers == Approx(0.2125000).margin(hand));
    CHECK(result->wagstaff == Approx(0.3087479).margin(hand));
    // The plain index does not: 2 cov / μ with cov 50 times larger and μ = 10 + 50 × 0.2208333.
    CHECK(result->index == Approx(0.2405660 * 50 * 0.2208333 / (10 + 50 * 0.2208333)).margin(hand));
}

TEST_CASE("equity: Gini, Theil and Atkinson against brute force over individuals", "[equity]") {
    const std::vector<int> people{10, 20, 15, 5, 10};
    const std::vector<double> persons = expand(canopy, people);
    REQUIRE(persons.size() == 60);

    const auto g = equity::gini(canopy, as_weights(people));
    const auto t = equity::theil_t(canopy, as_weights(people));
    const auto a = equity::atkinson(canopy, as_weights(people), 0.5);
    REQUIRE(g);
    REQUIRE(t);
    REQUIRE(a);
    CHECK(*g == Approx(brute_gini(persons)).margin(rounding));
    CHECK(*t == Approx(brute_theil(persons)).margin(rounding));
    CHECK(*a == Approx(brute_atkinson_half(persons)).margin(rounding));

    // Unit order does not matter.
    const Values reversed(canopy.rbegin(), canopy.rend());
    const std::vector<double> reversed_people(people.rbegin(), people.rend());
    CHECK(*equity::gini(reversed, reversed_people) == Approx(*g).margin(rounding));
}

TEST_CASE("equity: Gini with ties and zeros against brute force", "[equity]") {
    const Values x{0.0, 0.3, 0.3, 0.0, 0.9, 0.3};
    const std::vector<int> people{3, 1, 4, 1, 5, 9};
    const std::vector<double> persons = expand(x, people);
    CHECK(*equity::gini(x, as_weights(people)) == Approx(brute_gini(persons)).margin(rounding));
    CHECK(*equity::theil_t(x, as_weights(people)) == Approx(brute_theil(persons)).margin(rounding));
    CHECK(*equity::atkinson(x, as_weights(people), 0.5) == Approx(brute_atkinson_half(persons)).margin(rounding));
}

TEST_CASE("equity: equal exposures give no inequality", "[equity]") {
    const Values x{0.3, 0.3, 0.3, 0.3};
    const std::vector<double> n{10, 200, 15, 5};
    CHECK(*equity::gini(x, n) == Approx(0).margin(rounding));
    CHECK(*equity::theil_t(x, n) == Approx(0).margin(rounding));
    CHECK(*equity::atkinson(x, n, 0.5) == Approx(0).margin(rounding));
    CHECK(*equity::atkinson(x, n, 2) == Approx(0).margin(rounding));
}

TEST_CASE("equity: one unit holding all", "[equity]") {
    SECTION("one person per unit: Gini (N − 1)/N, Theil ln N") {
        const Values x{0.0, 0.0, 0.7, 0.0, 0.0};
        const std::vector<double> n{1, 1, 1, 1, 1};
        CHECK(*equity::gini(x, n) == Approx(4.0 / 5).margin(rounding));
        CHECK(*equity::theil_t(x, n) == Approx(std::log(5.0)).margin(rounding));
        // (1/N × N^½)^2 = 1/N.
        CHECK(*equity::atkinson(x, n, 0.5) == Approx(1 - 1.0 / 5).margin(rounding));
        CHECK(*equity::atkinson(x, n, 1) == 1);
        CHECK(*equity::atkinson(x, n, 2) == 1);
    }
    SECTION("several people per unit, against individuals") {
        const Values x{0.0, 0.7, 0.0, 0.0, 0.0};
        const std::vector<int> people{10, 20, 15, 5, 10};
        const std::vector<double> persons = expand(x, people);
        const auto g = equity::gini(x, as_weights(people));
        CHECK(*g == Approx(brute_gini(persons)).margin(rounding));
        CHECK(*g == Approx(1 - 20.0 / 60).margin(rounding));
        CHECK(*equity::theil_t(x, as_weights(people)) == Approx(brute_theil(persons)).margin(rounding));
        CHECK(*equity::atkinson(x, as_weights(people), 0.5) ==
              Approx(brute_atkinson_half(persons)).margin(rounding));
    }
}

TEST_CASE("equity: Atkinson at ε = 1 is the geometric-mean limit", "[equity]") {
    const Values x{0.1, 0.2, 0.4};
    const std::vector<double> n{1, 2, 1};
    const double mu = (0.1 + 0.4 + 0.4) / 4;
    const double geometric = std::exp((std::log(0.1) + 2 * std::log(0.2) + std::log(0.4)) / 4);
    CHECK(*equity::atkinson(x, n, 1) == Approx(1 - geometric / mu).margin(rounding));
    // Continuous on either side of 1.
    CHECK(*equity::atkinson(x, n, 1 - 1e-7) == Approx(1 - geometric / mu).margin(1e-6));
    CHECK(*equity::atkinson(x, n, 1 + 1e-7) == Approx(1 - geometric / mu).margin(1e-6));
}

TEST_CASE("equity: negative or all-zero exposures leave Gini, Theil and Atkinson undefined", "[equity]") {
    const Values heat_difference{-1.5, 0.5, 1.0};
    const std::vector<double> n{10, 10, 10};
    CHECK_FALSE(equity::gini(heat_difference, n));
    CHECK_FALSE(equity::theil_t(heat_difference, n));
    CHECK_FALSE(equity::atkinson(heat_difference, n, 0.5));

    const Values zeros{0.0, 0.0, 0.0};
    CHECK_FALSE(equity::gini(zeros, n));
    CHECK_FALSE(equity::theil_t(zeros, n));
    CHECK_FALSE(equity::atkinson(zeros, n, 0.5));

    CHECK_FALSE(equity::gini({}, {}));
    CHECK_FALSE(equity::atkinson(canopy, population, -1));

    // A negative value in a unit that is left out (no people) does not count.
    CHECK(equity::gini(Values{-1.0, 0.2, 0.4}, {0, 1, 1}));
}

TEST_CASE("equity: Gini on 240,000 units is exact and fast", "[equity]") {
    // x = 1..K, one person each, in a scrambled order: G = (K − 1) / (3K).
    constexpr std::size_t count = 240000;
    Values x(count);
    for (std::size_t i = 0; i < count; ++i) x[(i * 7919) % count] = static_cast<double>(i + 1);
    const std::vector<double> n(count, 1.0);
    const auto start = std::chrono::steady_clock::now();
    const auto g = equity::gini(x, n);
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(g);
    const double k = static_cast<double>(count);
    CHECK(*g == Approx((k - 1) / (3 * k)).margin(1e-12));
    // A double loop takes minutes; sorting takes milliseconds. Generous for slow CI machines.
    CHECK(seconds < 2.0);
}

TEST_CASE("equity: concentration with ties in the rank variable", "[equity]") {
    const Values tied_income{20, 35, 35, 80, 120};
    const std::vector<int> people{10, 20, 15, 5, 10};
    const auto result = equity::concentration(canopy, as_weights(people), tied_income, 0, 1);
    REQUIRE(result);
    CHECK(result->index == Approx(brute_concentration_index(canopy, people, tied_income)).margin(rounding));

    // By hand: units 2 and 3 share rank (10 + 35/2) / 60 = 0.4583333; the others keep
    // 5/60, 47.5/60 and 55/60. μ = 13.25/60 and
    // cov = Σ n (x − μ)(R − ½) / 60 = 0.0223958333 → CI = 2 cov / μ = 0.2028302.
    CHECK(result->index == Approx(0.2028302).margin(hand));

    // The order of the tied units does not matter.
    const Values swapped_canopy{0.10, 0.25, 0.15, 0.40, 0.35};
    const std::vector<double> swapped_people{10, 15, 20, 5, 10};
    const auto swapped = equity::concentration(swapped_canopy, swapped_people, tied_income, 0, 1);
    REQUIRE(swapped);
    CHECK(swapped->index == Approx(result->index).margin(rounding));
}

TEST_CASE("equity: concentration leaves out units without values", "[equity]") {
    Values x = canopy;
    std::vector<double> n = population;
    Values rank_by = income;
    x.push_back(std::nullopt);  // no exposure
    n.push_back(700);
    rank_by.push_back(60.0);
    x.push_back(0.9);  // no rank value
    n.push_back(800);
    rank_by.push_back(std::nullopt);
    x.push_back(0.9);  // no people
    n.push_back(0);
    rank_by.push_back(10.0);
    x.push_back(std::numeric_limits<double>::quiet_NaN());  // not a number
    n.push_back(900);
    rank_by.push_back(70.0);

    const auto result = equity::concentration(x, n, rank_by, 0, 1);
    REQUIRE(result);
    CHECK(result->mean == Approx(0.2208333).margin(hand));
    CHECK(result->index == Approx(0.2405660).margin(hand));
    CHECK(result->erreygers == Approx(0.2125000).margin(hand));
    CHECK(result->wagstaff == Approx(0.3087479).margin(hand));
}

TEST_CASE("equity: concentration at its edges", "[equity]") {
    SECTION("everything equal gives 0") {
        const auto same_x = equity::concentration(Values{0.3, 0.3, 0.3}, {10, 20, 30}, Values{1.0, 2.0, 3.0}, 0, 1);
        REQUIRE(same_x);
        CHECK(same_x->index == Approx(0).margin(rounding));
        CHECK(same_x->erreygers == Approx(0).margin(rounding));
        CHECK(same_x->wagstaff == Approx(0).margin(rounding));
        const auto same_rank = equity::concentration(canopy, population, Values(5, 50.0), 0, 1);
        REQUIRE(same_rank);
        CHECK(same_rank->index == Approx(0).margin(rounding));
    }
    SECTION("fewer than two units") {
        CHECK_FALSE(equity::concentration(Values{0.3}, {10}, Values{1.0}, 0, 1));
        CHECK_FALSE(equity::concentration(Values{0.3, std::nullopt}, {10, 10}, Values{1.0, 2.0}, 0, 1));
    }
    SECTION("μ = 0: no index, Erreygers still defined") {
        const auto zero = equity::concentration(Values{0.0, 0.0}, {10, 10}, Values{1.0, 2.0}, 0, 1);
        REQUIRE(zero);
        CHECK(std::isnan(zero->index));
        CHECK(std::isnan(zero->wagstaff));
        CHECK(zero->erreygers == 0);
        // Heat as a difference: mean 0, hotter among the worse-off.
        const auto heat = equity::concentration(Values{1.0, -1.0}, {10, 10}, Values{1.0, 2.0}, -2, 2);
        REQUIRE(heat);
        CHECK(std::isnan(heat->index));
        // cov = ½ [(1)(¼ − ½) + (−1)(¾ − ½)] = −¼; E = 8 cov / 4 = −½.
        CHECK(heat->erreygers == Approx(-0.5).margin(rounding));
    }
    SECTION("μ = b: no Wagstaff") {
        const auto full = equity::concentration(Values{1.0, 1.0}, {10, 10}, Values{1.0, 2.0}, 0, 1);
        REQUIRE(full);
        CHECK(full->index == Approx(0).margin(rounding));
        CHECK(std::isnan(full->wagstaff));
    }
    SECTION("x outside its bounds") {
        const auto outside = equity::concentration(Values{0.5, 1.5}, {10, 10}, Values{1.0, 2.0}, 0, 1);
        REQUIRE(outside);
        CHECK(outside->index == Approx(2 * 0.125 / 1.0).margin(rounding));
        CHECK(std::isnan(outside->erreygers));
        CHECK(std::isnan(outside->wagstaff));
    }
}

TEST_CASE("equity: weighted mean and the people left out", "[equity]") {
    const Values x{0.1, std::nullopt, 0.3, std::numeric_limits<double>::quiet_NaN(), std::nullopt};
    const std::vector<double> n{100, 50, 300, 25, 0};
    double left_out = -1;
    const auto mean = equity::weighted_mean(x, n, &left_out);
    REQUIRE(mean);
    CHECK(*mean == Approx((0.1 * 100 + 0.3 * 300) / 400).margin(rounding));
    CHECK(left_out == 75);  // 50 + 25; the unit without people counts for nothing

    double none_left = -1;
    CHECK_FALSE(equity::weighted_mean(Values{std::nullopt}, {40}, &none_left));
    CHECK(none_left == 40);
    CHECK_FALSE(equity::weighted_mean({}, {}));
    CHECK(*equity::weighted_mean(Values{0.2}, {5}) == Approx(0.2).margin(rounding));
}

TEST_CASE("equity: dissimilarity at its edges", "[equity]") {
    CHECK(*equity::dissimilarity({10, 20, 30}, {1, 2, 3}) == Approx(0).margin(rounding));
    CHECK(*equity::dissimilarity({10, 0}, {0, 5}) == Approx(1).margin(rounding));
    CHECK_FALSE(equity::dissimilarity({0, 0}, {1, 2}));
    CHECK_FALSE(equity::dissimilarity({1, -2}, {1, 2}));
}

TEST_CASE("equity: vectors of different lengths are a programming error", "[equity]") {
    CHECK_THROWS_AS(equity::weighted_mean(Values{0.1, 0.2}, {1}), std::invalid_argument);
    CHECK_THROWS_AS(equity::gini(Values{0.1}, {1, 2}), std::invalid_argument);
    CHECK_THROWS_AS(equity::concentration(canopy, population, Values{1.0}, 0, 1), std::invalid_argument);
    CHECK_THROWS_AS(equity::dissimilarity({1, 2}, {1}), std::invalid_argument);
}
