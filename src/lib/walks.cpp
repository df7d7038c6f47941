// Residents' walks: reading streets and destinations, the street graph, snapping, one
// multi-source shortest-path search (Boost.Graph) and each agent's choice.
// SPDX-License-Identifier: MIT
#include "shadegap/walks.hpp"

#include "ogr_util.hpp"
#include "shadegap/error.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/property_map/property_map.hpp>
#include <boost/pending/disjoint_sets.hpp>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace shadegap::walks {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BgPoint = bg::model::d2::point_xy<double>;
using BgSegment = bg::model::segment<BgPoint>;
using SegmentValue = std::pair<BgSegment, std::uint64_t>;  // (segment, edge << 32 | segment index)
using SegmentTree = bgi::rtree<SegmentValue, bgi::rstar<16>>;

constexpr double infinity = std::numeric_limits<double>::infinity();

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Throws InputError when the layer has no geometry column (a CSV of attributes): `what` says
/// what the option takes.
void require_geometry(OGRLayer& layer, const std::string& path, const std::string& what) {
    if (layer.GetLayerDefn()->GetGeomFieldCount() > 0) return;
    throw InputError(path, "layer '" + std::string(layer.GetName()) + "' has no geometry (" + what + ")")
        .with_hint("for a CSV of coordinates: ogr2ogr -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -a_srs "
                   "EPSG:4326 out.gpkg " + path);
}

/// The transformation from a layer's CRS to the raster's (detail::transformation_to_raster), or
/// null when they are the same; `crs_name` receives the layer's CRS name.
std::unique_ptr<OGRCoordinateTransformation> transformation_to_raster(OGRLayer& layer, const std::string& path,
                                                                       const RasterInfo& raster,
                                                                       std::string& crs_name) {
    const OGRSpatialReference* layer_srs = layer.GetSpatialRef();
    std::string wkt;
    if (layer_srs) {
        crs_name = detail::srs_name(layer_srs);
        char* text = nullptr;
        layer_srs->exportToWkt(&text);
        wkt = text ? text : "";
        CPLFree(text);
    }
    return detail::transformation_to_raster(wkt, crs_name, layer.GetName(), path, raster);
}

void transform_or_throw(OGRGeometry& geometry, OGRCoordinateTransformation* transform, const std::string& path,
                        GIntBig fid, const RasterInfo& raster) {
    if (!transform) return;
    detail::ErrorCapture capture;
    if (geometry.transform(transform) != OGRERR_NONE)
        throw CrsError(path, fmt::format("feature {} cannot be transformed to the raster's CRS {}{}", fid,
                                         raster.crs_name, capture.message().empty() ? "" : " (" + capture.message() + ")"));
}

Polyline polyline_of(const OGRLineString& line) {
    Polyline points;
    points.reserve(static_cast<std::size_t>(line.getNumPoints()));
    for (int i = 0; i < line.getNumPoints(); ++i) points.push_back({line.getX(i), line.getY(i)});
    return points;
}

/// The lines of a geometry: a LineString, the parts of a MultiLineString or collection.
void collect_lines(const OGRGeometry& geometry, std::vector<Polyline>& out) {
    const OGRwkbGeometryType type = wkbFlatten(geometry.getGeometryType());
    if (type == wkbLineString) {
        out.push_back(polyline_of(*geometry.toLineString()));
    } else if (type == wkbMultiLineString || type == wkbGeometryCollection) {
        for (const OGRGeometry* part : *geometry.toGeometryCollection()) collect_lines(*part, out);
    }
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, separator)) parts.push_back(part);
    return parts;
}

double cost_of(double length_m, double shaded_m, double aversion) {
    const double sun = std::max(0.0, length_m - shaded_m);
    return sun * (1 + aversion) + shaded_m;
}

/// The lengths of a stretch of street, and its cost.
struct Stretch {
    double length_m = 0;
    double shaded_m = 0;
};

