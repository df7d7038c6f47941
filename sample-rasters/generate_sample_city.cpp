// Generates the synthetic sample city: rasters, census polygons and table, neighbourhoods, streets, destinations.
// SPDX-License-Identifier: MIT
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <ogr_core.h>
#include <ogr_feature.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Everything below is a pure function of these constants: the same bits on every run.
// Only +, −, ×, ÷, sqrt, floor and round touch the numbers before PROJ does, because
// those are exactly rounded in IEEE arithmetic, unlike sin or exp.
constexpr int city_cells = 2000;          // raster width and height in 1 m cells
constexpr double origin_x = 383000.0;     // UTM 18N easting of the west edge
constexpr double origin_y = 4087000.0;    // UTM 18N northing of the north edge
constexpr std::uint64_t city_seed = 0x5ade6a9c17e5ULL;
constexpr int block_grid = 7;             // block groups: a jittered 7 × 7 grid ...
constexpr int nodata_cols = 40;           // nodata strip along the west edge, 40 m wide,
constexpr int nodata_row0 = 1360;         // from this row down to the south edge
constexpr double park_u = 430.0;          // park centre, metres east of the west edge,
constexpr double park_v = 1000.0;         // and south of the north edge
constexpr double park_radius = 120.0;
constexpr double pond_radius = 22.0;
constexpr double enclave_radius = 70.0;   // ... plus one block group inside the park
constexpr double port_road_u0 = 1860.0;   // the port's north–south road
constexpr double port_road_u1 = 1876.0;

namespace cover {
constexpr std::uint8_t nodata = 0;
constexpr std::uint8_t canopy = 1;
constexpr std::uint8_t grass = 2;
constexpr std::uint8_t bare = 3;
constexpr std::uint8_t water = 4;
constexpr std::uint8_t building = 5;
constexpr std::uint8_t road = 6;
}  // namespace cover

enum class Zone : std::uint8_t { urban, port, park };

constexpr std::uint8_t height_nodata = 255;  // heights where the land cover is nodata

const std::array<const char*, 10> output_files = {
    "landcover.tif",       "canopy_height.tif", "building_height.tif", "blocks.gpkg",      "acs.csv", "acs.csvt",
    "neighbourhoods.gpkg", "city.toml",         "streets.gpkg",        "destinations.gpkg"};

// ---- deterministic randomness -------------------------------------------------------

// The splitmix64 finaliser: a bijective 64-bit mix.
std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t seed_of(std::uint64_t stream) { return mix64(city_seed ^ mix64(stream)); }

std::uint64_t hash2(std::uint64_t seed, std::int64_t a, std::int64_t b) {
    return mix64(mix64(seed ^ static_cast<std::uint64_t>(a)) ^ static_cast<std::uint64_t>(b));
}

// A uniform double in [0, 1) from the top 53 bits of a hash.
double unit_hash(std::uint64_t seed, std::int64_t a, std::int64_t b) {
    return static_cast<double>(hash2(seed, a, b) >> 11) * 0x1.0p-53;
}

// A sequential splitmix64 stream, for per-feature attributes.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
    double uniform() {
        m_state += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = m_state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * 0x1.0p-53;
    }
    // Roughly bell-shaped in [−1, 1]: the mean of three uniforms, rescaled.
    double centred() { return (uniform() + uniform() + uniform()) * (2.0 / 3.0) - 1.0; }

private:
    std::uint64_t m_state;
};

double smooth(double t) { return t * t * (3.0 - 2.0 * t); }
double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Value noise in [0, 1]: hashed lattice values, smoothly interpolated, lattice step `scale` metres.
double value_noise(std::uint64_t seed, double u, double v, double scale) {
    const double gu = u / scale;
    const double gv = v / scale;
    const double fu = std::floor(gu);
    const double fv = std::floor(gv);
    const auto iu = static_cast<std::int64_t>(fu);
    const auto iv = static_cast<std::int64_t>(fv);
    const double tu = smooth(gu - fu);
    const double tv = smooth(gv - fv);
    const double c00 = unit_hash(seed, iu, iv);
    const double c10 = unit_hash(seed, iu + 1, iv);
    const double c01 = unit_hash(seed, iu, iv + 1);
    const double c11 = unit_hash(seed, iu + 1, iv + 1);
    const double top = c00 + (c10 - c00) * tu;
    const double bottom = c01 + (c11 - c01) * tu;
    return top + (bottom - top) * tv;
}

// One-dimensional value noise in [−1, 1], lattice step 1.
double signed_noise(std::uint64_t seed, double t) {
    const double f = std::floor(t);
    const auto i = static_cast<std::int64_t>(f);
    const double s = smooth(t - f);
    const double a = unit_hash(seed, i, 0);
    const double b = unit_hash(seed, i + 1, 0);
    return 2.0 * (a + (b - a) * s) - 1.0;
}

double round_to(double x, double steps_per_unit) {
    const double r = std::round(x * steps_per_unit) / steps_per_unit;
    return r == 0.0 ? 0.0 : r;  // never −0
}

// ---- the city's land cover ------------------------------------------------------------

// Local coordinates: u metres east of the west edge, v metres south of the north edge.
struct Point {
    double u;
    double v;
};

// Streets along one axis, and for every cell along that axis which street or street block it is in.
struct StreetAxis {
    std::vector<std::uint8_t> street;  // 0 none, 1 street, 2 arterial
    std::vector<int> block;            // index of the street block between two streets
    std::vector<double> block_lo;      // per street block: where it starts and ends
    std::vector<double> block_hi;
    std::vector<double> centre;        // per street: its centre line, metres along the other axis
    std::vector<bool> arterial;        // per street: an 18 m arterial rather than a 10 m street
};

StreetAxis build_street_axis(std::uint64_t seed, double first, double spacing) {
    struct Street {
        double lo;
        double hi;
        bool arterial;
    };
    std::vector<Street> streets;
    double pos = first;
    for (int n = 0; pos < city_cells; ++n) {
        const bool arterial = n % 4 == 2;
        const double width = arterial ? 18.0 : 10.0;
        streets.push_back({pos, pos + width, arterial});
        pos += width + spacing + std::floor(unit_hash(seed, n, 0) * 30.0);
    }
    StreetAxis axis;
    axis.street.assign(city_cells, 0);
    axis.block.assign(city_cells, 0);
    for (std::size_t k = 0; k <= streets.size(); ++k) {
        axis.block_lo.push_back(k == 0 ? 0.0 : streets[k - 1].hi);
        axis.block_hi.push_back(k == streets.size() ? double(city_cells) : streets[k].lo);
    }
    for (const Street& s : streets) {
        axis.centre.push_back((s.lo + s.hi) / 2.0);
        axis.arterial.push_back(s.arterial);
    }
    for (int c = 0; c < city_cells; ++c) {
        const double centre = c + 0.5;
        int passed = 0;
        for (const Street& s : streets) {
            if (centre >= s.lo && centre < s.hi) axis.street[c] = s.arterial ? 2 : 1;
            if (centre >= s.hi) ++passed;
        }
        axis.block[c] = passed;
    }
    return axis;
}

struct Cell {
    std::uint8_t cover;
    Zone zone;
    std::uint8_t height = 0;  // metres above ground: trees and buildings, 0 elsewhere
};

class CityModel {
public:
    CityModel()
        : m_columns(build_street_axis(seed_of(10), 55.0, 118.0)),
          m_rows(build_street_axis(seed_of(11), 38.0, 84.0)),
          m_river_centre(city_cells),
          m_river_half(city_cells),
          m_creek_centre(city_cells),
          m_creek_half(city_cells) {
        for (int r = 0; r < city_cells; ++r) {
            const double v = r + 0.5;
            m_river_centre[r] = 1600.0 + 70.0 * signed_noise(seed_of(20), v / 420.0) +
                                22.0 * signed_noise(seed_of(21), v / 130.0);
            m_river_half[r] = 48.0 + 14.0 * signed_noise(seed_of(22), v / 300.0);
        }
        for (int c = 0; c < city_cells; ++c) {
            const double u = c + 0.5;
            m_creek_centre[c] = 470.0 + 35.0 * signed_noise(seed_of(23), u / 260.0);
            m_creek_half[c] = u < 760.0 ? 0.0 : 4.0 + 10.0 * clamp01((u - 760.0) / 840.0);
        }
    }

    // 1 in the leafy, well-off west, 0 in the poor east by the port, with some local wobble.
    static double affluence(double u, double v) {
        const double east = smooth(clamp01((u - 250.0) / 1300.0));
        const double wobble = (value_noise(seed_of(1), u, v, 380.0) - 0.5) * 0.3;
        return clamp01(1.0 - east + wobble);
    }

    // The cell's cover, zone and height: trees get a height from their own smooth noise,
    // taller in the leafy west; buildings the height of their building.
    Cell classify(int col, int row) const {
        std::uint8_t building_height = 0;
        Cell cell = classify_cover(col, row, building_height);
        if (cell.cover == cover::building) cell.height = building_height;
        if (cell.cover == cover::canopy) cell.height = tree_height(col + 0.5, row + 0.5);
        return cell;
    }

    const StreetAxis& columns() const { return m_columns; }
    const StreetAxis& rows() const { return m_rows; }

    // Whether a street centre line at (u, v) runs on road in the land cover: not in the park
    // or its pond, not in the river except on the arterials' bridges, and in the port only on
    // the arterials and the port road. Under the nodata strip the streets go on unseen.
    bool street_open(double u, double v) const {
        const int row = std::clamp(static_cast<int>(std::floor(v)), 0, city_cells - 1);
        const double du = u - park_u;
        const double dv = v - park_v;
        if (du * du + dv * dv < park_radius * park_radius) return false;
        const bool arterial_row = m_rows.street[row] == 2;
        if (std::abs(u - m_river_centre[row]) < m_river_half[row]) return arterial_row;
        if (u >= m_river_centre[row] + m_river_half[row]) {
            return arterial_row || (u >= port_road_u0 && u < port_road_u1);
        }
        return true;
    }

    // Whether street block (bi, bj) is a pocket park (as classify_block decides).
    bool pocket_park(int bi, int bj) const {
        const double a0 = m_columns.block_lo[bi], a1 = m_columns.block_hi[bi];
        const double b0 = m_rows.block_lo[bj], b1 = m_rows.block_hi[bj];
        const double block_a = affluence((a0 + a1) / 2.0, (b0 + b1) / 2.0);
        return unit_hash(seed_of(40), bi, bj) < 0.03 + 0.07 * block_a;
    }

