#!/usr/bin/env bash
# The installed Python package: `cmake --install` into a temporary prefix, then import it from
# there with the Debian interpreter (CTest python-install; docs/python.md).
# Usage: test_install.sh BUILD_DIR PYTHON
# SPDX-License-Identifier: MIT
set -euo pipefail
build=$1
python=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; exit 1; }
init=$(find "$tmp/prefix" -path '*-packages/shadegap/__init__.py')
[[ -n $init ]] || { echo "python-install: shadegap/__init__.py not installed under a *-packages folder" >&2; exit 1; }
site=$(dirname "$(dirname "$init")")
cd "$tmp"
PYTHONPATH=$site "$python" - "$tmp/prefix" <<'PY'
import sys
import shadegap
assert shadegap.__file__.startswith(sys.argv[1]), shadegap.__file__
# Near solar noon at 36.91 N, 76.30 W on 2026-07-15 (about 13:11 EDT: 76.3 degrees west is 5.2 min
# after 12:00 EST, the equation of time is -6 min): the sun stands about due south and
# 90 - 36.91 + 21.5 (the declination) = 74.6 degrees high; to a degree or so, enough to show
# the installed extension works.
table = shadegap.sun(lat=36.91, lon=-76.30, at="2026-07-15T13:14", tz="America/New_York")
assert abs(table["azimuth_deg"][0] - 180) < 3, table["azimuth_deg"]
assert abs(table["elevation_deg"][0] - 74.6) < 1, table["elevation_deg"]
print("installed:", shadegap.__file__)
PY
