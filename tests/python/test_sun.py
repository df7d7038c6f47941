# sun(): positions against published values (the C++ suite's NREL SPA example) and the sampling.
# SPDX-License-Identifier: MIT
import numpy as np
import pytest

import shadegap


def test_the_nrel_spa_worked_example():
    # Reda & Andreas, NREL/TP-560-34302 (2008), table A5.1: Golden, Colorado, 2003-10-17
    # 12:30:30 at -7 h: topocentric zenith 50.11162°, azimuth 194.34024° (as tests/unit/test_sun.cpp).
    table = shadegap.sun(lat=39.742476, lon=-105.1786, at="2003-10-17T12:30:30", tz="-07:00")
    assert list(table["utc_time"]) == ["2003-10-17T19:30:30Z"]
    assert abs((90 - table["elevation_deg"][0]) - 50.11162) < 0.01
    assert abs(table["azimuth_deg"][0] - 194.34024) < 0.01
    assert table["utc_seconds"][0] == 1066419030


def test_a_window_is_sampled_every_step_up_to_its_end():
    table = shadegap.sun(lat=36.91, lon=-76.30, date="2026-07-15..2026-07-16", time="10:00-16:00", step=30,
                         tz="America/New_York")
    assert len(table["local_time"]) == 2 * 13
    assert table["local_time"][0] == "2026-07-15T10:00:00-04:00"
    assert table["local_time"][-1] == "2026-07-16T16:00:00-04:00"
    assert np.all(table["elevation_deg"] > 0)
    # Refraction lifts the apparent sun above the true one.
    assert np.all(table["elevation_deg"] > table["true_elevation_deg"])


def test_the_csv_of_the_command_line(binary):
    import subprocess
    out = subprocess.run([binary, "sun", "--lat", "36.91", "--lon", "-76.3", "--at", "2026-07-15T12:00",
                          "--at", "2026-12-21T09:30", "--tz", "America/New_York"],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    table = shadegap.sun(lat=36.91, lon=-76.3, at=["2026-07-15T12:00", "2026-12-21T09:30"], tz="America/New_York")
    for line, i in zip(out[1:], range(2)):
        local, utc, azimuth, elevation = line.split(",")
        assert (local, utc) == (table["local_time"][i], table["utc_time"][i])
        assert float(azimuth) == pytest.approx(table["azimuth_deg"][i], abs=5e-7)
        assert float(elevation) == pytest.approx(table["elevation_deg"][i], abs=5e-7)


def test_bad_times_are_usage_errors():
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.sun(lat=36.91, lon=-76.3, at="2026-07-15T12:00", tz="Mars/Olympus")
    assert caught.value.subject == "tz" and "Mars/Olympus" in str(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.sun(lat=95, lon=0, at="2026-07-15T12:00", tz="UTC")
    assert str(caught.value) == "lat: expected a latitude from -90 to 90 degrees, got 95"


def test_sun_errors_name_the_keywords_not_the_command_line_flags():
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.sun(lat=40.7, lon=-74, date="2026-07-15", time="10:00-12:00", step=0, tz="America/New_York")
    assert str(caught.value) == "step: expected a positive number of minutes, got 0"
    with pytest.raises(shadegap.InputError) as caught:
        shadegap.sun(lat=40.7, lon=-74, at="2026-07-15T12:00", tz="Pacific/Auckland")
    assert caught.value.subject == "tz"
    assert caught.value.hint == "give the place's time zone, or `force_tz = true` to use this one anyway"
    assert "--" not in str(caught.value)
    with pytest.raises(shadegap.UsageError) as caught:
        shadegap.sun(lat=40.7, lon=-74, at="2024-03-10T02:30", tz="America/New_York")
    assert caught.value.subject == "at" and "--" not in str(caught.value)