    static constexpr double diagonal_u0 = 40.0, diagonal_v0 = 1980.0, diagonal_u1 = 1380.0, diagonal_v1 = 120.0;

private:
    Cell classify_cover(int col, int row, std::uint8_t& building_height) const {
        const double u = col + 0.5;
        const double v = row + 0.5;
        if (col < nodata_cols && row >= nodata_row0) return {cover::nodata, Zone::urban};
        const double leaf = canopy_noise(u, v);
        const double soil = soil_noise(u, v);
        const double du = u - park_u;
        const double dv = v - park_v;
        const double park_d2 = du * du + dv * dv;
        if (park_d2 < pond_radius * pond_radius) return {cover::water, Zone::park};
        const double bank = m_river_centre[row] + m_river_half[row];
        const std::uint8_t cross_street = m_rows.street[row];
        const std::uint8_t long_street = m_columns.street[col];
        if (std::abs(u - m_river_centre[row]) < m_river_half[row]) {
            // The arterials cross the river on bridges.
            return {cross_street == 2 ? cover::road : cover::water, Zone::urban};
        }
        if (u >= bank) return {classify_port(row, u, v, bank, leaf, soil, building_height), Zone::port};
        if (park_d2 < park_radius * park_radius) {
            return {leaf > 0.42 ? cover::canopy : cover::grass, Zone::park};
        }
        const double a = affluence(u, v);
        if (cross_street != 0 || long_street != 0 || diagonal_distance(u, v) < 8.0) {
            // Street trees overhang the minor streets.
            const bool arterial = cross_street == 2 || long_street == 2;
            const bool shaded = !arterial && leaf > canopy_threshold(a) + 0.14;
            return {shaded ? cover::canopy : cover::road, Zone::urban};
        }
        if (m_creek_half[col] > 0.0 && std::abs(v - m_creek_centre[col]) < m_creek_half[col]) {
            return {cover::water, Zone::urban};
        }
        return {classify_block(col, row, u, v, a, leaf, soil, building_height), Zone::urban};
    }

    // 6 to 22 m, whole metres: crowns of 6–14 m everywhere, up to 8 m more where the
    // neighbourhood is old and leafy (affluence 1).
    static std::uint8_t tree_height(double u, double v) {
        const double crown = value_noise(seed_of(60), u, v, 18.0);
        const double metres = 6.0 + 8.0 * crown + 8.0 * affluence(u, v) * value_noise(seed_of(61), u, v, 90.0);
        return static_cast<std::uint8_t>(std::floor(metres + 0.5));
    }

    static double canopy_threshold(double a) { return 0.645 - 0.23 * a; }

    static double canopy_noise(double u, double v) {
        return 0.5 * value_noise(seed_of(30), u, v, 70.0) + 0.3 * value_noise(seed_of(31), u, v, 22.0) +
               0.2 * value_noise(seed_of(32), u, v, 7.0);
    }

    static double soil_noise(double u, double v) {
        return 0.7 * value_noise(seed_of(33), u, v, 45.0) + 0.3 * value_noise(seed_of(34), u, v, 9.0);
    }

    // Distance to the diagonal avenue that cuts the grid from the south-west to the north-east.
    static double diagonal_distance(double u, double v) {
        const double u0 = diagonal_u0, v0 = diagonal_v0, u1 = diagonal_u1, v1 = diagonal_v1;
        const double du = u1 - u0, dv = v1 - v0;
        const double length2 = du * du + dv * dv;
        const double t = std::clamp(((u - u0) * du + (v - v0) * dv) / length2, 0.0, 1.0);
        const double eu = u - (u0 + t * du), ev = v - (v0 + t * dv);
        return std::sqrt(eu * eu + ev * ev);
    }

    static std::uint8_t yard(int col, int row, double a, double leaf, double soil) {
        std::uint8_t c = cover::grass;
        if (leaf > canopy_threshold(a)) {
            c = cover::canopy;
        } else if (soil > 0.80 - 0.10 * (1.0 - a)) {
            c = cover::bare;
        }
        // Speckle: single cells that a classifier gets wrong.
        if (unit_hash(seed_of(35), col, row) < 0.004 && c != cover::bare) {
            c = c == cover::canopy ? cover::grass : cover::canopy;
        }
        return c;
    }

    std::uint8_t classify_block(int col, int row, double u, double v, double a, double leaf,
                                double soil, std::uint8_t& building_height) const {
        const int bi = m_columns.block[col];
        const int bj = m_rows.block[row];
        const double a0 = m_columns.block_lo[bi], a1 = m_columns.block_hi[bi];
        const double b0 = m_rows.block_lo[bj], b1 = m_rows.block_hi[bj];
        const double block_a = affluence((a0 + a1) / 2.0, (b0 + b1) / 2.0);
        const double kind = unit_hash(seed_of(40), bi, bj);
        if (diagonal_distance(u, v) < 16.0) return yard(col, row, a, leaf, soil);
        if (kind < 0.03 + 0.07 * block_a) {
            return leaf > canopy_threshold(a) - 0.12 ? cover::canopy : cover::grass;  // pocket park
        }
        if (kind > 0.90 - 0.22 * (1.0 - block_a)) {
            // Shops or offices: one large building and a parking lot with a planted margin.
            const double margin = 3.0;
            if (u < a0 + margin || u >= a1 - margin || v < b0 + margin || v >= b1 - margin) {
                return yard(col, row, a, leaf, soil);
            }
            if (u >= a0 + 8.0 && u < a1 - 8.0 && v >= b0 + 6.0 && v < b0 + 0.6 * (b1 - b0)) {
                // One or two storeys: 5 to 9 m.
                building_height = static_cast<std::uint8_t>(5.0 + std::floor(5.0 * unit_hash(seed_of(42), bi, bj)));
                return cover::building;
            }
            return leaf > canopy_threshold(a) + 0.2 ? cover::canopy : cover::road;
        }
        // Houses on lots that face the streets north and south of the block.
        const bool north = v < (b0 + b1) / 2.0;
        const double depth = north ? v - b0 : b1 - v;
        const double half_depth = (b1 - b0) / 2.0;
        const double frontage = std::floor(12.0 + 18.0 * block_a);
        const double along = u - a0;
        const double lot = std::floor(along / frontage);
        const double x = along - lot * frontage;
        if ((lot + 1.0) * frontage > a1 - a0) return yard(col, row, a, leaf, soil);
        const std::int64_t key = ((std::int64_t{bi} * 64 + bj) * 2 + (north ? 1 : 0)) * 64 +
                                 static_cast<std::int64_t>(lot);
        const double h0 = unit_hash(seed_of(41), key, 0);
        const double h1 = unit_hash(seed_of(41), key, 1);
        const double h2 = unit_hash(seed_of(41), key, 2);
        const double h3 = unit_hash(seed_of(41), key, 3);
        if (h0 > 0.93 - 0.12 * (1.0 - block_a)) {
            // A vacant lot.
            if (leaf > canopy_threshold(a) + 0.05) return cover::canopy;
            return soil > 0.5 ? cover::bare : cover::grass;
        }
        const bool rowhouse = block_a < 0.35;
        const double setback = rowhouse ? 2.0 + 2.0 * h3 : 4.0 + 7.0 * block_a + 3.0 * h3;
        const double building_depth = rowhouse ? std::min(16.0, half_depth - setback - 3.0) : 10.0 + 6.0 * h2;
        const double width = rowhouse ? frontage - 1.0 : frontage * (0.45 + 0.2 * h1);
        const double x0 = rowhouse ? 0.5 : (frontage - width) / 2.0;
        if (x >= x0 && x < x0 + width && depth >= setback && depth < setback + building_depth) {
            // Detached houses of 6–9 m; rows of three-storey houses of 9–12 m.
            const double storeys = std::floor(4.0 * unit_hash(seed_of(43), key, 0));
            building_height = static_cast<std::uint8_t>((rowhouse ? 9.0 : 6.0) + storeys);
            return cover::building;
        }
        if (!rowhouse && x >= frontage - 4.0 && x < frontage - 1.0 && depth < setback + 6.0) {
            return cover::road;  // driveway
        }
        return yard(col, row, a, leaf, soil);
    }

    std::uint8_t classify_port(int row, double u, double v, double bank, double leaf, double soil,
                               std::uint8_t& building_height) const {
        if (m_rows.street[row] == 2 || (u >= port_road_u0 && u < port_road_u1)) return cover::road;
        if (u < bank + 6.0) return leaf > 0.6 ? cover::canopy : cover::grass;  // the shore
        const double cell_u = 80.0, cell_v = 120.0;
        const double lu = std::floor(u / cell_u), lv = std::floor(v / cell_v);
        const auto iu = static_cast<std::int64_t>(lu), iv = static_cast<std::int64_t>(lv);
        const double h = unit_hash(seed_of(50), iu, iv);
        const double h2 = unit_hash(seed_of(51), iu, iv);
        const double x = u - lu * cell_u, y = v - lv * cell_v;
        const double mx = 10.0 + 8.0 * h2, my = 14.0 + 10.0 * h;
        const int above = std::max(row - 8, 0), below = std::min(row + 8, city_cells - 1);
        const bool clear_of_roads = m_rows.street[above] != 2 && m_rows.street[below] != 2 &&
                                    (u < port_road_u0 - 8.0 || u >= port_road_u1 + 8.0);
        if (h < 0.6 && u > bank + 20.0 && clear_of_roads && x >= mx && x < cell_u - mx && y >= my &&
            y < cell_v - my) {
            building_height = static_cast<std::uint8_t>(10.0 + std::floor(6.0 * h2));  // 10–15 m
            return cover::building;  // warehouse
        }
        if (leaf > 0.82) return cover::canopy;
        if (leaf > 0.66) return cover::grass;
        if (soil > 0.62) return cover::bare;
        return cover::road;  // yards and container stacks on pavement
    }

    StreetAxis m_columns;  // north–south streets, by column
    StreetAxis m_rows;     // east–west streets, by row
    std::vector<double> m_river_centre;  // per row
    std::vector<double> m_river_half;
    std::vector<double> m_creek_centre;  // per column
    std::vector<double> m_creek_half;    // 0: no creek in this column
};

