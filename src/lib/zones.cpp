// Zones: polygon layers read through OGR and aligned to the raster's CRS.
// SPDX-License-Identifier: MIT
#include "shadegap/zones.hpp"

#include "ogr_util.hpp"

#include <geodesic.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace shadegap {

namespace {

std::string join_names(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
}

int field_index(OGRFeatureDefn& definition, const std::string& path, const std::string& field) {
    const int index = definition.GetFieldIndex(field.c_str());
    if (index < 0) {
        std::vector<std::string> names;
        for (int i = 0; i < definition.GetFieldCount(); ++i)
            names.emplace_back(definition.GetFieldDefn(i)->GetNameRef());
        throw InputError(path, "field '" + field + "' not found (fields: " + join_names(names) + ")");
    }
    return index;
}

/// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(const std::string& text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c >= 0xE0 && c <= 0xEF) length = 3, low = c == 0xE0 ? 0xA0 : 0x80, high = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) length = 4, low = c == 0xF0 ? 0x90 : 0x80, high = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return length;
}

/// Text as read from a layer, made valid UTF-8 for the outputs: each byte that is not
/// part of a valid sequence becomes U+FFFD. `escaped` shows those bytes as \xHH.
std::string to_valid_utf8(const std::string& text, std::string& escaped) {
    std::string out;
    escaped.clear();
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned char>(text[i]));
            out += "\xEF\xBF\xBD";
            escaped += hex;
            ++i;
        } else {
            out.append(text, i, length);
            escaped.append(text, i, length);
            i += length;
        }
    }
    return out;
}

/// Counts the values of one field that were not valid UTF-8, for one warning per field.
struct EncodingReport {
    std::size_t count = 0;
    std::string first_unit;
    std::string first_value;  ///< escaped
};

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

/// Closes every ring whose last point is not its first; true when one was open.
bool close_open_rings(OGRGeometry& geometry) {
    const auto type = wkbFlatten(geometry.getGeometryType());
    bool closed = false;
    if (type == wkbPolygon) {
        for (auto* ring : *geometry.toPolygon()) {
            if (ring->getNumPoints() > 0 && !ring->get_IsClosed()) {
                ring->closeRings();
                closed = true;
            }
        }
    } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
        for (auto* part : *geometry.toGeometryCollection()) closed = close_open_rings(*part) || closed;
    }
    return closed;
}

}  // namespace

std::optional<double> parse_number(const std::string& text, bool& ok) {
    ok = true;
    const std::string t = trim(text);
    if (t.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(value)) {
        ok = false;
        return std::nullopt;
    }
    return value;
}

std::vector<std::string> layer_field_names(const std::string& path, const std::string& layer_name) {
    auto dataset = detail::open_vector(path);
    OGRLayer* layer = detail::find_layer(*dataset, path, layer_name);
    std::vector<std::string> names;
    auto* definition = layer->GetLayerDefn();
    for (int i = 0; i < definition->GetFieldCount(); ++i)
        names.emplace_back(definition->GetFieldDefn(i)->GetNameRef());
    return names;
}

