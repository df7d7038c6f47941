# Everyday bad inputs through Python: the right shadegap.Error subclass, the command line's one
# line (without "shadegap: error: "), and no output; and units in another CRS, reprojected exactly.
# SPDX-License-Identifier: MIT
import shutil
import subprocess

import numpy as np
import pytest

import shadegap

gdal = pytest.importorskip("osgeo.gdal", reason="needs GDAL's Python bindings (python3-gdal, with gdal-bin)")
ogr = pytest.importorskip("osgeo.ogr", reason="needs GDAL's Python bindings (python3-gdal, with gdal-bin)")
gdal.UseExceptions()


def units_copy(sample_dir, path, sql=None, drop=None, srs=None):
    """blocks.gpkg copied to `path` (reprojected to `srs`), then `sql` run on it or the field `drop` removed."""
    gdal.VectorTranslate(str(path), str(sample_dir / "blocks.gpkg"), dstSRS=srs)
    dataset = ogr.Open(str(path), 1)
    if sql:
        dataset.ExecuteSQL(sql)
    if drop:
        layer = dataset.GetLayer("blocks")
        assert layer.DeleteField(layer.GetLayerDefn().GetFieldIndex(drop)) == 0
    dataset = None
    return path


def cli_line(binary, sample_dir, flags, out):
    cli = subprocess.run([binary, "run", str(sample_dir / "city.toml"), *flags, "--out", str(out)],
                         capture_output=True, text=True)
    assert cli.returncode == 1, cli.stderr
    assert not out.exists()
    lines = cli.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("shadegap: error: "), cli.stderr
    return lines[0][len("shadegap: error: "):]


def python_error(kind, sample_dir, options, out):
    with pytest.raises(kind) as caught:
        shadegap.run(sample_dir / "city.toml", out=out, **options)
    assert type(caught.value) is kind
    assert not out.exists() or not any(out.iterdir())
    return caught.value


def assert_same_line(error, cli):
    """The error is the command line's line: the same "subject: message"; the hint, which names
    options as flags on the command line and as keys in Python, there in both."""
    message, _, hint = cli.partition(" (hint: ")
    assert str(error) == message
    assert bool(error.hint) == bool(hint)


def test_a_join_key_that_lost_its_leading_zeros(binary, sample_dir, tmp_path):
    # The census units' GEOIDs with a leading 0 (as state FIPS 01 to 09 have), and the join CSV's
    # GEOID read as numbers (no .csvt beside it): the zeros are lost, no row matches.
    units = units_copy(sample_dir, tmp_path / "zeros.gpkg", sql="UPDATE blocks SET GEOID = '0' || GEOID")
    join = tmp_path / "acs.csv"
    shutil.copyfile(sample_dir / "acs.csv", join)
    cli = cli_line(binary, sample_dir, ["--units", str(units), "--join", str(join)], tmp_path / "cli")
    error = python_error(shadegap.InputError, sample_dir, {"units": units, "join": join}, tmp_path / "py")
    assert_same_line(error, cli)
    assert str(error).startswith(f"{join}: join by GEOID: 0 of 50 census units matched a row")
    assert "leading zeros lost" in error.hint


def test_a_canopy_kind_that_is_not_the_raster_s(binary, sample_dir, tmp_path):
    cli = cli_line(binary, sample_dir, ["--canopy-kind", "percent"], tmp_path / "cli")
    error = python_error(shadegap.InputError, sample_dir, {"canopy_kind": "percent"}, tmp_path / "py")
    assert_same_line(error, cli)
    assert str(error).startswith(f"{sample_dir / 'landcover.tif'}: the values look like land-cover classes, "
                                 "not percent values")


def test_a_units_file_without_its_id_field(binary, sample_dir, tmp_path):
    units = units_copy(sample_dir, tmp_path / "noid.gpkg", drop="GEOID")
    cli = cli_line(binary, sample_dir, ["--units", str(units)], tmp_path / "cli")
    error = python_error(shadegap.InputError, sample_dir, {"units": units}, tmp_path / "py")
    assert_same_line(error, cli)
    assert str(error).startswith(f"{units}: ") and "'GEOID'" in str(error)


def test_units_in_another_crs_give_the_same_canopy_shares(sample_dir, tmp_path):
    # The census units reprojected to WGS 84 (longitude, latitude): the run reprojects them
    # back to the raster's UTM zone exactly (PROJ, both ways), so the shares agree to ~1e-9.
    wgs84 = units_copy(sample_dir, tmp_path / "wgs84.gpkg", srs="EPSG:4326")
    dataset = ogr.Open(str(wgs84))  # kept while its layer is used
    assert dataset.GetLayer("blocks").GetSpatialRef().GetAuthorityCode(None) == "4326"
    dataset = None
    original = shadegap.run(sample_dir / "city.toml", threads=2)["units"]
    moved = shadegap.run(sample_dir / "city.toml", units=wgs84, threads=2)["units"]
    assert list(moved["unit_id"]) == list(original["unit_id"])
    assert np.all(original["valid_m2"] > 0)
    assert np.allclose(moved["canopy_fraction"], original["canopy_fraction"], rtol=0, atol=1e-9)
    assert np.allclose(moved["valid_m2"], original["valid_m2"], rtol=1e-9, atol=0)