Stretch operator-(const Stretch& a, const Stretch& b) {
    return {std::max(0.0, a.length_m - b.length_m), std::max(0.0, a.shaded_m - b.shaded_m)};
}

Stretch stretch_of(const LineShade& shade) {
    return {shade.length_m, shade.shaded_m};
}

/// A network arc of the search graph: an edge one way, or from the search's source to an
/// end of a destination's edge.
struct Arc {
    double cost = 0;
    double length_m = 0;
    double shaded_m = 0;
    std::int64_t via = 0;  ///< the edge, or −1 − destination
};

using Graph = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, Arc, boost::no_property,
                                                 std::uint32_t, std::uint32_t>;

/// Per node of one search: the cost to the nearest destination and that route's length,
/// shade and last arc.
struct Search {
    std::vector<double> cost;
    std::vector<double> length_m;
    std::vector<double> shaded_m;
    std::vector<std::int64_t> via;
    std::vector<std::int32_t> destination;
};

/// Records, on each relaxed arc, the route's length and shade with its cost: Dijkstra relaxes
/// an arc out of a node only once the node's own values are final.
class RouteRecorder : public boost::base_visitor<RouteRecorder> {
public:
    using event_filter = boost::on_edge_relaxed;
    explicit RouteRecorder(Search& search) : m_search(&search) {}
    template <typename E, typename G>
    void operator()(E e, const G& g) {
        const auto u = boost::source(e, g);
        const auto v = boost::target(e, g);
        const Arc& arc = g[e];
        Search& s = *m_search;
        s.length_m[v] = s.length_m[u] + arc.length_m;
        s.shaded_m[v] = s.shaded_m[u] + arc.shaded_m;
        s.via[v] = arc.via;
        s.destination[v] = arc.via < 0 ? static_cast<std::int32_t>(-1 - arc.via) : s.destination[u];
    }

private:
    Search* m_search;
};

/// The measured pieces of a point's way onto the network.
struct Access {
    LineShade access;       ///< start → street point
    LineShade toward_from;  ///< street point → the edge's from node
    LineShade toward_to;    ///< street point → the edge's to node
};

Polyline toward_from_line(const Edge& edge, const Place& place) {
    Polyline line{place.point};
    for (std::int64_t k = place.segment; k >= 0; --k) line.push_back(edge.line[static_cast<std::size_t>(k)]);
    return line;
}

Polyline toward_to_line(const Edge& edge, const Place& place) {
    Polyline line{place.point};
    for (std::size_t k = place.segment + 1; k < edge.line.size(); ++k) line.push_back(edge.line[k]);
    return line;
}

/// Whether place a lies before place b along their edge (nearer its from node).
bool before(const Place& a, const Place& b) {
    return a.segment < b.segment || (a.segment == b.segment && a.t < b.t);
}

/// The street between two places of one edge, from `a` to `b`.
Polyline between(const Edge& edge, const Place& a, const Place& b) {
    Polyline line{a.point};
    if (before(b, a)) {
        for (std::int64_t k = a.segment; k > static_cast<std::int64_t>(b.segment); --k)
            line.push_back(edge.line[static_cast<std::size_t>(k)]);
    } else {
        for (std::size_t k = a.segment + 1; k <= b.segment; ++k) line.push_back(edge.line[k]);
    }
    line.push_back(b.point);
    return line;
}

class Snapper {
public:
    explicit Snapper(const Network& network) : m_network(&network) {
        std::vector<SegmentValue> values;
        for (std::size_t e = 0; e < network.edges.size(); ++e) {
            const Polyline& line = network.edges[e].line;
            for (std::size_t k = 0; k + 1 < line.size(); ++k) {
                if (line[k].x == line[k + 1].x && line[k].y == line[k + 1].y) continue;
                values.emplace_back(BgSegment({line[k].x, line[k].y}, {line[k + 1].x, line[k + 1].y}),
                                    (static_cast<std::uint64_t>(e) << 32) | k);
            }
        }
        m_tree = SegmentTree(values.begin(), values.end());
    }