ZoneLayer read_zone_layer(const LayerRequest& request, Diagnostics& diagnostics) {
    const std::string& path = request.path;
    auto dataset = detail::open_vector(path);
    OGRLayer* layer = detail::find_layer(*dataset, path, request.layer);
    OGRFeatureDefn& definition = *layer->GetLayerDefn();

    ZoneLayer out;
    out.path = path;
    out.layer_name = layer->GetName();
    if (const OGRSpatialReference* srs = layer->GetSpatialRef()) {
        char* wkt = nullptr;
        srs->exportToWkt(&wkt);
        out.crs_wkt = wkt != nullptr ? wkt : "";
        CPLFree(wkt);
        out.crs_name = detail::srs_name(srs);
    }

    const int id_index = field_index(definition, path, request.id_field);
    const int name_index = request.name_field.empty() ? -1 : field_index(definition, path, request.name_field);
    std::vector<int> numeric_index;
    for (const auto& f : request.numeric_fields) {
        numeric_index.push_back(field_index(definition, path, f));
        out.numbers[f];
    }
    std::vector<int> text_index;
    for (const auto& f : request.text_fields) {
        text_index.push_back(field_index(definition, path, f));
        out.texts[f];
        out.text_field_types[f] = OGRFieldDefn::GetFieldTypeName(definition.GetFieldDefn(text_index.back())->GetType());
    }

    // Outputs must be UTF-8 whatever the layer holds: GDAL converts from the layer's
    // declared encoding; bytes that are still not UTF-8 are replaced, with a warning.
    std::map<std::string, EncodingReport> encoding_reports;
    const auto text_of = [&](OGRFeature& feature, int index, const std::string& field_name, const std::string& unit) {
        const std::string raw = feature.GetFieldAsString(index);
        std::string escaped;
        std::string text = to_valid_utf8(raw, escaped);
        if (text != raw) {
            EncodingReport& report = encoding_reports[field_name];
            if (report.count++ == 0) {
                report.first_unit = unit.empty() ? text : unit;
                report.first_value = escaped;
            }
        }
        return text;
    };

    std::set<std::string> seen;
    detail::ErrorCapture capture;
    layer->ResetReading();
    for (auto& feature : *layer) {
        if (!feature->IsFieldSetAndNotNull(id_index))
            throw InputError(path, "feature " + std::to_string(feature->GetFID()) + " has no value in id field '" +
                                       request.id_field + "'");
        std::string id = text_of(*feature, id_index, request.id_field, "");
        if (!seen.insert(id).second)
            throw InputError(path, "duplicate id '" + id + "' in field '" + request.id_field + "'")
                .with_hint("choose a field whose values are unique");

        const OGRGeometry* geometry = feature->GetGeometryRef();
        if (geometry == nullptr || geometry->IsEmpty()) {
            diagnostics.warn("geometry-missing", path, "unit '" + id + "' has no geometry; it is left out");
            continue;
        }
        std::unique_ptr<OGRGeometry> linear(OGR_GT_IsNonLinear(geometry->getGeometryType())
                                                ? geometry->getLinearGeometry()
                                                : geometry->clone());
        linear->flattenTo2D();
        const auto type = wkbFlatten(linear->getGeometryType());
        if (type != wkbPolygon && type != wkbMultiPolygon && type != wkbGeometryCollection)
            throw InputError(path, "unit '" + id + "' is a " + std::string(OGRGeometryTypeToName(type)) +
                                       "; polygons are expected");

        out.ids.push_back(id);
        out.names.push_back(name_index >= 0 ? text_of(*feature, name_index, request.name_field, id) : id);
        out.wkb.push_back(detail::to_wkb(*linear));
        for (std::size_t k = 0; k < numeric_index.size(); ++k) {
            const int index = numeric_index[k];
            std::optional<double> value;
            if (feature->IsFieldSetAndNotNull(index)) {
                const auto field_type = definition.GetFieldDefn(index)->GetType();
                if (field_type == OFTInteger || field_type == OFTInteger64 || field_type == OFTReal) {
                    value = feature->GetFieldAsDouble(index);
                } else {
                    bool ok = false;
                    const std::string text = feature->GetFieldAsString(index);
                    value = parse_number(text, ok);
                    if (!ok)
                        throw InputError(path, "field '" + request.numeric_fields[k] + "' of unit '" + id +
                                                   "': '" + text + "' is not a number");
                }
            }
            out.numbers[request.numeric_fields[k]].push_back(value);
        }
        for (std::size_t k = 0; k < text_index.size(); ++k) {
            const int index = text_index[k];
            std::optional<std::string> value;
            if (feature->IsFieldSetAndNotNull(index)) value = text_of(*feature, index, request.text_fields[k], id);
            out.texts[request.text_fields[k]].push_back(value);
        }
    }
    if (out.ids.empty()) throw InputError(path, "layer '" + out.layer_name + "' has no polygon feature");
    for (const auto& [field_name, report] : encoding_reports) {
        const std::string values = report.count == 1 ? "" : " and " + std::to_string(report.count - 1) + " more";
        diagnostics.warn("text-encoding", path,
                         "field '" + field_name + "' of unit '" + report.first_unit + "' is not valid UTF-8 ('" +
                             report.first_value + "')" + values +
                             "; the invalid bytes are replaced by U+FFFD (declare the layer's encoding, e.g. in a "
                             ".cpg file, or convert it with ogr2ogr -oo ENCODING=...)");
    }
    return out;
}

double area_m2(const std::vector<unsigned char>& wkb, const RasterInfo& raster) {
    const auto geometry = detail::from_wkb(wkb);
    if (!geometry) return 0;
    if (!raster.geographic) {
        return planar_area(detail::to_multipolygon(*geometry)) * raster.linear_unit_m * raster.linear_unit_m;
    }
    const auto srs = detail::srs_from_wkt(raster.crs_wkt);
    double a = 6378137.0;
    double inverse_f = 298.257223563;
    if (srs) {
        a = srs->GetSemiMajor();
        inverse_f = srs->GetInvFlattening();
    }
    geod_geodesic geodesic{};
    geod_init(&geodesic, a, inverse_f > 0 ? 1.0 / inverse_f : 0.0);
    const auto ring_area = [&](const Ring& ring) {
        std::vector<double> lats, lons;
        for (const auto& p : ring) {
            lons.push_back(p.x);
            lats.push_back(p.y);
        }
        if (lats.size() > 1 && lats.front() == lats.back() && lons.front() == lons.back()) {
            lats.pop_back();
            lons.pop_back();
        }
        double area = 0;
        geod_polygonarea(&geodesic, lats.data(), lons.data(), static_cast<int>(lats.size()), &area, nullptr);
        return std::abs(area);
    };
    double total = 0;
    for (const auto& polygon : detail::to_multipolygon(*geometry)) {
        total += ring_area(polygon.shell);
        for (const auto& hole : polygon.holes) total -= ring_area(hole);
    }
    return total;
}

