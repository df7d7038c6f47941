// Zones: polygon layers read through OGR and aligned to the raster's CRS.
// SPDX-License-Identifier: MIT
#include "shadegap/zones.hpp"

#include "ogr_util.hpp"

#include <geodesic.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
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

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "";
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
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
    }

    std::set<std::string> seen;
    detail::ErrorCapture capture;
    layer->ResetReading();
    for (auto& feature : *layer) {
        if (!feature->IsFieldSetAndNotNull(id_index))
            throw InputError(path, "feature " + std::to_string(feature->GetFID()) + " has no value in id field '" +
                                       request.id_field + "'");
        std::string id = feature->GetFieldAsString(id_index);
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
        out.names.push_back(name_index >= 0 ? feature->GetFieldAsString(name_index) : id);
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
            if (feature->IsFieldSetAndNotNull(index)) value = feature->GetFieldAsString(index);
            out.texts[request.text_fields[k]].push_back(value);
        }
    }
    if (out.ids.empty()) throw InputError(path, "layer '" + out.layer_name + "' has no polygon feature");
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
    if (layer.crs_wkt.empty())
        throw CrsError(layer.path, "layer '" + layer.layer_name + "' has no CRS; shadegap will not guess it")
            .with_hint("assign one, e.g. ogr2ogr -a_srs EPSG:4269 fixed.gpkg " + layer.path);
    if (raster.crs_wkt.empty())
        throw CrsError(raster.path, "raster has no CRS; shadegap will not guess it")
            .with_hint("assign one, e.g. gdal_edit.py -a_srs EPSG:32618 " + raster.path);
    const auto source = detail::srs_from_wkt(layer.crs_wkt);
    const auto target = detail::srs_from_wkt(raster.crs_wkt);
    if (!source) throw CrsError(layer.path, "the layer's CRS cannot be read");
    if (!target) throw CrsError(raster.path, "the raster's CRS cannot be read");

    std::unique_ptr<OGRCoordinateTransformation> transform;
    if (!source->IsSame(target.get())) {
        detail::ErrorCapture capture;
        transform.reset(OGRCreateCoordinateTransformation(source.get(), target.get()));
        if (!transform)
            throw CrsError(layer.path, "no transformation from " + layer.crs_name + " to the raster's " +
                                           raster.crs_name + " (" + capture.message() + ")");
    }

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
            if (!geometry->IsValid()) {
                std::unique_ptr<OGRGeometry> repaired(geometry->MakeValid());
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
    for (int i = 0; i < definition.GetFieldCount(); ++i)
        if (i != key_index) table.fields.emplace_back(definition.GetFieldDefn(i)->GetNameRef());
    for (auto& feature : *layer) {
        const std::string k = trim(feature->GetFieldAsString(key_index));
        if (k.empty()) throw InputError(path, "row " + std::to_string(feature->GetFID()) + " has no value in key '" + key + "'");
        auto [row, inserted] = table.rows.try_emplace(k);
        if (!inserted) throw InputError(path, "duplicate key '" + k + "' in column '" + key + "'");
        for (int i = 0; i < definition.GetFieldCount(); ++i) {
            if (i == key_index) continue;
            row->second[definition.GetFieldDefn(i)->GetNameRef()] =
                feature->IsFieldSetAndNotNull(i) ? feature->GetFieldAsString(i) : "";
        }
    }
    return table;
}

}  // namespace shadegap
