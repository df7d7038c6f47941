# shadows() and shade(): a box on flat ground casts a shadow h / tan(elevation) long, away from
# the sun; arrays and paths give the same shade.
# SPDX-License-Identifier: MIT
import math

import numpy as np
import pytest

import shadegap

X0, Y_MAX = 500000.0, 4085000.0  # EPSG:32618, near 36.9° N, 75° W
GEOTRANSFORM = (X0, 1.0, 0.0, Y_MAX, 0.0, -1.0)


def box_model(rows=60, cols=60, height=12.0):
    heights = np.zeros((rows, cols), dtype=np.float32)
    heights[30:34, 25:31] = height  # rows 30-33, columns 25-30
    return heights


def test_a_box_shadow_reaches_h_over_tan_elevation_north_of_a_southern_sun():
    heights = box_model()
    for elevation in (25.0, 45.0, 63.0):
        codes = shadegap.shadows(heights, azimuth=180.0, elevation=elevation)
        length = 12.0 / math.tan(math.radians(elevation))
        assert codes.dtype == np.uint8 and codes.shape == heights.shape
        assert not codes[30:34, 25:31].any()  # a roof is not shaded by itself
        for row in range(30):  # north of the box: the cell centre lies 30 - row - 0.5 m from its face
            distance = 30 - row - 0.5
            column = codes[row, 25:31]
            if distance < length - 0.5:
                assert (column == 2).all(), (elevation, row, column)
            elif distance > length + 0.5:
                assert (column == 0).all(), (elevation, row, column)
        assert not codes[34:, :].any() and not codes[:, :24].any() and not codes[:, 32:].any()


def test_an_eastern_sun_casts_west_and_canopy_lets_light_through():
    canopy = box_model(height=10.0)
    codes = shadegap.shadows(None, canopy=canopy, azimuth=90.0, elevation=45.0)
    # West of the box (columns < 25), within 10 m: canopy shadow (1); beyond 10.5 m: sun.
    assert (codes[30:34, 16:25] == 1).all()
    assert not codes[30:34, :14].any()
    assert (codes[30:34, 25:31] == 1).all()  # under its own crown


def test_shade_of_arrays_at_one_instant_is_the_shadow_of_that_sun():
    heights = box_model()
    result = shadegap.shade(buildings=heights, geotransform=GEOTRANSFORM, crs="EPSG:32618",
                            date="2026-07-15", time="15:00", tz="America/New_York")
    assert result["sampled_count"] == 1 and result["used_count"] == 1
    assert result["fraction"].dtype == np.float32 and result["fraction"].shape == heights.shape
    # The same sun, from sun() at the rasters' centre, turned onto the grid.
    sun = shadegap.sun(lat=result["latitude"], lon=result["longitude"], at="2026-07-15T15:00",
                       tz="America/New_York")
    azimuth = (sun["azimuth_deg"][0] + result["grid_convergence_deg"]) % 360
    codes = shadegap.shadows(heights, azimuth=azimuth, elevation=sun["elevation_deg"][0])
    assert np.array_equal(result["fraction"], (codes > 0).astype(np.float32))
    # The shadow reaches h / tan(elevation) past the box, away from the sun, to within a cell.
    length = 12.0 / math.tan(math.radians(sun["elevation_deg"][0]))
    rows, cols = np.nonzero(result["fraction"])
    away = -np.array([math.sin(math.radians(azimuth)), math.cos(math.radians(azimuth))])  # (x east, y north = -row)
    corners = np.array([[25, -30], [31, -30], [31, -34], [25, -34]], dtype=float)
    box_reach = (corners - corners.mean(axis=0)) @ away
    centres = np.stack([cols + 0.5, -(rows + 0.5)], axis=1)
    farthest = ((centres - corners.mean(axis=0)) @ away).max()
    assert abs(farthest - (box_reach.max() + length)) < math.sqrt(2)