struct LandCover {
    std::vector<std::uint8_t> cover;
    std::vector<Zone> zone;
    std::vector<std::uint8_t> canopy_height;    // metres on canopy cells, 0 elsewhere
    std::vector<std::uint8_t> building_height;  // metres on building cells, 0 elsewhere
};

LandCover generate_land_cover() {
    const CityModel city;
    LandCover lc;
    lc.cover.resize(std::size_t{city_cells} * city_cells);
    lc.zone.resize(lc.cover.size());
    lc.canopy_height.resize(lc.cover.size());
    lc.building_height.resize(lc.cover.size());
    for (int r = 0; r < city_cells; ++r) {
        for (int c = 0; c < city_cells; ++c) {
            const Cell cell = city.classify(c, r);
            const std::size_t i = std::size_t(r) * city_cells + std::size_t(c);
            lc.cover[i] = cell.cover;
            lc.zone[i] = cell.zone;
            const bool unknown = cell.cover == cover::nodata;
            lc.canopy_height[i] = unknown ? height_nodata : cell.cover == cover::canopy ? cell.height : 0;
            lc.building_height[i] = unknown ? height_nodata : cell.cover == cover::building ? cell.height : 0;
        }
    }
    return lc;
}

// ---- polygons ---------------------------------------------------------------------------

using Ring = std::vector<Point>;  // open: the first point is not repeated

struct Shape {
    Ring outer;
    std::vector<Ring> holes;
};

double round_point(double x) { return round_to(x, 10.0); }  // 0.1 m

// Twice the signed area in (easting, northing): positive when counter-clockwise on a map.
double signed_area2(const Ring& ring) {
    double s = 0.0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const Point& p = ring[i];
        const Point& q = ring[(i + 1) % ring.size()];
        s += p.u * (-q.v) - q.u * (-p.v);
    }
    return s;
}

void orient(Ring& ring, bool counter_clockwise) {
    if ((signed_area2(ring) > 0.0) != counter_clockwise) std::reverse(ring.begin(), ring.end());
}

double shape_area(const Shape& shape) {
    double a = std::abs(signed_area2(shape.outer));
    for (const Ring& h : shape.holes) a -= std::abs(signed_area2(h));
    return a / 2.0;
}

// Block groups: a 7 × 7 grid of jittered quadrilaterals whose edges wiggle through two shared
// intermediate vertices, plus an octagonal enclave cut as a hole out of the block around the park.
std::vector<Shape> build_block_shapes() {
    const int n = block_grid;
    const double step = double(city_cells) / n;
    std::vector<std::vector<Point>> node(n + 1, std::vector<Point>(n + 1));
    for (int j = 0; j <= n; ++j) {
        for (int i = 0; i <= n; ++i) {
            const bool inner_u = i > 0 && i < n;
            const bool inner_v = j > 0 && j < n;
            const double ju = inner_u ? (unit_hash(seed_of(60), i, j) - 0.5) * 80.0 : 0.0;
            const double jv = inner_v ? (unit_hash(seed_of(61), i, j) - 0.5) * 80.0 : 0.0;
            node[j][i] = {round_point(i * step + ju), round_point(j * step + jv)};
        }
    }
    // The interior of an edge from node a to node b; boundary edges stay straight.
    auto edge_interior = [&](Point a, Point b, bool on_boundary, std::int64_t key) {
        std::vector<Point> pts;
        if (on_boundary) return pts;
        const double du = b.u - a.u, dv = b.v - a.v;
        const double length = std::sqrt(du * du + dv * dv);
        for (int k = 1; k <= 2; ++k) {
            const double t = k / 3.0;
            const double offset = (unit_hash(seed_of(62), key, k) - 0.5) * 40.0;
            pts.push_back({round_point(a.u + t * du - offset * dv / length),
                           round_point(a.v + t * dv + offset * du / length)});
        }
        return pts;
    };
    // Edges run from the lower-index node to the higher; both neighbours use the same points.
    auto horizontal = [&](int i, int j) {
        return edge_interior(node[j][i], node[j][i + 1], j == 0 || j == n, std::int64_t{j} * 100 + i);
    };
    auto vertical = [&](int i, int j) {
        return edge_interior(node[j][i], node[j + 1][i], i == 0 || i == n, 10000 + std::int64_t{i} * 100 + j);
    };
    std::vector<Shape> shapes;
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
            Ring ring;
            auto append = [&ring](const std::vector<Point>& pts, bool reversed) {
                if (reversed) {
                    ring.insert(ring.end(), pts.rbegin(), pts.rend());
                } else {
                    ring.insert(ring.end(), pts.begin(), pts.end());
                }
            };
            ring.push_back(node[j][i]);
            append(horizontal(i, j), false);
            ring.push_back(node[j][i + 1]);
            append(vertical(i + 1, j), false);
            ring.push_back(node[j + 1][i + 1]);
            append(horizontal(i, j + 1), true);
            ring.push_back(node[j + 1][i]);
            append(vertical(i, j), true);
            orient(ring, true);
            shapes.push_back({ring, {}});
        }
    }
    const double d = round_point(enclave_radius * 0.7071067811865476);
    const double r = enclave_radius;
    Ring enclave = {{park_u + r, park_v},     {park_u + d, park_v + d}, {park_u, park_v + r},
                    {park_u - d, park_v + d}, {park_u - r, park_v},     {park_u - d, park_v - d},
                    {park_u, park_v - r},     {park_u + d, park_v - d}};
    const int host = 3 * n + 1;  // row 3, column 1 of the grid holds the park
    Ring hole = enclave;
    orient(hole, false);
    shapes[host].holes.push_back(hole);
    orient(enclave, true);
    shapes.insert(shapes.begin() + host + 1, Shape{enclave, {}});
    return shapes;
}

// Neighbourhoods: four in the north and four in the south, split by a wavy east–west line and
// wavy north–south lines that ignore the block groups.
std::vector<Shape> build_neighbourhood_shapes() {
    const double step = 50.0;
    auto mid_v = [](double u) {
        return round_point(1000.0 + 90.0 * signed_noise(seed_of(70), u / 400.0) +
                           20.0 * signed_noise(seed_of(71), u / 90.0));
    };
    std::vector<Point> midline;
    for (int k = 0; k * step <= city_cells; ++k) midline.push_back({k * step, mid_v(k * step)});
    // A line from the north (or south) edge at about u_join down (or up) to the midline point at u_join.
    auto divider = [&](double u_join, bool from_north, std::uint64_t stream) {
        const double vm = mid_v(u_join);
        std::vector<Point> pts;
        for (int k = 0;; ++k) {
            const double v = from_north ? k * step : city_cells - k * step;
            if (std::abs(vm - v) < 30.0 || (from_north ? v > vm : v < vm)) break;
            const double taper = std::min(1.0, std::abs(vm - v) / 200.0);
            pts.push_back({round_point(u_join + 40.0 * taper * signed_noise(seed_of(stream), v / 250.0)), v});
        }
        pts.push_back({u_join, vm});
        return pts;
    };
    auto midline_between = [&](double u_from, double u_to) {
        std::vector<Point> pts;
        for (const Point& p : midline) {
            if (p.u > std::min(u_from, u_to) && p.u < std::max(u_from, u_to)) pts.push_back(p);
        }
        if (u_from > u_to) std::reverse(pts.begin(), pts.end());
        return pts;
    };
    std::vector<Shape> shapes;
    for (int half = 0; half < 2; ++half) {
        const bool north = half == 0;
        const std::vector<double> joins = north ? std::vector<double>{500.0, 1050.0, 1500.0}
                                                : std::vector<double>{400.0, 850.0, 1300.0};
        const double edge_v = north ? 0.0 : double(city_cells);
        std::vector<std::vector<Point>> dividers;
        for (std::size_t k = 0; k < joins.size(); ++k) {
            dividers.push_back(divider(joins[k], north, 80 + std::uint64_t(half) * 10 + k));
        }
        for (std::size_t k = 0; k <= joins.size(); ++k) {
            const double u_left = k == 0 ? 0.0 : joins[k - 1];
            const double u_right = k == joins.size() ? double(city_cells) : joins[k];
            // Left side from the edge to the midline, the midline eastwards, the right side back.
            Ring ring;
            if (k == 0) {
                ring.push_back({0.0, edge_v});
                ring.push_back({0.0, mid_v(0.0)});
            } else {
                ring.insert(ring.end(), dividers[k - 1].begin(), dividers[k - 1].end());
            }
            const std::vector<Point> middle = midline_between(u_left, u_right);
            ring.insert(ring.end(), middle.begin(), middle.end());
            if (k == joins.size()) {
                ring.push_back({double(city_cells), mid_v(double(city_cells))});
                ring.push_back({double(city_cells), edge_v});
            } else {
                ring.insert(ring.end(), dividers[k].rbegin(), dividers[k].rend());
            }
            orient(ring, true);
            shapes.push_back({ring, {}});
        }
    }
    return shapes;
}

// Which shape each cell centre falls in (even–odd scanlines). Shared edges cut a row at the same
// x whichever shape asks, and cells go to the half-open span [x0, x1), so every cell of the
// raster must land in exactly one shape.
std::vector<int> rasterize_shapes(const std::vector<Shape>& shapes) {
    std::vector<int> owner(std::size_t{city_cells} * city_cells, -1);
    for (std::size_t s = 0; s < shapes.size(); ++s) {
        std::vector<const Ring*> rings = {&shapes[s].outer};
        for (const Ring& h : shapes[s].holes) rings.push_back(&h);
        for (int r = 0; r < city_cells; ++r) {
            const double vc = r + 0.5;
            std::vector<double> xs;
            for (const Ring* ring : rings) {
                for (std::size_t i = 0; i < ring->size(); ++i) {
                    Point p = (*ring)[i];
                    Point q = (*ring)[(i + 1) % ring->size()];
                    if ((p.v <= vc) == (q.v <= vc)) continue;
                    if (q.v < p.v) std::swap(p, q);
                    xs.push_back(p.u + (vc - p.v) * (q.u - p.u) / (q.v - p.v));
                }
            }
            std::sort(xs.begin(), xs.end());
            for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
                const int c0 = std::max(0, static_cast<int>(std::ceil(xs[k] - 0.5)));
                const int c1 = std::min(city_cells, static_cast<int>(std::ceil(xs[k + 1] - 0.5)));
                for (int c = c0; c < c1; ++c) {
                    int& o = owner[std::size_t(r) * city_cells + std::size_t(c)];
                    if (o != -1) {
                        throw std::runtime_error("internal: shapes " + std::to_string(o) + " and " +
                                                 std::to_string(s) + " overlap at cell " +
                                                 std::to_string(c) + "," + std::to_string(r));
                    }
                    o = static_cast<int>(s);
                }
            }
        }
    }
    for (std::size_t i = 0; i < owner.size(); ++i) {
        if (owner[i] == -1) {
            throw std::runtime_error("internal: cell " + std::to_string(i) + " is in no shape");
        }
    }
    return owner;
}