    /// Pairs of segments of different edges that cross or touch away from a node the two
    /// edges share: places where lines cross without a junction (bridges, or lines not noded).
    std::size_t crossings_without_junction() const {
        std::size_t count = 0;
        std::vector<SegmentValue> found;
        for (const SegmentValue& value : m_tree) {
            found.clear();
            m_tree.query(bgi::intersects(value.first), std::back_inserter(found));
            const auto edge = static_cast<std::uint32_t>(value.second >> 32);
            const Edge& a = m_network->edges[edge];
            for (const SegmentValue& other : found) {
                if (other.second <= value.second) continue;  // each pair once
                const auto other_edge = static_cast<std::uint32_t>(other.second >> 32);
                if (other_edge == edge) continue;
                const Edge& b = m_network->edges[other_edge];
                // Where they meet: a crossing at a node both edges have is a junction.
                std::vector<BgPoint> meet;
                bg::intersection(value.first, other.first, meet);
                bool at_shared_node = false;
                for (const BgPoint& p : meet)
                    for (const std::uint32_t node : {a.from, a.to})
                        if ((node == b.from || node == b.to) && m_network->nodes[node].x == p.x() &&
                            m_network->nodes[node].y == p.y())
                            at_shared_node = true;
                if (!at_shared_node) ++count;
            }
        }
        return count;
    }

    /// The nearest point of the nearest edge; ties go to the lowest edge and segment.
    Place snap(const LinePoint& p) const {
        std::vector<SegmentValue> found;
        m_tree.query(bgi::nearest(BgPoint(p.x, p.y), 4), std::back_inserter(found));
        Place best;
        double best_d2 = infinity;
        std::uint64_t best_key = std::numeric_limits<std::uint64_t>::max();
        for (const SegmentValue& value : found) {
            const auto edge = static_cast<std::uint32_t>(value.second >> 32);
            const auto segment = static_cast<std::uint32_t>(value.second & 0xffffffffu);
            const LinePoint& a = m_network->edges[edge].line[segment];
            const LinePoint& b = m_network->edges[edge].line[segment + 1];
            const double dx = b.x - a.x;
            const double dy = b.y - a.y;
            double t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy);
            t = std::clamp(t, 0.0, 1.0);
            const LinePoint q{a.x + t * dx, a.y + t * dy};
            const double d2 = (p.x - q.x) * (p.x - q.x) + (p.y - q.y) * (p.y - q.y);
            if (d2 < best_d2 || (d2 == best_d2 && value.second < best_key)) {
                best_d2 = d2;
                best_key = value.second;
                best = {edge, segment, t, q};
            }
        }
        return best;
    }

private:
    const Network* m_network;
    SegmentTree m_tree;
};

