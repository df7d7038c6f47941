// Residents' walks (`shadegap walks`): the street network, the destinations, each agent's
// route to the nearest destination and the shade on the way. The model: docs/walks.md.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/lines.hpp"
#include "shadegap/raster.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace shadegap::walks {

/// The lines of an OGR layer, in the raster's CRS (the load of --streets).
struct StreetLayer {
    std::string path;
    std::string layer_name;
    std::string crs_name;
    std::vector<Polyline> lines;  ///< one per LineString (a MultiLineString gives several)
    std::size_t features = 0;
    std::size_t skipped = 0;  ///< features without a line (null or empty geometry)
};

/// Reads every line of `layer` (empty: the only one) and transforms it to the raster's CRS.
/// Throws InputError for a missing file or layer, a layer without geometry, a layer of points
/// or polygons, an empty layer; CrsError for a layer without a CRS or a failed transformation.
StreetLayer read_streets(const std::string& path, const std::string& layer, const RasterInfo& raster);

/// The points of an OGR layer, in the raster's CRS (the load of --destinations).
struct DestinationLayer {
    std::string path;
    std::string layer_name;
    std::string crs_name;
    std::vector<LinePoint> points;
    std::vector<std::int64_t> fids;  ///< the features' ids, for the outputs
    std::vector<std::string> kinds;  ///< the kind field's value (empty without a filter)
    std::size_t features = 0;
    std::size_t filtered_out = 0;  ///< features whose kind is not one of the filter's values
};

/// Reads the points of `layer` (a polygon gives its point on surface), keeping those whose
/// field FIELD holds one of the values of `kind_filter` ("FIELD=V1,V2"; empty: all). Throws
/// InputError for a missing file, layer or field, a layer without geometry or of lines, and
/// no point left.
DestinationLayer read_destinations(const std::string& path, const std::string& layer,
                                   const std::string& kind_filter, const RasterInfo& raster);

/// A street edge: the line between two junctions or ends, with its shade.
struct Edge {
    std::uint32_t from = 0;
    std::uint32_t to = 0;
    Polyline line;   ///< from `from` to `to`, raster CRS
    LineShade shade; ///< length, shaded and unknown metres
};

/// The street graph. Nodes are the ends of lines and every vertex that two or more lines
/// (or one line twice) share, to within junction_tolerance; lines that cross without a
/// shared vertex do not meet (bridges).
struct Network {
    std::vector<LinePoint> nodes;
    std::vector<Edge> edges;
    std::size_t zero_length_edges = 0;  ///< edges of length 0, left out
    std::size_t components = 0;         ///< connected parts of the graph
};

/// Nodes the lines (raster CRS); edges carry no shade yet.
Network build_network(const std::vector<Polyline>& lines, double junction_tolerance);

/// The ways of a route's cost: a route costs sun_m × (1 + sun_aversion) + shaded_m.
struct Settings {
    double max_walk_m = 1600;
    double sun_aversion = 0;
    int threads = 1;
    int block_size = 0;  ///< measure_lines' window edge; 0: the raster's blocks
};

/// Where a point meets the network: the nearest point of the nearest edge.
struct Place {
    std::uint32_t edge = 0;
    std::uint32_t segment = 0;  ///< the edge line's segment
    double t = 0;               ///< along the segment, 0–1
    LinePoint point;            ///< on the street
};

/// One agent's walk. walk_m and shaded_m are those of the chosen route, access included.
struct Walk {
    bool reached = false;     ///< a destination within max_walk_m
    double walk_m = 0;        ///< 0 when no destination is reachable at all
    double shaded_m = 0;
    double access_m = 0;      ///< straight from the start to the street
    std::int32_t destination = -1;  ///< index into the destinations; -1: none reachable
};

/// Everything simulate() works out, and what route() draws a route from.
struct Simulation {
    Network network;
    std::vector<Walk> walks;     ///< per agent, routes of least cost
    std::vector<Walk> shortest;  ///< per agent, shortest routes; empty when sun_aversion is 0
    std::vector<double> destination_access_m;  ///< per destination, to its street
    std::size_t components_with_destination = 0;
    /// Places where two edges cross or touch away from a node they share (bridges, or a
    /// layer whose lines are not noded): no junction there.
    std::size_t crossings_without_junction = 0;
    std::size_t agents_in_components_without_destination = 0;
    double street_km = 0;
    double street_shaded_km = 0;
    double street_unknown_km = 0;
    double street_seconds = 0;    ///< network, snapping and measuring
    double search_seconds = 0;    ///< the shortest-path searches
    double agent_seconds = 0;     ///< the agents' choices

    /// The route of agent i (least cost) as a line in the raster's CRS: the start, the
    /// street, the edges, the destination's street point and the destination; empty when
    /// the agent reaches no destination.
    Polyline route(std::size_t i) const;

    // The state route() reads.
    std::vector<LinePoint> agent_starts;
    std::vector<Place> agent_places;
    std::vector<LinePoint> destination_points;
    std::vector<Place> destination_places;
    std::vector<std::int64_t> via;  ///< per node: the edge reached by (≥ 0) or −1 − destination
    struct Choice {
        std::int8_t how = -1;        ///< 0: via the edge's from node, 1: via its to node, 2: a destination on the edge
        std::uint32_t node = 0;
    };
    std::vector<Choice> choices;  ///< per agent, for the least-cost route
};

/// Walks every agent from `starts` (raster CRS) to the destination of least cost over the
/// streets, measuring every line's shade on `raster` through `shade_of` (measure_lines). One
/// multi-source search from all destinations serves every agent (two with sun_aversion above
/// 0: the least-cost and the shortest routes). The same bytes for any thread count. Throws
/// InputError (subject "streets") when no street has a length.
Simulation simulate(const RasterInfo& raster, const ShadeOf& shade_of, const std::vector<Polyline>& streets,
                    const std::vector<LinePoint>& destinations, const std::vector<LinePoint>& starts,
                    const Settings& settings);

}  // namespace shadegap::walks