void check_tiling(const std::vector<Shape>& shapes, const char* what) {
    double total = 0.0;
    for (const Shape& s : shapes) total += shape_area(s);
    const double expected = double(city_cells) * city_cells;
    if (std::abs(total - expected) > 1e-6 * expected) {
        throw std::runtime_error(std::string("internal: ") + what + " cover " + std::to_string(total) +
                                 " m², expected " + std::to_string(expected));
    }
}

// ---- streets and destinations -------------------------------------------------------------

// A street centre line or a point of interest, in local metres, with its attributes.
struct StreetFeature {
    std::vector<Point> points;
    std::string name;
    const char* kind;  // "street", "footpath" or "footbridge"
};

struct Destination {
    Point at;
    std::string name;
    const char* kind;  // "school", "bus_stop" or "park"
};

struct StreetNetwork {
    std::vector<StreetFeature> streets;
    std::vector<Destination> destinations;
};

// One street before it is cut into features: a straight centre line from `from` to `to`, and
// the junctions on it, as distances from `from`.
struct Way {
    Point from;
    Point to;
    std::string name;
    bool long_lines;  // one feature per open stretch through its junctions, or one per link
    std::vector<std::pair<double, Point>> junctions;
    double length() const {
        const double du = to.u - from.u, dv = to.v - from.v;
        return std::sqrt(du * du + dv * dv);
    }
    Point at(double s) const {
        const double t = s / length();
        return {round_point(from.u + t * (to.u - from.u)), round_point(from.v + t * (to.v - from.v))};
    }
};

bool same_point(const Point& a, const Point& b) { return a.u == b.u && a.v == b.v; }

double point_segment_distance(const Point& p, const Point& a, const Point& b) {
    const double du = b.u - a.u, dv = b.v - a.v;
    const double length2 = du * du + dv * dv;
    const double t = length2 == 0.0 ? 0.0 : std::clamp(((p.u - a.u) * du + (p.v - a.v) * dv) / length2, 0.0, 1.0);
    const double eu = p.u - (a.u + t * du), ev = p.v - (a.v + t * dv);
    return std::sqrt(eu * eu + ev * ev);
}

double distance_to_streets(const Point& p, const std::vector<StreetFeature>& streets) {
    double best = 1e300;
    for (const StreetFeature& f : streets) {
        for (std::size_t i = 0; i + 1 < f.points.size(); ++i) {
            best = std::min(best, point_segment_distance(p, f.points[i], f.points[i + 1]));
        }
    }
    return best;
}

// Where two straight ways cross, as distances along each; false when they do not.
bool crossing(const Way& a, const Way& b, double& sa, double& sb) {
    const double au = a.to.u - a.from.u, av = a.to.v - a.from.v;
    const double bu = b.to.u - b.from.u, bv = b.to.v - b.from.v;
    const double det = au * (-bv) - av * (-bu);
    if (det == 0.0) return false;
    const double cu = b.from.u - a.from.u, cv = b.from.v - a.from.v;
    const double ta = (cu * (-bv) - cv * (-bu)) / det;
    const double tb = (au * cv - av * cu) / det;
    if (ta < 0.0 || ta > 1.0 || tb < 0.0 || tb > 1.0) return false;
    sa = ta * a.length();
    sb = tb * b.length();
    return true;
}

const std::array<const char*, 20> tree_names = {
    "Alder",    "Birch",  "Catalpa", "Dogwood", "Elm",     "Fir",     "Ginkgo",   "Hawthorn", "Ironwood", "Juniper",
    "Katsura", "Linden", "Magnolia", "Nyssa",  "Oak",     "Persimmon", "Quince",  "Redbud",   "Sassafras", "Tupelo"};