/// One multi-source search from every destination, costs with `aversion`.
Search search(const Network& network, const std::vector<Place>& places, const std::vector<Access>& access,
              double aversion) {
    const auto n = static_cast<std::uint32_t>(network.nodes.size());
    const std::uint32_t source = n;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ends;
    std::vector<Arc> arcs;
    ends.reserve(network.edges.size() * 2 + places.size() * 2);
    arcs.reserve(ends.capacity());
    for (std::size_t e = 0; e < network.edges.size(); ++e) {
        const Edge& edge = network.edges[e];
        const Arc arc{cost_of(edge.shade.length_m, edge.shade.shaded_m, aversion), edge.shade.length_m,
                      edge.shade.shaded_m, static_cast<std::int64_t>(e)};
        ends.emplace_back(edge.from, edge.to);
        arcs.push_back(arc);
        ends.emplace_back(edge.to, edge.from);
        arcs.push_back(arc);
    }
    for (std::size_t d = 0; d < places.size(); ++d) {
        const Edge& edge = network.edges[places[d].edge];
        const std::int64_t via = -1 - static_cast<std::int64_t>(d);
        for (const auto& [node, piece] : {std::pair<std::uint32_t, const LineShade*>{edge.from, &access[d].toward_from},
                                          std::pair<std::uint32_t, const LineShade*>{edge.to, &access[d].toward_to}}) {
            const double length = access[d].access.length_m + piece->length_m;
            const double shaded = access[d].access.shaded_m + piece->shaded_m;
            ends.emplace_back(source, node);
            arcs.push_back({cost_of(length, shaded, aversion), length, shaded, via});
        }
    }
    const Graph graph(boost::edges_are_unsorted_multi_pass, ends.begin(), ends.end(), arcs.begin(), n + 1);

    Search s;
    s.cost.assign(n + 1, infinity);
    s.length_m.assign(n + 1, 0.0);
    s.shaded_m.assign(n + 1, 0.0);
    s.via.assign(n + 1, 0);
    s.destination.assign(n + 1, -1);
    std::vector<std::uint32_t> predecessor(n + 1);
    const auto index = boost::get(boost::vertex_index, graph);
    boost::dijkstra_shortest_paths(
        graph, source,
        boost::weight_map(boost::get(&Arc::cost, graph))
            .distance_map(boost::make_iterator_property_map(s.cost.begin(), index))
            .predecessor_map(boost::make_iterator_property_map(predecessor.begin(), index))
            .visitor(boost::make_dijkstra_visitor(RouteRecorder(s))));
    return s;
}

/// An agent's best choice in one search.
struct Chosen {
    double cost = infinity;
    Stretch street;  ///< from the street point to the destination, its access included
    std::int32_t destination = -1;
    Simulation::Choice choice;
};

}  // namespace

StreetLayer read_streets(const std::string& path, const std::string& layer_name, const RasterInfo& raster) {
    StreetLayer out;
    out.path = path;
    GDALDatasetUniquePtr dataset = detail::open_vector(path);
    OGRLayer* layer = detail::find_layer(*dataset, path, layer_name);
    out.layer_name = layer->GetName();
    require_geometry(*layer, path, key_text("streets") + " takes the street or sidewalk centre lines");
    const OGRwkbGeometryType declared = wkbFlatten(layer->GetGeomType());
    if (declared != wkbUnknown && declared != wkbLineString && declared != wkbMultiLineString &&
        declared != wkbGeometryCollection)
        throw InputError(path, fmt::format("layer '{}' holds {} geometries, not lines ({} takes the street or "
                                           "sidewalk centre lines)",
                                           out.layer_name, OGRGeometryTypeToName(declared), key_text("streets")));
    const auto transform = transformation_to_raster(*layer, path, raster, out.crs_name);
    layer->ResetReading();
    for (auto& feature : *layer) {
        ++out.features;
        OGRGeometry* geometry = feature->GetGeometryRef();
        if (!geometry || geometry->IsEmpty()) {
            ++out.skipped;
            continue;
        }
        const OGRwkbGeometryType type = wkbFlatten(geometry->getGeometryType());
        if (type != wkbLineString && type != wkbMultiLineString && type != wkbGeometryCollection)
            throw InputError(path, fmt::format("feature {} is a {}, not a line ({} takes the street or "
                                               "sidewalk centre lines)",
                                               feature->GetFID(), OGRGeometryTypeToName(type), key_text("streets")));
        geometry->flattenTo2D();
        transform_or_throw(*geometry, transform.get(), path, feature->GetFID(), raster);
        const std::size_t before_count = out.lines.size();
        collect_lines(*geometry, out.lines);
        if (out.lines.size() == before_count) ++out.skipped;
    }
    if (out.lines.empty())
        throw InputError(path, fmt::format("layer '{}' holds no line ({} features)", out.layer_name, out.features));
    return out;
}

