# plan(): the sample city's planting plan through Python is the CLI's plan.csv, and its figures
# follow the documented rule (docs/plan.md) by hand.
# SPDX-License-Identifier: MIT
import csv
import subprocess

import numpy as np
import pytest

import shadegap

TREES, COST, CROWN_M2 = 500, 450.0, 55.74


def plan_options(sample_dir):
    return {"landcover": sample_dir / "landcover.tif", "plantable_classes": [2, 3], "trees": TREES,
            "cost_per_tree": COST, "threads": 2}


@pytest.fixture(scope="module")
def python_plan():
    from conftest import SAMPLE_DIR
    return shadegap.plan(SAMPLE_DIR / "city.toml", **plan_options(SAMPLE_DIR))


def test_the_plan_table_is_the_cli_s_plan_csv(python_plan, binary, sample_dir, tmp_path):
    out = tmp_path / "cli"
    subprocess.run([binary, "plan", str(sample_dir / "city.toml"), "--landcover", str(sample_dir / "landcover.tif"),
                    "--plantable-classes", "2,3", "--trees", str(TREES), "--cost-per-tree", str(COST),
                    "--threads", "2", "--quiet", "--out", str(out)], check=True)
    with open(out / "plan.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    table = python_plan["plan"]
    assert list(table) == list(rows[0])  # the same columns, in the same order
    assert len(rows) == 8
    for column in rows[0]:
        values = table[column]
        if values.dtype == object:
            assert list(values) == [row[column] for row in rows], column
        else:
            expected = np.array([float(row[column]) if row[column] != "" else np.nan for row in rows])
            # The CSV keeps at least 12 significant digits (docs/outputs.md).
            assert np.allclose(values, expected, rtol=1e-12, atol=0, equal_nan=True), column
    assert python_plan["summary"]["plan_trees_planted"] == TREES


def test_the_trees_go_where_a_tree_is_worth_most(python_plan, sample_dir):
    # docs/plan.md: each tree is worth p × n × c / L until the unit's gap closes, so the trees
    # go first to the unit of largest p × n / L (need × residents per m² of land) that has a
    # gap, up to the trees it needs. The land L of each neighbourhood measured independently
    # by the overlay of the neighbourhoods themselves.
    table = python_plan["plan"]
    land = shadegap.overlay(sample_dir / "landcover.tif", sample_dir / "neighbourhoods.gpkg", unit_id="nbhd_id",
                            units_layer="neighbourhoods", canopy_kind="classes=1", water_classes=[4])
    order = {uid: i for i, uid in enumerate(land["unit_id"])}
    index = [order[uid] for uid in table["id"]]
    valid_m2, canopy_m2 = land["valid_m2"][index], land["canopy_m2"][index]
    worth = np.where(table["trees_needed"] > 0, table["priority"] * table["population"] / valid_m2, -1.0)
    first = int(np.argmax(worth))
    assert table["trees_needed"][first] > TREES  # every tree is a whole tree's worth there
    assert table["trees"][first] == TREES
    assert table["trees"].sum() == TREES
    assert np.all(np.delete(table["trees"], first) == 0)
    assert table["cost"][first] == TREES * COST

    # What the plan adds: the land under the new crowns, at most the trees × the crown's area
    # (crowns overlap or cover canopy there already), added to the canopy over the same land.
    assert 0.95 * TREES * CROWN_M2 < table["planted_m2"][first] <= TREES * CROWN_M2
    assert np.allclose(table["canopy_pct_now"], 100 * canopy_m2 / valid_m2, rtol=0, atol=1e-5)
    assert np.allclose(table["canopy_pct_plan"], 100 * (canopy_m2 + table["planted_m2"]) / valid_m2, rtol=0, atol=1e-5)
    assert table["canopy_pct_plan"][first] - table["canopy_pct_now"][first] > 5  # 500 crowns of 55.74 m²