std::string ordinal(int n) {
    const int tens = n % 100;
    const char* suffix = (tens >= 11 && tens <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    return std::to_string(n) + suffix;
}

// Open stretches of a way, [start, end] in metres along it, sampled every half metre; stretches
// shorter than 30 m (a side street's stub across a bridge or through the port) are dropped.
std::vector<std::pair<double, double>> open_stretches(const CityModel& city, const Way& way) {
    std::vector<std::pair<double, double>> out;
    const double length = way.length();
    const auto samples = static_cast<int>(std::floor(length * 2.0));
    int first = -1;
    for (int k = 0; k <= samples + 1; ++k) {
        bool open = false;
        if (k <= samples) {
            const double t = (k * 0.5) / length;
            open = city.street_open(way.from.u + t * (way.to.u - way.from.u), way.from.v + t * (way.to.v - way.from.v));
        }
        if (open && first < 0) first = k;
        if (!open && first >= 0) {
            const double s0 = first * 0.5, s1 = (k - 1) * 0.5;
            if (s1 - s0 >= 30.0) out.emplace_back(s0, s1);
            first = -1;
        }
    }
    return out;
}


// A monotone stand-in for the angle of (du, dv) around the park centre, in [0, 4): exact
// arithmetic only, so the ring's vertex order is the same on every platform.
double pseudo_angle(double du, double dv) {
    const double p = du / (std::abs(du) + std::abs(dv));
    return dv >= 0.0 ? 1.0 - p : 3.0 + p;
}

// Footpaths in the round park: every street that stops at the park's edge goes on as a path to
// a loop around the pond, 50 m from the park's centre. The loop is one closed line that shares
// an interior vertex with each path.
void add_park_paths(std::vector<StreetFeature>& streets) {
    const double loop_radius = 50.0;
    std::vector<Point> gates;
    for (const StreetFeature& f : streets) {
        for (const Point& end : {f.points.front(), f.points.back()}) {
            const double du = end.u - park_u, dv = end.v - park_v;
            const double d = std::sqrt(du * du + dv * dv);
            if (d < park_radius + 1.0) gates.push_back(end);
        }
    }
    std::vector<std::pair<double, Point>> loop;
    std::vector<StreetFeature> paths;
    for (const Point& gate : gates) {
        const double du = gate.u - park_u, dv = gate.v - park_v;
        const double d = std::sqrt(du * du + dv * dv);
        const Point on_loop = {round_point(park_u + loop_radius * du / d), round_point(park_v + loop_radius * dv / d)};
        paths.push_back({{gate, on_loop}, "Round Park Path", "footpath"});
        loop.emplace_back(pseudo_angle(du, dv), on_loop);
    }
    if (loop.empty()) throw std::runtime_error("internal: no street reaches the round park");
    // Sixteen more vertices keep the loop round: cos and sin of multiples of 22.5°.
    const std::array<double, 5> c = {1.0, 0.9238795325112867, 0.7071067811865476, 0.3826834323650898, 0.0};
    for (int k = 0; k < 16; ++k) {
        const int q = k / 4, r = k % 4;
        const double x = q % 2 == 0 ? c[std::size_t(r)] : c[std::size_t(4 - r)];
        const double y = q % 2 == 0 ? c[std::size_t(4 - r)] : c[std::size_t(r)];
        const double du = (q == 1 || q == 2 ? -x : x) * loop_radius;
        const double dv = (q >= 2 ? -y : y) * loop_radius;
        loop.emplace_back(pseudo_angle(du, dv), Point{round_point(park_u + du), round_point(park_v + dv)});
    }
    std::sort(loop.begin(), loop.end(),
              [](const std::pair<double, Point>& x, const std::pair<double, Point>& y) { return x.first < y.first; });
    // The loop starts and ends where the first path meets it.
    const Point start = paths.front().points.back();
    std::size_t first = 0;
    while (!same_point(loop[first].second, start)) ++first;
    StreetFeature ring{{}, "Pond Loop", "footpath"};
    for (std::size_t k = 0; k <= loop.size(); ++k) {
        const Point& p = loop[(first + k) % loop.size()].second;
        if (ring.points.empty() || !same_point(ring.points.back(), p)) ring.points.push_back(p);
    }
    streets.insert(streets.end(), paths.begin(), paths.end());
    streets.push_back(ring);
}

// A point `offset` metres to the left of the direction a → b, at fraction t from a.
Point beside(const Point& a, const Point& b, double t, double offset) {
    const double du = b.u - a.u, dv = b.v - a.v;
    const double length = std::sqrt(du * du + dv * dv);
    return {round_point(a.u + t * du + offset * dv / length), round_point(a.v + t * dv - offset * du / length)};
}

// Schools on side streets spread over the city, bus stops every 450 m along the arterials and
// the diagonal avenue (alternating sides), the round park's north gate and pocket parks' gates.
void add_destinations(const CityModel& city, const std::vector<Way>& ways,
                      const std::vector<std::vector<std::pair<double, double>>>& stretches, StreetNetwork& net) {
    const std::array<Point, 5> school_near = {Point{300.0, 250.0}, Point{1150.0, 300.0}, Point{1200.0, 1200.0},
                                              Point{750.0, 1650.0}, Point{250.0, 1500.0}};
    const std::array<const char*, 5> school_names = {"Linden Elementary School", "Harbor Middle School",
                                                     "Foundry Hill Elementary School", "Chestnut High School",
                                                     "Willow Bend Elementary School"};
    for (std::size_t k = 0; k < school_near.size(); ++k) {
        const StreetFeature* best = nullptr;
        double best_d = 1e300;
        for (const StreetFeature& f : net.streets) {
            if (f.points.size() != 2 || std::strcmp(f.kind, "street") != 0) continue;
            const Point mid = {(f.points[0].u + f.points[1].u) / 2.0, (f.points[0].v + f.points[1].v) / 2.0};
            const double du = mid.u - school_near[k].u, dv = mid.v - school_near[k].v;
            if (du * du + dv * dv < best_d) {
                best_d = du * du + dv * dv;
                best = &f;
            }
        }
        net.destinations.push_back({beside(best->points[0], best->points[1], 0.5, 7.0), school_names[k], "school"});
    }
    int stop = 0;
    for (std::size_t w = 0; w < ways.size(); ++w) {
        if (!ways[w].long_lines) continue;
        for (const auto& st : stretches[w]) {
            for (double s = st.first + 150.0; s < st.second - 50.0; s += 450.0) {
                ++stop;
                const double side = stop % 2 == 0 ? 6.0 : -6.0;
                const double t = s / ways[w].length();
                net.destinations.push_back({beside(ways[w].from, ways[w].to, t, side),
                                            ways[w].name + " stop " + std::to_string(stop), "bus_stop"});
            }
        }
    }
    // The round park's gate farthest north: the end of the path whose gate has the least v.
    const StreetFeature* north_path = nullptr;
    for (const StreetFeature& f : net.streets) {
        if (f.name == "Round Park Path" && (north_path == nullptr || f.points[0].v < north_path->points[0].v)) {
            north_path = &f;
        }
    }
    net.destinations.push_back({north_path->points[0], "Round Pond Park", "park"});
    // Pocket parks whose north side faces an open street, one per column of blocks at most.
    const StreetAxis& columns = city.columns();
    const StreetAxis& rows = city.rows();
    int parks = 0;
    for (std::size_t bi = 1; bi + 1 < columns.block_lo.size() && parks < 4; ++bi) {
        for (std::size_t bj = 1; bj + 1 < rows.block_lo.size(); ++bj) {
            if (!city.pocket_park(int(bi), int(bj))) continue;
            const Point gate = {round_point((columns.block_lo[bi] + columns.block_hi[bi]) / 2.0),
                                rows.block_lo[bj] + 0.5};
            const Cell cell = city.classify(int(gate.u), int(gate.v));
            if (cell.zone != Zone::urban || (cell.cover != cover::grass && cell.cover != cover::canopy)) continue;
            if (distance_to_streets(gate, net.streets) > 9.5) continue;
            ++parks;
            net.destinations.push_back({gate, std::string(tree_names.at(bi)) + " Pocket Park", "park"});
            break;
        }
    }
}

// The street network that the land cover draws: the grid's streets and arterials, the diagonal
// avenue, the port road, footpaths in the round park; and points to walk to along it.
StreetNetwork build_street_network() {
    const CityModel city;
    const double extent = city_cells;
    std::vector<Way> ways;
    const StreetAxis& columns = city.columns();
    const StreetAxis& rows = city.rows();
    for (std::size_t k = 0; k < columns.centre.size(); ++k) {
        const std::string tree = tree_names.at(k);
        ways.push_back({{columns.centre[k], 0.0}, {columns.centre[k], extent},
                        tree + (columns.arterial[k] ? " Avenue" : " Street"), bool(columns.arterial[k]), {}});
    }
    const std::size_t first_row = ways.size();
    for (std::size_t k = 0; k < rows.centre.size(); ++k) {
        ways.push_back({{0.0, rows.centre[k]}, {extent, rows.centre[k]},
                        ordinal(int(k) + 1) + (rows.arterial[k] ? " Boulevard" : " Street"), bool(rows.arterial[k]), {}});
    }
    const std::size_t diagonal = ways.size();
    ways.push_back({{CityModel::diagonal_u0, CityModel::diagonal_v0}, {CityModel::diagonal_u1, CityModel::diagonal_v1},
                    "Commonwealth Avenue", true, {}});
    const double port_u = (port_road_u0 + port_road_u1) / 2.0;
    ways.push_back({{port_u, 0.0}, {port_u, extent}, "Terminal Road", true, {}});

    std::vector<std::vector<std::pair<double, double>>> stretches;
    for (const Way& w : ways) stretches.push_back(open_stretches(city, w));
    auto within = [&stretches](std::size_t w, double s) {
        for (const auto& st : stretches[w]) {
            if (s >= st.first && s <= st.second) return true;
        }
        return false;
    };

    // The footbridge: the first side street that crosses the diagonal avenue at least 40 m from
    // its junctions with the cross streets carries a footbridge over the avenue there, with no
    // junction (the avenue runs in a cutting).
    std::size_t bridge_way = ways.size();
    double bridge_s = 0.0;
    for (std::size_t a = 0; a < ways.size(); ++a) {
        for (std::size_t b = a + 1; b < ways.size(); ++b) {
            double sa = 0.0, sb = 0.0;
            if (!crossing(ways[a], ways[b], sa, sb) || !within(a, sa) || !within(b, sb)) continue;
            const Point p = ways[a].at(sa);
            if (!city.street_open(p.u, p.v)) continue;
            if (b == diagonal && a < first_row && !columns.arterial[a] && bridge_way == ways.size()) {
                bool clear = true;
                for (std::size_t r = first_row; r < diagonal; ++r) {
                    if (std::abs(rows.centre[r - first_row] - p.v) < 40.0) clear = false;
                }
                if (clear) {
                    bridge_way = a;
                    bridge_s = sa;
                    continue;
                }
            }
            // Both ways take the very same rounded point, so they share the vertex exactly.
            ways[a].junctions.emplace_back(sa, p);
            ways[b].junctions.emplace_back(sb, p);
        }
    }
    if (bridge_way == ways.size()) throw std::runtime_error("internal: no place for the footbridge");

    StreetNetwork net;
    const double half_bridge = 20.0;  // the avenue is 16 m wide and crossed at a slant
    for (std::size_t w = 0; w < ways.size(); ++w) {
        Way& way = ways[w];
        if (w == bridge_way) {
            way.junctions.emplace_back(bridge_s - half_bridge, way.at(bridge_s - half_bridge));
            way.junctions.emplace_back(bridge_s + half_bridge, way.at(bridge_s + half_bridge));
        }
        std::sort(way.junctions.begin(), way.junctions.end(),
                  [](const std::pair<double, Point>& x, const std::pair<double, Point>& y) { return x.first < y.first; });
        for (const auto& st : stretches[w]) {
            std::vector<Point> pts = {way.at(st.first)};
            for (const auto& j : way.junctions) {
                if (j.first < st.first || j.first > st.second) continue;
                if (j.first - st.first < 0.5 && pts.size() == 1) {
                    pts.back() = j.second;  // the stretch starts at a junction
                } else if (!same_point(pts.back(), j.second)) {
                    pts.push_back(j.second);
                }
            }
            const Point end = way.at(st.second);
            bool end_is_junction = false;
            for (const auto& j : way.junctions) {
                if (std::abs(j.first - st.second) < 0.5) end_is_junction = true;
            }
            if (!end_is_junction && !same_point(pts.back(), end)) pts.push_back(end);
            if (way.long_lines) {
                net.streets.push_back({pts, way.name, "street"});
                continue;
            }
            for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
                const bool bridge = w == bridge_way && same_point(pts[i], way.at(bridge_s - half_bridge));
                net.streets.push_back({{pts[i], pts[i + 1]},
                                       bridge ? way.name + " Footbridge" : way.name,
                                       bridge ? "footbridge" : "street"});
            }
        }
    }
    add_park_paths(net.streets);
    add_destinations(city, ways, stretches, net);
    for (const Destination& d : net.destinations) {
        if (distance_to_streets(d.at, net.streets) > 9.5) {
            throw std::runtime_error("internal: destination " + d.name + " is far from the streets");
        }
    }
    return net;
}

// ---- census attributes -------------------------------------------------------------------

struct CellCounts {
    double cells = 0, nodata = 0, water = 0, canopy = 0, impervious = 0, port = 0, park = 0;
    double sum_u = 0, sum_v = 0;
};

struct BlockGroup {
    std::string geoid;
    std::string name;
    int population = 0;
    double pctpov = 0, pctpoc = 0, unemplrate = 0, dep_ratio = 0, linguistic = 0;
    double health = 0, temp_diff = 0;
    // ACS-style counts of people by race and ethnicity (as table B03002): white, black and
    // asian are "alone, not Hispanic or Latino", hispanic is of any race, other_race the
    // rest (other races, two or more races); together they are the population.
    int white = 0, black = 0, hispanic = 0, asian = 0, other_race = 0;
    int median_income = 0;  // median household income in dollars (as B19013_001E)
};

// Splits a block group's population into the counts of BlockGroup. `white` follows pctpoc;
// the people of colour are split by shares from their own stream (seed 5000 + b), so the
// attributes drawn before are unchanged. The median income falls with the poverty share.
void add_group_counts(BlockGroup& g, double poor, std::uint64_t stream) {
    SplitMix64 rng(seed_of(stream));
    g.white = int(std::round(double(g.population) * (1.0 - g.pctpoc)));
    const int poc = g.population - g.white;
    const double black_share = std::clamp(0.40 + 0.30 * poor + 0.10 * rng.centred(), 0.10, 0.80);
    const double hispanic_share = std::clamp(0.22 - 0.05 * poor + 0.06 * rng.centred(), 0.05, 0.35);
    const double asian_share = std::clamp(0.16 - 0.10 * poor + 0.04 * rng.centred(), 0.01, 0.25);
    g.black = int(std::round(double(poc) * black_share));
    g.hispanic = std::min(int(std::round(double(poc) * hispanic_share)), poc - g.black);
    g.asian = std::min(int(std::round(double(poc) * asian_share)), poc - g.black - g.hispanic);
    g.other_race = poc - g.black - g.hispanic - g.asian;
    const double rich = 1.0 - g.pctpov;
    const double income = (18000.0 + 110000.0 * rich * rich) * (0.9 + 0.2 * rng.uniform());
    g.median_income = int(std::round(income / 100.0)) * 100;
}

std::vector<CellCounts> count_cells(const LandCover& lc, const std::vector<int>& owner, std::size_t count) {
    std::vector<CellCounts> counts(count);
    for (std::size_t i = 0; i < owner.size(); ++i) {
        CellCounts& k = counts[std::size_t(owner[i])];
        const std::uint8_t c = lc.cover[i];
        k.cells += 1;
        k.sum_u += double(i % city_cells) + 0.5;
        k.sum_v += double(i / city_cells) + 0.5;
        if (c == cover::nodata) k.nodata += 1;
        if (c == cover::water) k.water += 1;
        if (c == cover::canopy) k.canopy += 1;
        if (c == cover::building || c == cover::road) k.impervious += 1;
        if (lc.zone[i] == Zone::port) k.port += 1;
        if (lc.zone[i] == Zone::park) k.park += 1;
    }
    return counts;
}