DestinationLayer read_destinations(const std::string& path, const std::string& layer_name,
                                   const std::string& kind_filter, const RasterInfo& raster) {
    DestinationLayer out;
    out.path = path;
    GDALDatasetUniquePtr dataset = detail::open_vector(path);
    OGRLayer* layer = detail::find_layer(*dataset, path, layer_name);
    out.layer_name = layer->GetName();
    require_geometry(*layer, path, key_text("destinations") + " takes points");
    const OGRwkbGeometryType declared = wkbFlatten(layer->GetGeomType());
    if (declared == wkbLineString || declared == wkbMultiLineString)
        throw InputError(path, fmt::format("layer '{}' holds lines, not points ({} takes schools, stops, parks as points)",
                                           out.layer_name, key_text("destinations")));
    std::string field;
    std::set<std::string> values;
    int field_index = -1;
    if (!kind_filter.empty()) {
        const auto equals = kind_filter.find('=');
        field = kind_filter.substr(0, equals);
        for (const std::string& value : split(kind_filter.substr(equals + 1), ',')) values.insert(value);
        field_index = layer->GetLayerDefn()->GetFieldIndex(field.c_str());
        if (field_index < 0) {
            std::string fields;
            for (int i = 0; i < layer->GetLayerDefn()->GetFieldCount(); ++i)
                fields += (i ? ", " : "") + std::string(layer->GetLayerDefn()->GetFieldDefn(i)->GetNameRef());
            throw InputError(path, fmt::format("no field '{}' for {} (fields: {})", field, key_text("destination_kind"), fields));
        }
    }
    const auto transform = transformation_to_raster(*layer, path, raster, out.crs_name);
    layer->ResetReading();
    for (auto& feature : *layer) {
        ++out.features;
        std::string kind;
        if (field_index >= 0) {
            kind = feature->IsFieldSetAndNotNull(field_index) ? feature->GetFieldAsString(field_index) : "";
            if (!values.count(kind)) {
                ++out.filtered_out;
                continue;
            }
        }
        OGRGeometry* geometry = feature->GetGeometryRef();
        if (!geometry || geometry->IsEmpty()) continue;
        geometry->flattenTo2D();
        transform_or_throw(*geometry, transform.get(), path, feature->GetFID(), raster);
        const OGRwkbGeometryType type = wkbFlatten(geometry->getGeometryType());
        std::vector<LinePoint> points;
        if (type == wkbPoint) {
            points.push_back({geometry->toPoint()->getX(), geometry->toPoint()->getY()});
        } else if (type == wkbMultiPoint) {
            for (const OGRPoint* point : *geometry->toMultiPoint()) points.push_back({point->getX(), point->getY()});
        } else if (type == wkbPolygon || type == wkbMultiPolygon) {
            const OGRGeometryH inside = OGR_G_PointOnSurface(OGRGeometry::ToHandle(geometry));
            if (inside) {
                points.push_back({OGR_G_GetX(inside, 0), OGR_G_GetY(inside, 0)});
                OGR_G_DestroyGeometry(inside);
            }
        } else {
            throw InputError(path, fmt::format("feature {} is a {}, not a point ({} takes points)",
                                               feature->GetFID(), OGRGeometryTypeToName(type), key_text("destinations")));
        }
        for (const LinePoint& point : points) {
            out.points.push_back(point);
            out.fids.push_back(feature->GetFID());
            out.kinds.push_back(kind);
        }
    }
    if (out.points.empty()) {
        if (out.filtered_out > 0)
            throw InputError(path, fmt::format("no destination has {} (of {} features)", kind_filter, out.features));
        throw InputError(path, fmt::format("layer '{}' holds no destination point ({} features)", out.layer_name,
                                           out.features));
    }
    return out;
}

