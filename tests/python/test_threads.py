# Two run() calls in two Python threads at once (the GIL is released during each) return what
# the same calls give one after the other: the library keeps no state shared between runs.
# SPDX-License-Identifier: MIT
import threading

import numpy as np

import shadegap


def call_options(sample_dir):
    """Two different runs of the sample city, so that state leaking from one into the other shows."""
    return [
        {"equity_group": {"black": "black", "white": "white"}, "threads": 1},
        {"canopy_kind": "classes=1,2", "rank_by": "median_income", "equity_group": {"black": "black"}, "threads": 1},
    ]


def tables(result):
    return {name: value for name, value in result.items() if isinstance(value, dict) and name not in
            ("geometries", "summary")}


def assert_same(a, b):
    ta, tb = tables(a), tables(b)
    assert list(ta) == list(tb)
    for name, table in ta.items():
        assert list(table) == list(tb[name]), name
        for column, values in table.items():
            other = tb[name][column]
            if values.dtype == object:
                assert list(values) == list(other), (name, column)
            else:
                # the same bits: the same inputs give the same bytes for any thread and timing
                assert np.array_equal(values, other, equal_nan=True), (name, column)
    assert a["city_score"] == b["city_score"]
    assert a["geometries"]["priority"]["wkb"] == b["geometries"]["priority"]["wkb"]


def test_two_runs_at_once_equal_the_runs_one_after_the_other(sample_dir):
    options = call_options(sample_dir)
    one_after_the_other = [shadegap.run(sample_dir / "city.toml", **o) for o in options]
    assert "equity" in tables(one_after_the_other[0])
    assert not np.array_equal(one_after_the_other[0]["units"]["canopy_m2"], one_after_the_other[1]["units"]["canopy_m2"])

    for _ in range(2):
        at_once = [None, None]
        errors = []
        start = threading.Barrier(2)

        def call(k):
            try:
                start.wait()
                at_once[k] = shadegap.run(sample_dir / "city.toml", **options[k])
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)

        threads = [threading.Thread(target=call, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        for k in range(2):
            assert_same(at_once[k], one_after_the_other[k])