std::string zero_padded(int value, int width) {
    std::string s = std::to_string(value);
    return std::string(std::size_t(std::max(0, width - int(s.size()))), '0') + s;
}

// Demographics follow the same affluence gradient as the land cover, with noise; the heat
// difference follows each block's own canopy and pavement.
std::vector<BlockGroup> build_block_groups(const std::vector<CellCounts>& counts, std::size_t enclave) {
    std::vector<BlockGroup> groups(counts.size());
    std::vector<double> surface(counts.size());
    std::vector<double> land(counts.size());
    int tract = 0, group_in_tract = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
        const CellCounts& k = counts[b];
        BlockGroup& g = groups[b];
        // Two block groups per tract, in reading order; the enclave is a third in its host's tract.
        int group = 3;
        if (b != enclave) {
            if (b == 0 || group_in_tract == 2) {
                ++tract;
                group_in_tract = 0;
            }
            group = ++group_in_tract;
        }
        g.geoid = "51710" + zero_padded(tract * 100, 6) + std::to_string(group);
        g.name = "Block Group " + std::to_string(group) + ", Census Tract " + std::to_string(tract);

        SplitMix64 rng(seed_of(1000 + b));
        const double valid = k.cells - k.nodata;
        land[b] = valid - k.water;
        const double poor = 1.0 - CityModel::affluence(k.sum_u / k.cells, k.sum_v / k.cells);
        const double port_share = k.port / k.cells;
        const double park_share = k.park / k.cells;
        const double residential = std::max(0.0, 1.0 - port_share - park_share);
        const double density_km2 = (2000.0 + 8000.0 * poor) * (0.85 + 0.3 * rng.uniform());
        const double land_km2 = land[b] / 1e6;
        g.population = int(std::round(land_km2 * (residential * density_km2 + 800.0 * port_share)));
        if (b == enclave) g.population = 48;  // a care home beside the pond
        g.pctpov = round_to(std::clamp(0.08 + 0.55 * poor + 0.07 * rng.centred(), 0.02, 0.95), 1000.0);
        g.pctpoc = round_to(std::clamp(0.15 + 0.65 * poor + 0.08 * rng.centred(), 0.03, 0.97), 1000.0);
        g.unemplrate = round_to(std::clamp(0.025 + 0.11 * poor + 0.02 * rng.centred(), 0.01, 0.30), 1000.0);
        g.dep_ratio = round_to(std::clamp(0.42 + 0.5 * poor + 0.12 * rng.centred(), 0.30, 1.20), 1000.0);
        if (b == enclave) g.dep_ratio = 1.15;
        g.linguistic = round_to(std::clamp(0.01 + 0.14 * poor + 0.03 * rng.centred(), 0.0, 0.5), 1000.0);
        g.health = round_to(clamp01(0.15 + 0.55 * poor + 0.08 * rng.centred()), 1000.0);
        add_group_counts(g, poor, 5000 + b);
        surface[b] = 4.0 * (k.impervious / land[b]) - 5.0 * (k.canopy / land[b]) + 0.3 * rng.centred();
    }
    double weighted = 0.0, total_land = 0.0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
        weighted += surface[b] * land[b];
        total_land += land[b];
    }
    const double city_mean = weighted / total_land;
    for (std::size_t b = 0; b < counts.size(); ++b) groups[b].temp_diff = round_to(surface[b] - city_mean, 100.0);
    return groups;
}

// ---- GDAL / OGR output -------------------------------------------------------------------

struct DatasetCloser {
    void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

struct TransformDeleter {
    void operator()(OGRCoordinateTransformation* ct) const { OGRCoordinateTransformation::DestroyCT(ct); }
};

[[noreturn]] void fail_gdal(const std::string& subject, const std::string& what) {
    const std::string detail = CPLGetLastErrorType() >= CE_Failure ? CPLGetLastErrorMsg() : "";
    throw std::runtime_error(subject + ": " + what + (detail.empty() ? "" : " (" + detail + ")"));
}

// Closing flushes the last blocks and pages, so it can fail too.
void close_dataset(DatasetPtr ds, const fs::path& path) {
    CPLErrorReset();
    GDALClose(GDALDataset::ToHandle(ds.release()));
    if (CPLGetLastErrorType() >= CE_Failure) fail_gdal(path.string(), "cannot close");
}

OGRSpatialReference srs_of(int epsg) {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(epsg) != OGRERR_NONE) fail_gdal("EPSG:" + std::to_string(epsg), "unknown CRS");
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

/// A one-band Byte GeoTIFF on the city's grid (UTM 18N, 1 m cells, 256 × 256 DEFLATE tiles;
/// with the horizontal predictor when `predictor`), georeferenced, with nothing written yet.
DatasetPtr create_city_raster(const fs::path& path, bool predictor) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (driver == nullptr) fail_gdal("GTiff", "driver not available");
    CPLStringList options;
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("BLOCKXSIZE", "256");
    options.SetNameValue("BLOCKYSIZE", "256");
    options.SetNameValue("COMPRESS", "DEFLATE");
    options.SetNameValue("ZLEVEL", "9");
    if (predictor) options.SetNameValue("PREDICTOR", "2");
    DatasetPtr ds(driver->Create(path.c_str(), city_cells, city_cells, 1, GDT_Byte, options.List()));
    if (!ds) fail_gdal(path.string(), "cannot create");
    double transform[6] = {origin_x, 1.0, 0.0, origin_y, 0.0, -1.0};
    const OGRSpatialReference utm = srs_of(32618);
    if (ds->SetGeoTransform(transform) != CE_None || ds->SetSpatialRef(&utm) != CE_None) {
        fail_gdal(path.string(), "cannot set the georeferencing");
    }
    return ds;
}

/// Writes every cell of band 1 and closes the file, checking both.
void write_city_cells(DatasetPtr ds, std::vector<std::uint8_t>& cells, const fs::path& path) {
    if (ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, city_cells, city_cells, cells.data(), city_cells, city_cells,
                                       GDT_Byte, 0, 0, nullptr) != CE_None) {
        fail_gdal(path.string(), "cannot write the cells");
    }
    close_dataset(std::move(ds), path);
}

void write_land_cover(const fs::path& path, std::vector<std::uint8_t>& cells) {
    DatasetPtr ds = create_city_raster(path, false);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetDescription("land cover");
    band->SetNoDataValue(0.0);
    const std::array<const char*, 7> names = {"nodata",        "tree canopy", "grass/shrub",      "bare soil",
                                              "water",         "building",    "road/pavement"};
    for (std::size_t k = 1; k < names.size(); ++k) {
        band->SetMetadataItem(("CLASS_" + std::to_string(k)).c_str(), names[k]);
    }
    GDALColorTable colours;
    const std::array<GDALColorEntry, 7> entries = {{{0, 0, 0, 0},
                                                    {38, 115, 0, 255},
                                                    {163, 255, 115, 255},
                                                    {205, 170, 102, 255},
                                                    {0, 112, 255, 255},
                                                    {255, 0, 0, 255},
                                                    {156, 156, 156, 255}}};
    for (std::size_t k = 0; k < entries.size(); ++k) colours.SetColorEntry(int(k), &entries[k]);
    band->SetColorTable(&colours);
    write_city_cells(std::move(ds), cells, path);
}

// Heights above ground in whole metres, on the land cover's grid; 255 where it is nodata.
// Mostly zeros and runs of one height, so DEFLATE with the horizontal predictor packs them small.
void write_heights(const fs::path& path, std::vector<std::uint8_t>& cells, const char* description) {
    DatasetPtr ds = create_city_raster(path, true);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetDescription(description);
    band->SetNoDataValue(height_nodata);
    band->SetUnitType("m");
    write_city_cells(std::move(ds), cells, path);
}

// A ring in local metres, through UTM 18N, into the target CRS, rounded to `steps_per_unit`.
OGRLinearRing project_ring(const Ring& ring, OGRCoordinateTransformation& ct, double steps_per_unit,
                           const std::string& subject) {
    std::vector<double> xs, ys;
    for (const Point& p : ring) {
        xs.push_back(origin_x + p.u);
        ys.push_back(origin_y - p.v);
    }
    if (!ct.Transform(xs.size(), xs.data(), ys.data())) fail_gdal(subject, "cannot transform a ring");
    OGRLinearRing out;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        out.addPoint(round_to(xs[i], steps_per_unit), round_to(ys[i], steps_per_unit));
    }
    out.closeRings();
    return out;
}

struct Field {
    const char* name;
    OGRFieldType type;
    int width;
};

/// Writes a GeoPackage layer in EPSG:`epsg` with `fields` (not null) and `count` features in one
/// transaction: feature i's geometry from make_geometry(i, ct), ct the transformation from UTM 18N
/// into that CRS, its fields from fill(i, feature).
void write_features(const fs::path& path, const char* layer_name, int epsg, OGRwkbGeometryType type,
                    const std::vector<Field>& fields, std::size_t count,
                    const std::function<std::unique_ptr<OGRGeometry>(std::size_t, OGRCoordinateTransformation&)>& make_geometry,
                    const std::function<void(std::size_t, OGRFeature&)>& fill) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (driver == nullptr) fail_gdal("GPKG", "driver not available");
    DatasetPtr ds(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) fail_gdal(path.string(), "cannot create");
    OGRSpatialReference target = srs_of(epsg);
    const OGRSpatialReference utm = srs_of(32618);
    std::unique_ptr<OGRCoordinateTransformation, TransformDeleter> ct(
        OGRCreateCoordinateTransformation(&utm, &target));
    if (!ct) fail_gdal(path.string(), "no transformation from EPSG:32618 to EPSG:" + std::to_string(epsg));
    CPLStringList options;
    options.SetNameValue("FID", "fid");
    options.SetNameValue("GEOMETRY_NAME", "geom");
    OGRLayer* layer = ds->CreateLayer(layer_name, &target, type, options.List());
    if (layer == nullptr) fail_gdal(path.string(), std::string("cannot create layer ") + layer_name);
    for (const Field& f : fields) {
        OGRFieldDefn defn(f.name, f.type);
        defn.SetWidth(f.width);
        defn.SetNullable(FALSE);
        if (layer->CreateField(&defn) != OGRERR_NONE) fail_gdal(path.string(), std::string("field ") + f.name);
    }
    if (ds->StartTransaction() != OGRERR_NONE) fail_gdal(path.string(), "cannot start a transaction");
    for (std::size_t i = 0; i < count; ++i) {
        OGRFeature feature(layer->GetLayerDefn());
        const std::unique_ptr<OGRGeometry> geometry = make_geometry(i, *ct);
        feature.SetGeometry(geometry.get());
        fill(i, feature);
        if (layer->CreateFeature(&feature) != OGRERR_NONE) fail_gdal(path.string(), "cannot write a feature");
    }
    if (ds->CommitTransaction() != OGRERR_NONE) fail_gdal(path.string(), "cannot commit");
    close_dataset(std::move(ds), path);
}