Network build_network(const std::vector<Polyline>& lines, double junction_tolerance) {
    // Each vertex's key on a lattice of junction_tolerance: vertices with one key are one place.
    using Key = std::pair<std::int64_t, std::int64_t>;
    const auto key_of = [junction_tolerance](const LinePoint& p) {
        return Key{std::llround(p.x / junction_tolerance), std::llround(p.y / junction_tolerance)};
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return std::hash<std::int64_t>()(k.first * 0x9E3779B97F4A7C15LL ^ k.second);
        }
    };
    // How many times each place is a vertex (of any line, or twice of one).
    std::unordered_map<Key, std::uint32_t, KeyHash> uses;
    for (const Polyline& line : lines)
        for (const LinePoint& p : line) ++uses[key_of(p)];

    Network network;
    std::unordered_map<Key, std::uint32_t, KeyHash> node_of;
    const auto node = [&](const LinePoint& p) {
        const auto [it, added] = node_of.emplace(key_of(p), static_cast<std::uint32_t>(network.nodes.size()));
        if (added) network.nodes.push_back(p);
        return it->second;
    };
    for (const Polyline& line : lines) {
        if (line.size() < 2) continue;
        Edge edge;
        edge.from = node(line.front());
        edge.line.push_back(network.nodes[edge.from]);
        for (std::size_t k = 1; k < line.size(); ++k) {
            const bool last = k + 1 == line.size();
            if (!last && uses.at(key_of(line[k])) < 2) {
                edge.line.push_back(line[k]);
                continue;
            }
            edge.to = node(line[k]);
            edge.line.push_back(network.nodes[edge.to]);
            network.edges.push_back(edge);
            edge = Edge{};
            edge.from = network.edges.back().to;
            edge.line.push_back(network.nodes[edge.from]);
        }
    }
    return network;
}

