# Shared fixtures of the Python tests: the source tree, the built CLI, small GeoJSON layers.
# SPDX-License-Identifier: MIT
import json
import os
import pathlib

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("SHADEGAP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SAMPLE_DIR = SOURCE_DIR / "sample-rasters"


@pytest.fixture
def sample_dir():
    return SAMPLE_DIR


@pytest.fixture
def binary():
    path = os.environ.get("SHADEGAP_BINARY")
    if not path or not os.path.exists(path):
        pytest.skip("SHADEGAP_BINARY (the built shadegap program) is not set; CTest sets it")
    return path


def write_polygons(path, polygons, epsg):
    """A GeoJSON layer of polygons (lists of (x, y) rings) with ids "a", "b", ... in EPSG:epsg."""
    features = []
    for i, ring in enumerate(polygons):
        features.append({"type": "Feature", "properties": {"uid": chr(ord("a") + i)},
                         "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}})
    layer = {"type": "FeatureCollection",
             "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
             "features": features}
    pathlib.Path(path).write_text(json.dumps(layer))
    return path