void write_layer(const fs::path& path, const char* layer_name, int epsg, const std::vector<Field>& fields,
                 const std::vector<Shape>& shapes, double steps_per_unit,
                 const std::function<void(std::size_t, OGRFeature&)>& fill) {
    const auto polygon_of = [&](std::size_t i, OGRCoordinateTransformation& ct) -> std::unique_ptr<OGRGeometry> {
        auto polygon = std::make_unique<OGRPolygon>();
        OGRLinearRing outer = project_ring(shapes[i].outer, ct, steps_per_unit, path.string());
        polygon->addRing(&outer);
        for (const Ring& h : shapes[i].holes) {
            OGRLinearRing hole = project_ring(h, ct, steps_per_unit, path.string());
            polygon->addRing(&hole);
        }
        if (!polygon->IsValid()) fail_gdal(path.string(), "feature " + std::to_string(i) + " is not valid");
        return polygon;
    };
    write_features(path, layer_name, epsg, wkbPolygon, fields, shapes.size(), polygon_of, fill);
}

// Lines (two or more points each) or points (one each) in local metres, through UTM 18N, into
// the target CRS, rounded to `steps_per_unit`; one feature per entry of `geometries`.
void write_lines_or_points(const fs::path& path, const char* layer_name, int epsg, const std::vector<Field>& fields,
                           const std::vector<std::vector<Point>>& geometries, double steps_per_unit,
                           const std::function<void(std::size_t, OGRFeature&)>& fill) {
    const bool points = !geometries.empty() && geometries.front().size() == 1;
    const auto line_or_point = [&](std::size_t i, OGRCoordinateTransformation& ct) -> std::unique_ptr<OGRGeometry> {
        if ((geometries[i].size() == 1) != points) throw std::runtime_error("internal: points and lines mixed");
        std::vector<double> xs, ys;
        for (const Point& p : geometries[i]) {
            xs.push_back(origin_x + p.u);
            ys.push_back(origin_y - p.v);
        }
        if (!ct.Transform(xs.size(), xs.data(), ys.data())) fail_gdal(path.string(), "cannot transform a feature");
        if (points) return std::make_unique<OGRPoint>(round_to(xs[0], steps_per_unit), round_to(ys[0], steps_per_unit));
        auto line = std::make_unique<OGRLineString>();
        for (std::size_t k = 0; k < xs.size(); ++k)
            line->addPoint(round_to(xs[k], steps_per_unit), round_to(ys[k], steps_per_unit));
        return line;
    };
    write_features(path, layer_name, epsg, points ? wkbPoint : wkbLineString, fields, geometries.size(),
                   line_or_point, fill);
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

std::string format_fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

const char* const city_toml = R"(# The sample city: run it with `shadegap run sample-rasters/city.toml --out demo-output`.
canopy = "landcover.tif"
canopy_kind = "classes=1"
water_classes = [4]
units = "blocks.gpkg"
units_layer = "blocks"
unit_id = "GEOID"
join = "acs.csv"
join_key = "GEOID"
neighbourhoods = "neighbourhoods.gpkg"
neighbourhoods_layer = "neighbourhoods"
neighbourhood_id = "nbhd_id"
neighbourhood_name = "name"
model = "tree-equity"
# Land-cover classes for the shade masks of `run --shade` (shade from the sample heights:
# see README.md and scripts/demo): buildings leave the land mask; grass, bare soil and
# roads make up the walkable mask.
building_classes = [5]
walkable_classes = [2, 3, 6]
)";

struct Summary {
    std::size_t blocks = 0;
    std::size_t neighbourhoods = 0;
    double canopy_west = 0;  // canopy cells / valid land cells, west and east halves
    double canopy_east = 0;
    double nodata_share = 0;
    std::size_t streets = 0;
    std::size_t destinations = 0;
};

Summary generate(const fs::path& dir) {
    const std::vector<Shape> blocks = build_block_shapes();
    const std::vector<Shape> neighbourhoods = build_neighbourhood_shapes();
    check_tiling(blocks, "block groups");
    check_tiling(neighbourhoods, "neighbourhoods");
    LandCover lc = generate_land_cover();
    const std::vector<int> owner = rasterize_shapes(blocks);
    rasterize_shapes(neighbourhoods);  // throws unless they tile the raster too
    const std::size_t enclave = 3 * block_grid + 2;
    const std::vector<BlockGroup> groups = build_block_groups(count_cells(lc, owner, blocks.size()), enclave);

    Summary summary;
    summary.blocks = blocks.size();
    summary.neighbourhoods = neighbourhoods.size();
    std::array<double, 2> canopy{}, land{};
    double nodata = 0;
    for (std::size_t i = 0; i < lc.cover.size(); ++i) {
        const std::uint8_t c = lc.cover[i];
        const std::size_t side = i % city_cells < city_cells / 2 ? 0 : 1;
        if (c == cover::nodata) nodata += 1;
        if (c == cover::nodata || c == cover::water) continue;
        land[side] += 1;
        if (c == cover::canopy) canopy[side] += 1;
    }
    summary.canopy_west = canopy[0] / land[0];
    summary.canopy_east = canopy[1] / land[1];
    summary.nodata_share = nodata / double(lc.cover.size());

    write_land_cover(dir / "landcover.tif", lc.cover);
    write_heights(dir / "canopy_height.tif", lc.canopy_height, "tree canopy height above ground");
    write_heights(dir / "building_height.tif", lc.building_height, "building height above ground");

    const std::vector<Field> block_fields = {
        {"GEOID", OFTString, 12},     {"name", OFTString, 0},      {"population", OFTInteger, 0},
        {"pctpov", OFTReal, 0},       {"pctpoc", OFTReal, 0},      {"unemplrate", OFTReal, 0},
        {"dep_ratio", OFTReal, 0},    {"linguistic", OFTReal, 0},  {"white", OFTInteger, 0},
        {"black", OFTInteger, 0},     {"hispanic", OFTInteger, 0}, {"asian", OFTInteger, 0},
        {"other_race", OFTInteger, 0}, {"median_income", OFTInteger, 0}};
    // Features go out in GEOID order.
    std::vector<std::size_t> order(blocks.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return groups[a].geoid < groups[b].geoid; });
    std::vector<Shape> sorted_blocks;
    for (std::size_t i : order) sorted_blocks.push_back(blocks[i]);
    write_layer(dir / "blocks.gpkg", "blocks", 4269, block_fields, sorted_blocks, 1e9,
                [&](std::size_t i, OGRFeature& f) {
                    const BlockGroup& g = groups[order[i]];
                    f.SetField("GEOID", g.geoid.c_str());
                    f.SetField("name", g.name.c_str());
                    f.SetField("population", g.population);
                    f.SetField("pctpov", g.pctpov);
                    f.SetField("pctpoc", g.pctpoc);
                    f.SetField("unemplrate", g.unemplrate);
                    f.SetField("dep_ratio", g.dep_ratio);
                    f.SetField("linguistic", g.linguistic);
                    f.SetField("white", g.white);
                    f.SetField("black", g.black);
                    f.SetField("hispanic", g.hispanic);
                    f.SetField("asian", g.asian);
                    f.SetField("other_race", g.other_race);
                    f.SetField("median_income", g.median_income);
                });

    std::string csv = "GEOID,health,temp_diff\n";
    for (std::size_t i : order) {
        csv += groups[i].geoid + "," + format_fixed(groups[i].health, 3) + "," +
               format_fixed(groups[i].temp_diff, 2) + "\n";
    }
    write_text(dir / "acs.csv", csv);
    write_text(dir / "acs.csvt", "\"String\",\"Real\",\"Real\"\n");

    const std::array<const char*, 8> names = {"Linden Terrace", "Oakmere",        "Cedar Hollow",
                                              "Mariner's Row",  "Willow Bend",    "Chestnut Park",
                                              "Foundry Hill",   "Harbor Point"};
    const std::vector<Field> nbhd_fields = {{"nbhd_id", OFTString, 3}, {"name", OFTString, 0}};
    write_layer(dir / "neighbourhoods.gpkg", "neighbourhoods", 2284, nbhd_fields, neighbourhoods, 1000.0,
                [&](std::size_t i, OGRFeature& f) {
                    f.SetField("nbhd_id", ("N" + zero_padded(int(i) + 1, 2)).c_str());
                    f.SetField("name", names.at(i));
                });
    write_text(dir / "city.toml", city_toml);

    const StreetNetwork net = build_street_network();
    std::vector<std::vector<Point>> lines;
    for (const StreetFeature& f : net.streets) lines.push_back(f.points);
    const std::vector<Field> street_fields = {{"street_id", OFTInteger, 0}, {"name", OFTString, 0}, {"kind", OFTString, 0}};
    write_lines_or_points(dir / "streets.gpkg", "streets", 4326, street_fields, lines, 1e9,
                          [&](std::size_t i, OGRFeature& f) {
                              f.SetField("street_id", int(i) + 1);
                              f.SetField("name", net.streets[i].name.c_str());
                              f.SetField("kind", net.streets[i].kind);
                          });
    std::vector<std::vector<Point>> points;
    for (const Destination& d : net.destinations) points.push_back({d.at});
    const std::vector<Field> destination_fields = {{"dest_id", OFTInteger, 0}, {"name", OFTString, 0}, {"kind", OFTString, 0}};
    write_lines_or_points(dir / "destinations.gpkg", "destinations", 3857, destination_fields, points, 100.0,
                          [&](std::size_t i, OGRFeature& f) {
                              f.SetField("dest_id", int(i) + 1);
                              f.SetField("name", net.destinations[i].name.c_str());
                              f.SetField("kind", net.destinations[i].kind);
                          });
    summary.streets = net.streets.size();
    summary.destinations = net.destinations.size();
    return summary;
}

