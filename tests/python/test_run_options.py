# run() with more options: equity tables against the units' own counts, walks() against the CLI,
# and a run stopped by its progress function or by Ctrl-C leaves nothing behind.
# SPDX-License-Identifier: MIT
import csv
import os
import signal
import subprocess
import threading

import numpy as np
import pytest

import shadegap


def test_equity_groups_give_the_equity_table(sample_dir):
    result = shadegap.run(sample_dir / "city.toml", equity_group={"black": "black", "white": "white"},
                          threads=2)
    equity = result["equity"]
    assert list(equity["group"]) == ["everyone", "black", "white"]
    # Everyone: the people of all census units (units.csv's population column).
    assert equity["population"][0] == pytest.approx(np.nansum(result["units"]["population"]), rel=1e-12)
    assert "disparity" in result
    # The reference group compared with itself.
    assert equity["canopy_diff_pct"][0] == pytest.approx(0.0, abs=1e-12)
    assert equity["canopy_ratio"][0] == pytest.approx(1.0, rel=1e-12)


def test_walks_agrees_with_the_cli(binary, sample_dir, tmp_path):
    options = dict(streets=sample_dir / "streets.gpkg", destinations=sample_dir / "destinations.gpkg",
                   destination_kind="kind=school", agents=200, seed=3)
    cli_out = tmp_path / "cli"
    subprocess.run([binary, "walks", str(sample_dir / "city.toml"), "--streets", str(options["streets"]),
                    "--destinations", str(options["destinations"]), "--destination-kind", "kind=school",
                    "--agents", "200", "--seed", "3", "--out", str(cli_out), "--quiet"], check=True)
    result = shadegap.walks(sample_dir / "city.toml", **options)
    with open(cli_out / "walks.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    walks = result["walks"]
    assert list(walks["id"]) == [row["id"] for row in rows]
    assert list(walks["group"]) == [row["group"] for row in rows]
    for column in ("agents", "walk_m", "shaded_m", "no_destination"):
        expected = np.array([float(row[column]) if row[column] else np.nan for row in rows])
        # The CSV keeps at least 12 significant digits (docs/outputs.md).
        assert np.allclose(walks[column].astype(float), expected, rtol=1e-12, atol=0, equal_nan=True), column
    # The summary counts the agents of every unit (200 asked, split among units and rounded).
    everyone = walks["group"] == "everyone"
    assert result["summary"]["walk_agents"] == walks["agents"][everyone].sum()
    assert abs(result["summary"]["walk_agents"] - 200) <= len(set(walks["id"]))
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.run(sample_dir / "city.toml", agents=10)
    assert str(caught.value) == "agents: is an option of walks, not of run"
    assert caught.value.hint == "call shadegap.walks(...)"


def test_an_error_in_the_progress_function_stops_the_run_without_output(sample_dir, tmp_path):
    def progress(fraction, stage):
        if stage == "overlay":
            raise RuntimeError("stop at " + stage)

    with pytest.raises(RuntimeError, match="stop at overlay"):
        shadegap.run(sample_dir / "city.toml", out=tmp_path / "out", progress=progress)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
def test_ctrl_c_stops_the_run_without_output(sample_dir, tmp_path):
    stages = []

    def progress(fraction, stage):
        if not stages:  # the first report: press Ctrl-C
            os.kill(os.getpid(), signal.SIGINT)
        stages.append(stage)

    with pytest.raises(KeyboardInterrupt):
        shadegap.run(sample_dir / "city.toml", out=tmp_path / "out", progress=progress)
    assert len(stages) <= 2  # stopped at the next report
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
