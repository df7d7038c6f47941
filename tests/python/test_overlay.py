# overlay(): exact per-unit sums against the analytic coverage of axis-aligned rectangles.
# SPDX-License-Identifier: MIT
import numpy as np
import pytest

import shadegap
from conftest import write_polygons

X0, Y_MAX = 500000.0, 4100000.0  # EPSG:32618, 1 m cells
CELL = 1.0


def rectangle(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def coverage(rows, cols, x0, y0, x1, y1):
    """The share of each cell's area inside the rectangle: overlap in x times overlap in y."""
    cx = np.arange(cols) * CELL + X0
    cy = Y_MAX - (np.arange(rows) + 1) * CELL  # bottom edge of each row
    ox = np.clip(np.minimum(cx + CELL, x1) - np.maximum(cx, x0), 0, None) / CELL
    oy = np.clip(np.minimum(cy + CELL, y1) - np.maximum(cy, y0), 0, None) / CELL
    return oy[:, None] * ox[None, :]


@pytest.fixture
def scene(tmp_path):
    values = np.array([[1, 0, 1, 1, 0],
                       [0, 1, 255, 1, 1],
                       [1, 1, 0, 0, 1],
                       [0, 1, 1, 0, 0]], dtype=np.uint8)  # 255: nodata
    raster = tmp_path / "canopy.tif"
    shadegap.write_raster(raster, values, (X0, CELL, 0, Y_MAX, 0, -CELL), "EPSG:32618", nodata=255)
    boxes = [(X0 + 0.5, Y_MAX - 3.25, X0 + 2.5, Y_MAX - 0.75),  # inside, cut through cells
             (X0 + 3.2, Y_MAX - 6.0, X0 + 7.0, Y_MAX - 1.6)]    # partly off the raster
    units = write_polygons(tmp_path / "units.geojson", [rectangle(*b) for b in boxes], 32618)
    return values, raster, units, boxes


def test_sums_equal_the_analytic_coverage(scene):
    values, raster, units, boxes = scene
    table = shadegap.overlay(raster, units, unit_id="uid", canopy_kind="binary")
    assert list(table["unit_id"]) == ["a", "b"]
    nodata = values == 255
    for i, box in enumerate(boxes):
        f = coverage(*values.shape, *box)
        expected_valid = f[~nodata].sum()
        expected_canopy = (f * (values == 1)).sum()
        expected_nodata = f[nodata].sum()
        x0, y0, x1, y1 = box
        assert table["area_m2"][i] == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-12)
        assert table["valid_m2"][i] == pytest.approx(expected_valid, rel=1e-12), (i, table["valid_m2"][i], expected_valid)
        assert table["canopy_m2"][i] == pytest.approx(expected_canopy, rel=1e-12)
        assert table["nodata_m2"][i] == pytest.approx(expected_nodata, abs=1e-12)
        assert table["covered_m2"][i] == pytest.approx(f.sum(), rel=1e-12)
        assert table["canopy_fraction"][i] == pytest.approx(expected_canopy / expected_valid, rel=1e-12)
    # The first box by hand: rows 0-3 (y from 0.75 to 3.25 below the top), columns 0-2 (x 0.5-2.5).
    # Row overlaps 0.25, 1, 1, 0.25; column overlaps 0.5, 1, 0.5. Canopy cells it meets: (0,0) and
    # (0,2) 0.25*0.5 each, (1,1) 1, (2,0) 0.5, (2,1) 1, (3,1) 0.25, (3,2) 0.25*0.5.
    assert table["canopy_m2"][0] == pytest.approx(0.125 + 0.125 + 1 + 0.5 + 1 + 0.25 + 0.125, rel=1e-12)


def test_the_same_sums_for_any_thread_count_and_block_size(scene):
    _, raster, units, _ = scene
    one = shadegap.overlay(raster, units, unit_id="uid", threads=1)
    for threads, block in ((2, 0), (2, 2), (1, 1)):
        other = shadegap.overlay(raster, units, unit_id="uid", threads=threads, block_size=block)
        for column in ("valid_m2", "canopy_m2", "nodata_m2", "covered_m2"):
            assert np.array_equal(one[column], other[column]), (threads, block, column)


def test_water_classes_leave_land_and_shade_is_summed_beside(scene, tmp_path):
    values, raster, units, boxes = scene
    shade = np.full(values.shape, 0.25, dtype=np.float32)
    shade_path = tmp_path / "shade.tif"
    shadegap.write_raster(shade_path, shade, (X0, CELL, 0, Y_MAX, 0, -CELL), "EPSG:32618")
    table = shadegap.overlay(raster, units, unit_id="uid", water_classes=[0], canopy_kind="binary",
                             shade=shade_path)
    f = coverage(*values.shape, *boxes[0])
    assert table["water_m2"][0] == pytest.approx(f[values == 0].sum(), rel=1e-12)
    assert table["valid_m2"][0] == pytest.approx(f[values == 1].sum(), rel=1e-12)
    assert table["shade_fraction"][0] == pytest.approx(0.25, rel=1e-12)
    assert table["shade_m2"][0] == pytest.approx(0.25 * table["shade_mask_m2"][0], rel=1e-12)


def test_errors_name_the_file_and_the_problem(scene):
    _, raster, units, _ = scene
    with pytest.raises(shadegap.InputError) as caught:
        shadegap.overlay(raster, units, unit_id="GEOID")
    assert caught.value.subject == str(units)
    assert "GEOID" in str(caught.value) and "uid" in str(caught.value)
    assert str(caught.value).startswith(str(units) + ": ")
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.overlay(raster, units, unit_id="uid", canopy_kind="percentish")
    assert caught.value.subject == "canopy_kind"
    assert isinstance(caught.value, shadegap.Error)


def test_a_geodataframe_in_another_crs_gives_the_same_sums(scene):
    geopandas = pytest.importorskip("geopandas")
    _, raster, units, _ = scene
    frame = geopandas.read_file(units).to_crs("EPSG:4326")
    from_frame = shadegap.overlay(raster, frame, unit_id="uid")
    from_file = shadegap.overlay(raster, units, unit_id="uid")
    assert list(from_frame["unit_id"]) == ["a", "b"]
    # The round trip through WGS 84 moves vertices by far less than a millimetre.
    for column in ("valid_m2", "canopy_m2", "area_m2"):
        assert np.allclose(from_frame[column], from_file[column], rtol=1e-6, atol=1e-6), column