// ---- comparison ---------------------------------------------------------------------------

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Empty when equal, otherwise what differs.
std::string compare_bytes(const fs::path& a, const fs::path& b) {
    const std::string x = read_bytes(a);
    const std::string y = read_bytes(b);
    if (x == y) return {};
    std::size_t i = 0;
    while (i < x.size() && i < y.size() && x[i] == y[i]) ++i;
    return "bytes differ from offset " + std::to_string(i) + " (sizes " + std::to_string(x.size()) + " and " +
           std::to_string(y.size()) + ")";
}

DatasetPtr open_dataset(const fs::path& path, unsigned int kind) {
    DatasetPtr ds(GDALDataset::Open(path.c_str(), kind | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR));
    if (!ds) fail_gdal(path.string(), "cannot open");
    return ds;
}

// Pixels and georeferencing: says whether differing GeoTIFF bytes still hold the same raster.
std::string compare_raster(const fs::path& a, const fs::path& b) {
    DatasetPtr x = open_dataset(a, GDAL_OF_RASTER);
    DatasetPtr y = open_dataset(b, GDAL_OF_RASTER);
    if (x->GetRasterXSize() != y->GetRasterXSize() || x->GetRasterYSize() != y->GetRasterYSize() ||
        x->GetRasterCount() != y->GetRasterCount()) {
        return "sizes differ";
    }
    std::array<double, 6> tx{}, ty{};
    x->GetGeoTransform(tx.data());
    y->GetGeoTransform(ty.data());
    if (tx != ty) return "geotransforms differ";
    const OGRSpatialReference* sx = x->GetSpatialRef();
    const OGRSpatialReference* sy = y->GetSpatialRef();
    if ((sx == nullptr) != (sy == nullptr) || (sx != nullptr && !sx->IsSame(sy))) return "CRSs differ";
    const int w = x->GetRasterXSize(), h = x->GetRasterYSize();
    std::vector<std::uint8_t> px(std::size_t(w) * std::size_t(h)), py(px.size());
    for (int band = 1; band <= x->GetRasterCount(); ++band) {
        if (x->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, px.data(), w, h, GDT_Byte, 0, 0, nullptr) !=
                CE_None ||
            y->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, py.data(), w, h, GDT_Byte, 0, 0, nullptr) !=
                CE_None) {
            fail_gdal(a.string(), "cannot read the cells");
        }
        std::size_t differ = 0;
        for (std::size_t i = 0; i < px.size(); ++i) differ += px[i] != py[i] ? 1 : 0;
        if (differ != 0) return std::to_string(differ) + " cells differ in band " + std::to_string(band);
    }
    return {};
}

std::vector<unsigned char> wkb_of(const OGRGeometry* g) {
    if (g == nullptr) return {};
    std::vector<unsigned char> wkb(g->WkbSize());
    g->exportToWkb(wkbNDR, wkb.data());
    return wkb;
}

// Layers, CRSs, fields, and every feature's id, attributes and WKB geometry.
std::string compare_vector(const fs::path& a, const fs::path& b) {
    DatasetPtr x = open_dataset(a, GDAL_OF_VECTOR);
    DatasetPtr y = open_dataset(b, GDAL_OF_VECTOR);
    if (x->GetLayerCount() != y->GetLayerCount()) return "layer counts differ";
    for (int l = 0; l < x->GetLayerCount(); ++l) {
        OGRLayer* lx = x->GetLayer(l);
        OGRLayer* ly = y->GetLayer(l);
        const std::string layer = std::string("layer ") + lx->GetName();
        if (std::strcmp(lx->GetName(), ly->GetName()) != 0) return "layer names differ";
        if (lx->GetGeomType() != ly->GetGeomType()) return layer + ": geometry types differ";
        const OGRSpatialReference* sx = lx->GetSpatialRef();
        const OGRSpatialReference* sy = ly->GetSpatialRef();
        if ((sx == nullptr) != (sy == nullptr) || (sx != nullptr && !sx->IsSame(sy))) return layer + ": CRSs differ";
        OGRFeatureDefn* dx = lx->GetLayerDefn();
        OGRFeatureDefn* dy = ly->GetLayerDefn();
        if (dx->GetFieldCount() != dy->GetFieldCount()) return layer + ": field counts differ";
        for (int f = 0; f < dx->GetFieldCount(); ++f) {
            const OGRFieldDefn* fx = dx->GetFieldDefn(f);
            const OGRFieldDefn* fy = dy->GetFieldDefn(f);
            if (std::strcmp(fx->GetNameRef(), fy->GetNameRef()) != 0 || fx->GetType() != fy->GetType() ||
                fx->GetWidth() != fy->GetWidth()) {
                return layer + ": field " + fx->GetNameRef() + " differs";
            }
        }
        if (lx->GetFeatureCount() != ly->GetFeatureCount()) return layer + ": feature counts differ";
        lx->ResetReading();
        ly->ResetReading();
        for (;;) {
            std::unique_ptr<OGRFeature> fx(lx->GetNextFeature());
            std::unique_ptr<OGRFeature> fy(ly->GetNextFeature());
            if (!fx || !fy) {
                if (fx || fy) return layer + ": feature counts differ";
                break;
            }
            const std::string feature = layer + ", feature " + std::to_string(fx->GetFID());
            if (fx->GetFID() != fy->GetFID()) return feature + ": ids differ";
            for (int f = 0; f < dx->GetFieldCount(); ++f) {
                const bool set_x = fx->IsFieldSetAndNotNull(f);
                const bool set_y = fy->IsFieldSetAndNotNull(f);
                bool same = set_x == set_y;
                if (same && set_x) {
                    switch (dx->GetFieldDefn(f)->GetType()) {
                        case OFTInteger: same = fx->GetFieldAsInteger(f) == fy->GetFieldAsInteger(f); break;
                        case OFTInteger64: same = fx->GetFieldAsInteger64(f) == fy->GetFieldAsInteger64(f); break;
                        case OFTReal: same = fx->GetFieldAsDouble(f) == fy->GetFieldAsDouble(f); break;
                        default:
                            same = std::strcmp(fx->GetFieldAsString(f), fy->GetFieldAsString(f)) == 0;
                            break;
                    }
                }
                if (!same) {
                    return feature + ": field " + dx->GetFieldDefn(f)->GetNameRef() + " is " +
                           fx->GetFieldAsString(f) + " and " + fy->GetFieldAsString(f);
                }
            }
            if (wkb_of(fx->GetGeometryRef()) != wkb_of(fy->GetGeometryRef())) return feature + ": geometries differ";
        }
    }
    return {};
}

// Byte comparison for the GeoTIFF and the text files; content comparison for the GeoPackages,
// whose SQLite pages may legitimately differ between SQLite versions.
int compare_dirs(const fs::path& a, const fs::path& b) {
    int differences = 0;
    for (const char* name : output_files) {
        const fs::path pa = a / name, pb = b / name;
        std::string diff;
        if (!fs::exists(pa) || !fs::exists(pb)) {
            diff = "missing in " + (fs::exists(pa) ? b : a).string();
        } else if (fs::path(name).extension() == ".gpkg") {
            diff = compare_vector(pa, pb);
        } else {
            diff = compare_bytes(pa, pb);
            if (!diff.empty() && fs::path(name).extension() == ".tif") {
                const std::string content = compare_raster(pa, pb);
                diff += content.empty() ? "; the pixels and georeferencing are identical" : "; " + content;
            }
        }
        if (diff.empty()) {
            std::cout << name << ": identical\n";
        } else {
            std::cout << name << ": DIFFERENT: " << diff << "\n";
            ++differences;
        }
    }
    return differences == 0 ? 0 : 1;
}

// ---- command line -------------------------------------------------------------------------

const char* const usage =
    "usage: shadegap_sample_city [--overwrite] OUTDIR\n"
    "       shadegap_sample_city --compare DIR1 DIR2\n"
    "Writes the synthetic sample city (landcover.tif, canopy_height.tif, building_height.tif,\n"
    "blocks.gpkg, acs.csv, acs.csvt, neighbourhoods.gpkg, city.toml, streets.gpkg,\n"
    "destinations.gpkg) into OUTDIR, or compares two such folders (exit 0 when they hold\n"
    "the same data).\n";

int write_city(const fs::path& dir, bool overwrite) {
    fs::create_directories(dir);
    std::vector<std::string> existing;
    for (const char* name : output_files) {
        if (fs::exists(dir / name)) existing.push_back(name);
    }
    if (!existing.empty() && !overwrite) {
        std::cerr << "shadegap_sample_city: error: " << (dir / existing.front()).string()
                  << ": exists (use --overwrite to replace the sample city)\n";
        return 1;
    }
    // Written into a scratch folder first, so a failed run leaves no partial file behind.
    const fs::path scratch = dir / ".sample-city-partial";
    fs::remove_all(scratch);
    fs::create_directory(scratch);
    Summary summary;
    try {
        summary = generate(scratch);
        for (const char* name : output_files) fs::rename(scratch / name, dir / name);
        fs::remove_all(scratch);
    } catch (...) {
        std::error_code ignored;
        fs::remove_all(scratch, ignored);
        throw;
    }
    std::cout << "wrote the sample city to " << dir.string() << ": " << summary.blocks << " block groups, "
              << summary.neighbourhoods << " neighbourhoods, canopy " << format_fixed(100 * summary.canopy_west, 1)
              << " % of land in the west half and " << format_fixed(100 * summary.canopy_east, 1)
              << " % in the east half, nodata " << format_fixed(100 * summary.nodata_share, 2) << " % of cells, "
              << summary.streets << " street lines, " << summary.destinations << " destinations\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        GDALAllRegister();
        CPLPushErrorHandler(CPLQuietErrorHandler);
        // Fixed GeoPackage timestamps, so two runs write the same bytes.
        CPLSetConfigOption("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z");
        if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
            std::cout << usage;
            return 0;
        }
        if (args.size() == 3 && args[0] == "--compare") return compare_dirs(args[1], args[2]);
        if (args.size() == 1 && args[0].rfind("--", 0) != 0) return write_city(args[0], false);
        if (args.size() == 2 && args[0] == "--overwrite") return write_city(args[1], true);
        if (args.size() == 2 && args[1] == "--overwrite") return write_city(args[0], true);
        std::cerr << usage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "shadegap_sample_city: error: " << e.what() << "\n";
        return 1;
    }
}