AlignedZones align_zones(const ZoneLayer& layer, const RasterInfo& raster, Diagnostics& diagnostics) {
    const std::unique_ptr<OGRCoordinateTransformation> transform =
        detail::transformation_to_raster(layer.crs_wkt, layer.crs_name, layer.layer_name, layer.path, raster);

    // The raster's extent, to measure what part of each polygon lies on it.
    const Grid& grid = raster.grid;
    OGRPolygon extent;
    {
        OGRLinearRing ring;
        ring.addPoint(grid.x_min, grid.y_min());
        ring.addPoint(grid.x_max(), grid.y_min());
        ring.addPoint(grid.x_max(), grid.y_max);
        ring.addPoint(grid.x_min, grid.y_max);
        ring.addPoint(grid.x_min, grid.y_min());
        extent.addRing(&ring);
    }
    OGREnvelope extent_box;
    extent.getEnvelope(&extent_box);

    AlignedZones out;
    out.polygons.reserve(layer.size());
    for (std::size_t i = 0; i < layer.size(); ++i) {
        auto geometry = detail::from_wkb(layer.wkb[i]);
        if (!geometry) throw GeometryError(layer.path, "unit '" + layer.ids[i] + "' has an unreadable geometry");
        if (transform) {
            detail::ErrorCapture capture;
            if (geometry->transform(transform.get()) != OGRERR_NONE)
                throw CrsError(layer.path, "unit '" + layer.ids[i] + "' cannot be transformed to the raster's CRS " +
                                               raster.crs_name + (capture.message().empty() ? "" : " (" + capture.message() + ")"));
        }
        {
            detail::ErrorCapture capture;
            if (close_open_rings(*geometry))
                diagnostics.warn("geometry-repaired", layer.path,
                                 "unit '" + layer.ids[i] + "' had a ring that was not closed; closed");
            if (!geometry->IsValid()) {
                // STRUCTURE unions the shells and subtracts the holes: overlapping parts
                // count once and a hole outside its shell removes nothing. The default
                // (LINEWORK) would turn both into areas of the even-odd rule instead.
                const char* const options[] = {"METHOD=STRUCTURE", nullptr};
                std::unique_ptr<OGRGeometry> repaired(geometry->MakeValid(options));
                if (!repaired)
                    throw GeometryError(layer.path, "unit '" + layer.ids[i] + "' has an invalid geometry that cannot be repaired");
                geometry = detail::polygonal_part(std::move(repaired));
                diagnostics.warn("geometry-repaired", layer.path,
                                 "unit '" + layer.ids[i] + "' had an invalid polygon (e.g. self-intersection); repaired");
            }
        }
        auto polygons = detail::to_multipolygon(*geometry);
        auto wkb = detail::to_wkb(*geometry);
        out.area_m2.push_back(area_m2(wkb, raster));
        OGREnvelope box;
        geometry->getEnvelope(&box);
        if (extent_box.Contains(box)) {
            out.on_raster_m2.push_back(out.area_m2.back());
        } else if (!extent_box.Intersects(box)) {
            out.on_raster_m2.push_back(0);
        } else {
            detail::ErrorCapture capture;
            std::unique_ptr<OGRGeometry> clipped(geometry->Intersection(&extent));
            out.on_raster_m2.push_back(clipped && !clipped->IsEmpty() ? std::min(out.area_m2.back(), area_m2(detail::to_wkb(*detail::polygonal_part(std::move(clipped))), raster)) : 0.0);
        }
        out.wkb.push_back(std::move(wkb));
        out.polygons.push_back(std::move(polygons));
    }
    return out;
}

JoinTable read_join_table(const std::string& path, const std::string& key) {
    const char* const drivers[] = {"CSV", nullptr};
    const char* const options[] = {"AUTODETECT_TYPE=NO", "KEEP_SOURCE_COLUMNS=NO", nullptr};
    auto dataset = detail::open_vector(path, drivers, options);
    OGRLayer* layer = dataset->GetLayer(0);
    if (layer == nullptr) throw InputError(path, "has no table");
    OGRFeatureDefn& definition = *layer->GetLayerDefn();
    const int key_index = field_index(definition, path, key);

    JoinTable table;
    table.path = path;
    table.key = key;
    table.key_type = OGRFieldDefn::GetFieldTypeName(definition.GetFieldDefn(key_index)->GetType());
    for (int i = 0; i < definition.GetFieldCount(); ++i)
        if (i != key_index) table.fields.emplace_back(definition.GetFieldDefn(i)->GetNameRef());
    for (auto& feature : *layer) {
        const std::string k = trim(feature->GetFieldAsString(key_index));
        if (k.empty()) throw InputError(path, "row " + std::to_string(feature->GetFID()) + " has no value in key '" + key + "'");
        auto [row, inserted] = table.rows.try_emplace(k);
        if (!inserted) throw InputError(path, "duplicate key '" + k + "' in column '" + key + "'");
        table.keys.push_back(k);
        for (int i = 0; i < definition.GetFieldCount(); ++i) {
            if (i == key_index) continue;
            row->second[definition.GetFieldDefn(i)->GetNameRef()] =
                feature->IsFieldSetAndNotNull(i) ? feature->GetFieldAsString(i) : "";
        }
    }
    return table;
}

}  // namespace shadegap