Simulation simulate(const RasterInfo& raster, const ShadeOf& shade_of, const std::vector<Polyline>& streets,
                    const std::vector<LinePoint>& destinations, const std::vector<LinePoint>& starts,
                    const Settings& settings) {
    Simulation sim;
    auto clock = std::chrono::steady_clock::now();
    const int threads = std::max(1, settings.threads);
    const double tolerance = raster.geographic ? 1e-8 : 0.001 / raster.linear_unit_m;  // about 1 mm

    // The network; edges of length 0 (every point the same) left out. Edges are measured
    // below, with the ways onto them: one pass over the raster.
    {
        Network noded = build_network(streets, tolerance);
        sim.network.nodes = std::move(noded.nodes);
        for (Edge& edge : noded.edges) {
            const bool has_length = std::any_of(edge.line.begin(), edge.line.end(), [&edge](const LinePoint& p) {
                return p.x != edge.line.front().x || p.y != edge.line.front().y;
            });
            if (!has_length) {
                ++sim.network.zero_length_edges;
                continue;
            }
            sim.network.edges.push_back(std::move(edge));
        }
    }
    if (sim.network.edges.empty()) throw InputError("streets", "no street has a length");
    Network& network = sim.network;

    // Components (connected parts) of the streets.
    std::vector<std::uint32_t> rank(network.nodes.size());
    std::vector<std::uint32_t> parent(network.nodes.size());
    const auto rank_map = boost::make_iterator_property_map(rank.begin(), boost::identity_property_map());
    const auto parent_map = boost::make_iterator_property_map(parent.begin(), boost::identity_property_map());
    boost::disjoint_sets<decltype(rank_map), decltype(parent_map)> parts(rank_map, parent_map);
    for (std::uint32_t v = 0; v < network.nodes.size(); ++v) parts.make_set(v);
    for (const Edge& edge : network.edges) parts.union_set(edge.from, edge.to);
    std::vector<std::uint32_t> component(network.nodes.size());
    {
        std::map<std::uint32_t, std::uint32_t> numbers;
        for (std::uint32_t v = 0; v < network.nodes.size(); ++v) {
            const std::uint32_t root = parts.find_set(v);
            component[v] = numbers.emplace(root, static_cast<std::uint32_t>(numbers.size())).first->second;
        }
        network.components = numbers.size();
    }

    // Destinations and agents onto the streets; every piece of their way measured at once.
    const Snapper snapper(network);
    sim.crossings_without_junction = snapper.crossings_without_junction();
    const std::size_t nd = destinations.size();
    const std::size_t na = starts.size();
    sim.destination_points = destinations;
    sim.agent_starts = starts;
    sim.destination_places.resize(nd);
    sim.agent_places.resize(na);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(nd); ++i)
        sim.destination_places[static_cast<std::size_t>(i)] = snapper.snap(destinations[static_cast<std::size_t>(i)]);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(na); ++i)
        sim.agent_places[static_cast<std::size_t>(i)] = snapper.snap(starts[static_cast<std::size_t>(i)]);
    std::vector<Polyline> pieces((nd + na) * 3);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(nd + na); ++i) {
        const auto k = static_cast<std::size_t>(i);
        const LinePoint& start = k < nd ? destinations[k] : starts[k - nd];
        const Place& place = k < nd ? sim.destination_places[k] : sim.agent_places[k - nd];
        const Edge& edge = network.edges[place.edge];
        pieces[3 * k] = {start, place.point};
        pieces[3 * k + 1] = toward_from_line(edge, place);
        pieces[3 * k + 2] = toward_to_line(edge, place);
    }
    // Every edge, then the pieces, measured in one call (each raster block read once).
    const std::size_t ne = network.edges.size();
    pieces.reserve(pieces.size() + ne);
    for (const Edge& edge : network.edges) pieces.push_back(edge.line);
    std::vector<LineShade> measured = measure_lines(raster, shade_of, pieces, threads, settings.block_size);
    pieces.clear();
    pieces.shrink_to_fit();
    for (std::size_t e = 0; e < ne; ++e) {
        const LineShade& shade = measured[3 * (nd + na) + e];
        network.edges[e].shade = shade;
        sim.street_km += shade.length_m / 1000;
        sim.street_shaded_km += shade.shaded_m / 1000;
        sim.street_unknown_km += shade.unknown_m / 1000;
    }
    std::vector<Access> access(nd + na);
    for (std::size_t k = 0; k < nd + na; ++k) access[k] = {measured[3 * k], measured[3 * k + 1], measured[3 * k + 2]};
    const std::vector<Access> destination_access(access.begin(), access.begin() + static_cast<std::ptrdiff_t>(nd));
    sim.destination_access_m.resize(nd);
    for (std::size_t d = 0; d < nd; ++d) sim.destination_access_m[d] = access[d].access.length_m;

    std::vector<bool> has_destination(network.components, false);
    for (const Place& place : sim.destination_places) has_destination[component[network.edges[place.edge].from]] = true;
    sim.components_with_destination = static_cast<std::size_t>(std::count(has_destination.begin(), has_destination.end(), true));
    // The destinations on each edge, in index order.
    std::unordered_map<std::uint32_t, std::vector<std::int32_t>> on_edge;
    for (std::size_t d = 0; d < nd; ++d) on_edge[sim.destination_places[d].edge].push_back(static_cast<std::int32_t>(d));
    sim.street_seconds = seconds_since(clock);

    // The searches: least cost, and the shortest when shade-seeking.
    clock = std::chrono::steady_clock::now();
    const Search by_cost = search(network, sim.destination_places, destination_access, settings.sun_aversion);
    Search by_length;
    if (settings.sun_aversion > 0) by_length = search(network, sim.destination_places, destination_access, 0.0);
    sim.via = by_cost.via;
    sim.search_seconds = seconds_since(clock);

    // Each agent: through either end of its edge, or straight to a destination on the edge.
    clock = std::chrono::steady_clock::now();
    const auto choose = [&](std::size_t i, const Search& s, double aversion) {
        const Place& place = sim.agent_places[i];
        const Access& a = access[nd + i];
        const Edge& edge = network.edges[place.edge];
        Chosen best;
        const auto consider = [&](double cost, Stretch street, std::int32_t destination, Simulation::Choice choice) {
            if (cost < best.cost) best = {cost, street, destination, choice};
        };
        const auto through = [&](std::uint32_t node, const LineShade& piece, std::int8_t how) {
            if (!std::isfinite(s.cost[node])) return;
            consider(cost_of(piece.length_m, piece.shaded_m, aversion) + s.cost[node],
                     {piece.length_m + s.length_m[node], piece.shaded_m + s.shaded_m[node]}, s.destination[node],
                     {how, node});
        };
        through(edge.from, a.toward_from, 0);
        through(edge.to, a.toward_to, 1);
        const auto here = on_edge.find(place.edge);
        if (here != on_edge.end()) {
            for (const std::int32_t d : here->second) {
                const Place& other = sim.destination_places[static_cast<std::size_t>(d)];
                const Access& b = destination_access[static_cast<std::size_t>(d)];
                const Stretch along = before(other, place) ? stretch_of(a.toward_from) - stretch_of(b.toward_from)
                                                           : stretch_of(a.toward_to) - stretch_of(b.toward_to);
                const Stretch street{along.length_m + b.access.length_m, along.shaded_m + b.access.shaded_m};
                consider(cost_of(street.length_m, street.shaded_m, aversion), street, d,
                         {2, static_cast<std::uint32_t>(d)});
            }
        }
        return best;
    };
    const auto walk_of = [&](std::size_t i, const Chosen& chosen) {
        Walk walk;
        walk.access_m = access[nd + i].access.length_m;
        if (chosen.destination < 0) return walk;
        walk.destination = chosen.destination;
        walk.walk_m = walk.access_m + chosen.street.length_m;
        walk.shaded_m = access[nd + i].access.shaded_m + chosen.street.shaded_m;
        walk.reached = walk.walk_m <= settings.max_walk_m;
        return walk;
    };
    sim.walks.resize(na);
    sim.choices.resize(na);
    if (settings.sun_aversion > 0) sim.shortest.resize(na);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(na); ++k) {
        const auto i = static_cast<std::size_t>(k);
        const Chosen chosen = choose(i, by_cost, settings.sun_aversion);
        sim.walks[i] = walk_of(i, chosen);
        sim.choices[i] = chosen.choice;
        if (settings.sun_aversion > 0) sim.shortest[i] = walk_of(i, choose(i, by_length, 0.0));
    }
    for (std::size_t i = 0; i < na; ++i)
        if (!has_destination[component[network.edges[sim.agent_places[i].edge].from]])
            ++sim.agents_in_components_without_destination;
    sim.agent_seconds = seconds_since(clock);
    return sim;
}

