# run(): the sample city through Python agrees with the CLI's priority.csv, with the GIL released.
# SPDX-License-Identifier: MIT
import csv
import subprocess
import threading
import time

import numpy as np
import pytest

import shadegap


@pytest.fixture(scope="module")
def cli_priority(tmp_path_factory):
    import os
    binary = os.environ.get("SHADEGAP_BINARY")
    if not binary:
        pytest.skip("SHADEGAP_BINARY (the built shadegap program) is not set; CTest sets it")
    from conftest import SAMPLE_DIR
    out = tmp_path_factory.mktemp("cli")
    subprocess.run([binary, "run", str(SAMPLE_DIR / "city.toml"), "--out", str(out), "--quiet", "--threads", "2"],
                   check=True)
    with open(out / "priority.csv", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def python_run():
    """The sample city through run(), while another Python thread counts: the ticks that fall
    inside the call show that the GIL was released."""
    from conftest import SAMPLE_DIR
    ticks = []
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.002)

    thread = threading.Thread(target=counter)
    thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    stages = []
    result = shadegap.run(SAMPLE_DIR / "city.toml", threads=2, progress=lambda f, s: stages.append((f, s)))
    ended = time.monotonic()
    stop.set()
    thread.join()
    return result, [t for t in ticks if started < t < ended], ended - started, stages


def test_the_ranking_is_the_cli_s(python_run, cli_priority):
    result, _, _, _ = python_run
    priority = result["priority"]
    assert list(priority["id"]) == [row["id"] for row in cli_priority]
    assert list(priority["name"]) == [row["name"] for row in cli_priority]
    for column in cli_priority[0]:
        if column in ("id", "name"):
            continue
        expected = np.array([float(row[column]) if row[column] != "" else np.nan for row in cli_priority])
        # The CSV keeps at least 12 significant digits (docs/outputs.md).
        assert np.allclose(priority[column], expected, rtol=1e-12, atol=0, equal_nan=True), column
    assert priority["rank"].tolist() == list(range(1, len(cli_priority) + 1))


def test_the_result_holds_every_table_and_the_summary(python_run):
    result, _, _, stages = python_run
    units = result["units"]
    assert len(units["unit_id"]) == 50 and units["unit_id"].dtype == object
    assert units["unit_id"][0].startswith("51710")  # text: GEOIDs keep their leading digits
    assert np.allclose(units["canopy_fraction"], units["canopy_m2"] / units["valid_m2"], rtol=1e-12)
    assert result["outputs"] == []  # no out: nothing written
    assert len(result["geometries"]["priority"]["wkb"]) == 8
    assert 0 <= result["city_score"] <= 100
    assert result["summary"]["ranking_unit_count"] == 8 and result["summary"]["unit_count"] == 50
    assert isinstance(result["diagnostics"], list)
    assert stages and stages[-1][0] == pytest.approx(1.0)


def test_the_gil_is_released_while_the_pipeline_runs(python_run):
    _, ticks, seconds, stages = python_run
    # The counter sleeps 2 ms between ticks. A call that held the GIL would leave it a tick only
    # where Python code runs inside the call: at either end and at each progress callback. Released,
    # the counter keeps ticking between them. Its pace is not asked for (on a machine loaded by
    # other tests it gets few time slices), only more ticks than a held GIL could leave.
    assert len(ticks) > len(stages) + 2, (f"{len(ticks)} ticks during a call of {seconds:.3f} s "
                                          f"with {len(stages)} progress callbacks")


def test_the_overlay_gives_units_csv_s_sums(python_run, sample_dir):
    result, _, _, _ = python_run
    table = shadegap.overlay(sample_dir / "landcover.tif", sample_dir / "blocks.gpkg", unit_id="GEOID",
                             units_layer="blocks", canopy_kind="classes=1", water_classes=[4])
    units = result["units"]
    order = {uid: i for i, uid in enumerate(table["unit_id"])}
    index = [order[uid] for uid in units["unit_id"]]
    for column in ("valid_m2", "canopy_m2", "nodata_m2"):
        assert np.allclose(table[column][index], units[column], rtol=1e-12, atol=0), column


def test_out_keeps_the_files_and_geodataframes(tmp_path, sample_dir):
    geopandas = pytest.importorskip("geopandas")
    result = shadegap.run(sample_dir / "city.toml", out=tmp_path / "run", geodataframe=True)
    assert (tmp_path / "run" / "priority.geojson").exists()
    frame = result["priority"]
    assert isinstance(frame, geopandas.GeoDataFrame) and len(frame) == 8
    assert frame.crs.to_epsg() == 32618  # the canopy raster's CRS
    assert frame["rank"].tolist() == list(range(1, 9))
    # Each neighbourhood's polygon, measured by geopandas in the projected CRS, has its area_km2.
    assert np.allclose(frame.geometry.area / 1e6, frame["area_km2"], rtol=1e-9)
    # priority.geojson holds the same polygons in WGS 84 (coordinates rounded to 7 decimals).
    written = geopandas.read_file(tmp_path / "run" / "priority.geojson")
    assert list(written["id"]) == list(frame["id"])
    assert np.allclose(written.to_crs(32618).geometry.area, frame.geometry.area, rtol=1e-4)
    assert len(result["units"]) == 50  # a pandas DataFrame
    with pytest.raises(shadegap.OutputError):
        shadegap.run(sample_dir / "city.toml", out=tmp_path / "run")


def test_options_come_from_the_table_of_run_options(sample_dir):
    keys = {option["key"] for option in shadegap.options()}
    assert {"canopy", "canopy_kind", "fields", "equity_group", "threads", "streets", "trees"} <= keys
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.run(sample_dir / "city.toml", canopy_kinds="binary")
    assert caught.value.subject == "canopy_kinds" and "unknown option" in str(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.run(sample_dir / "city.toml", threads="2")
    assert str(caught.value) == "threads: expected an integer ≥ 0, got '2'"
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.run(sample_dir / "city.toml", streets="streets.gpkg")
    assert caught.value.subject == "streets" and "walks" in str(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.run(sample_dir / "city.toml", neighbourhoods=None, group_by="tract", neighbourhood_id="x")
    assert caught.value.subject == "group_by"


def test_a_data_error_is_the_cli_s_line(binary, sample_dir, tmp_path):
    cli = subprocess.run([binary, "run", str(sample_dir / "city.toml"), "--unit-id", "NOPE", "--out",
                          str(tmp_path / "cli")], capture_output=True, text=True)
    assert cli.returncode == 1
    with pytest.raises(shadegap.InputError) as caught:
        shadegap.run(sample_dir / "city.toml", unit_id="NOPE", out=tmp_path / "py")
    error = caught.value
    line = f"shadegap: error: {error}" + (f" (hint: {error.hint})" if error.hint else "")
    assert cli.stderr.strip() == line
    assert not (tmp_path / "py").exists() or not any((tmp_path / "py").iterdir())


def test_warnings_name_options_by_their_keys(sample_dir):
    # More threads than any machine has cores: the warning names the keyword, not --threads.
    result = shadegap.run(sample_dir / "city.toml", threads=1000000)
    [capped] = [w for w in result["diagnostics"] if w["code"] == "threads-capped"]
    assert capped["subject"] == "threads"
    assert capped["message"].startswith("1000000 threads asked for, but this machine has ")
    for warning in result["diagnostics"]:
        assert "--" not in warning["subject"] and "--" not in warning["message"], warning