def test_shade_of_arrays_equals_shade_of_the_same_rasters_on_disk(tmp_path):
    heights = box_model()
    canopy = np.zeros_like(heights)
    canopy[10:14, 40:44] = 8.0
    canopy[0, 0] = np.nan  # nodata in one layer only: still a valid cell
    window = dict(date="2026-07-15", time="10:00-16:00", step=30, tz="America/New_York")
    from_arrays = shadegap.shade(buildings=heights, canopy_height=canopy, geotransform=GEOTRANSFORM,
                                 crs="EPSG:32618", **window)
    shadegap.write_raster(tmp_path / "b.tif", heights, GEOTRANSFORM, "EPSG:32618")
    shadegap.write_raster(tmp_path / "c.tif", canopy, GEOTRANSFORM, "EPSG:32618")
    from_paths = shadegap.shade(buildings=tmp_path / "b.tif", canopy_height=tmp_path / "c.tif",
                                out=tmp_path / "shade.tif", **window)
    assert from_arrays["sampled_count"] == 13
    assert np.array_equal(from_arrays["fraction"], from_paths["fraction"])
    assert (tmp_path / "shade.tif").exists() and (tmp_path / "shade.json").exists()
    # Canopy alone lets 3 % through: its shade counts 0.97 of an instant, never more.
    under_crown = from_arrays["fraction"][10:14, 40:44]
    assert np.allclose(under_crown, 0.97, rtol=0, atol=1e-6)


def test_shade_errors():
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.shade(buildings=box_model(), date="2026-07-15", time="12:00", tz="UTC")
    assert str(caught.value) == "buildings: an array of heights needs geotransform= and crs="
    assert caught.value.subject == "buildings"
    with pytest.raises(shadegap.CrsError) as caught:
        shadegap.shade(buildings=box_model(), geotransform=GEOTRANSFORM, crs="EPSG:4326",
                       date="2026-07-15", time="12:00", tz="UTC", force_tz=True)
    assert "geographic" in str(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.shadows(box_model(), azimuth=180, elevation=-5)
    assert caught.value.subject == "elevation"


def test_shade_errors_name_the_keywords_not_the_command_line_flags(tmp_path):
    heights = box_model()
    common = dict(geotransform=GEOTRANSFORM, crs="EPSG:32618", date="2026-07-15", tz="America/New_York")
    errors = []
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.shade(heights, time="12:00", transmissivity=2, **common)
    assert str(caught.value) == "transmissivity: expected a share of light from 0 to 1, got 2"
    assert caught.value.subject == "transmissivity"
    errors.append(caught.value)
    # The sun is down at 23:00 near 75° W in July: the hint names the keywords to check.
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.shade(heights, time="23:00-23:30", **common)
    assert caught.value.subject == "time"
    assert caught.value.hint == "check `date`, `time` and `tz` (the times are local clock times)"
    errors.append(caught.value)
    # New Zealand's clock is about 17 h from solar time at 75° W.
    with pytest.raises(shadegap.InputError) as caught:
        shadegap.shade(heights, time="12:00", **dict(common, tz="Pacific/Auckland"))
    assert caught.value.subject == "tz"
    assert caught.value.hint == "give the place's time zone, or `force_tz = true` to use this one anyway"
    errors.append(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.shade(heights, buildings=heights, time="12:00", **common)
    assert caught.value.subject == "surface"
    assert caught.value.message.startswith("cannot be combined with `buildings` or `canopy_height`")
    errors.append(caught.value)
    out = tmp_path / "shade.tif"
    out.write_text("earlier")
    with pytest.raises(shadegap.OutputError) as caught:
        shadegap.shade(heights, time="12:00", out=out, **common)
    assert caught.value.hint == "use `overwrite = true` to replace it"
    errors.append(caught.value)
    for error in errors:
        assert "--" not in str(error) and "--" not in error.hint, str(error)


def test_shade_warnings_name_the_keyword():
    # Samoa skipped 2011-12-30 (from UTC-10 to UTC+14): its 06:00 does not exist that day. On
    # the 29th, 06:00 in Apia is 16:00 UTC, late morning at 75° W (force_tz: not Samoa's place).
    with pytest.warns(shadegap.ShadegapWarning) as caught:
        result = shadegap.shade(box_model(), geotransform=GEOTRANSFORM, crs="EPSG:32618",
                                date="2011-12-29..2011-12-30", time="06:00", tz="Pacific/Apia", force_tz=True)
    assert result["used_count"] == 1
    [warning] = [w for w in result["diagnostics"] if w["code"] == "missing-local-time"]
    assert warning["subject"] == "time"
    assert warning["message"] == "2011-12-30T06:00 does not exist in Pacific/Apia (daylight saving starts); left out"
    assert any(str(w.message).startswith("time: 2011-12-30T06:00 does not exist") for w in caught)