Polyline Simulation::route(std::size_t i) const {
    const Choice& choice = choices[i];
    if (choice.how < 0) return {};
    const Place& place = agent_places[i];
    const Edge& edge = network.edges[place.edge];
    Polyline line{agent_starts[i]};
    const auto append = [&line](const Polyline& piece) {
        for (const LinePoint& p : piece)
            if (line.empty() || line.back().x != p.x || line.back().y != p.y) line.push_back(p);
    };
    if (choice.how == 2) {
        append(between(edge, place, destination_places[choice.node]));
        append({destination_points[choice.node]});
        return line;
    }
    append(choice.how == 0 ? toward_from_line(edge, place) : toward_to_line(edge, place));
    std::uint32_t node = choice.node;
    for (std::size_t steps = 0; steps <= network.edges.size(); ++steps) {
        const std::int64_t arc = via[node];
        if (arc < 0) {
            const auto d = static_cast<std::size_t>(-1 - arc);
            const Place& end = destination_places[d];
            const Edge& last = network.edges[end.edge];
            Polyline piece = node == last.from ? toward_from_line(last, end) : toward_to_line(last, end);
            std::reverse(piece.begin(), piece.end());
            append(piece);
            append({destination_points[d]});
            return line;
        }
        const Edge& step = network.edges[static_cast<std::size_t>(arc)];
        if (step.from == node) {
            append(step.line);
            node = step.to;
        } else {
            append(Polyline(step.line.rbegin(), step.line.rend()));
            node = step.from;
        }
    }
    return line;  // not reached: the routes form a tree rooted at the destinations
}

}  // namespace shadegap::walks
