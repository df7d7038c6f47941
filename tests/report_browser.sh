#!/usr/bin/env bash
# report.html in a headless browser: after Leaflet runs, the map holds one path per ranking
# unit; for `shadegap walks --routes K`, one more per route (the routes layer); for
# `shadegap plan --report`, one more per planted site (circle markers).
# Exits 77 (CTest's SKIP_RETURN_CODE) when chromium is not installed.
# Usage: report_browser.sh SHADEGAP_BINARY SAMPLE_DIR [CHROMIUM]
set -euo pipefail
shadegap=$1 sample=$2 chromium=${3:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "SKIPPED: $chromium not found; install Debian's chromium (scripts/install-deps) to run this test"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

features() { grep -o '"type": "Feature"' "$1" | wc -l; }

# The paths Leaflet drew in the map's overlay pane of report.html in folder $1 (the element,
# not the inlined CSS rule, up to the marker pane); fails if the map links to the network.
paths_in_map() {
  timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --user-data-dir="$work/profile" \
    --virtual-time-budget=5000 --dump-dom "file://$1/report.html" >"$work/dom.html" 2>"$work/chromium.log" || {
    cat "$work/chromium.log" >&2
    exit 1
  }
  local dom pane=""
  dom=$(tr '\n' ' ' <"$work/dom.html")
  if [[ $dom == *'leaflet-overlay-pane">'* ]]; then
    pane=${dom#*leaflet-overlay-pane\">}
    pane=${pane%%leaflet-marker-pane*}
  fi
  if grep -qiE '(src|href)="?(https?:)?//' <<<"$pane"; then
    echo "FAILED: the map links to the network" >&2
    exit 1
  fi
  grep -o '<path' <<<"$pane" | wc -l
}

"$shadegap" run "$sample/city.toml" --report --threads 1 --out "$work/out" --quiet
units=$(features "$work/out/priority.geojson")
paths=$(paths_in_map "$work/out")
echo "ranking units: $units; paths in the map's overlay pane: $paths"
if ((units == 0 || paths != units)); then
  echo "FAILED: expected one path per ranking unit" >&2
  exit 1
fi

"$shadegap" walks "$sample/city.toml" --streets "$sample/streets.gpkg" --destinations "$sample/destinations.gpkg" \
  --agents 300 --routes 25 --report --threads 1 --out "$work/walks" --quiet
routes=$(features "$work/walks/routes.geojson")
paths=$(paths_in_map "$work/walks")
echo "walks: ranking units: $units; routes: $routes; paths in the map's overlay pane: $paths"
if ((routes == 0 || paths != units + routes)); then
  echo "FAILED: expected one path per ranking unit and one per route" >&2
  exit 1
fi

# `shadegap plan --report`: one circle marker (a path) more per planted site (the sites layer).
"$shadegap" plan "$sample/city.toml" --landcover "$sample/landcover.tif" --plantable-classes 2,3 --trees 50 \
  --report --threads 1 --out "$work/plan" --quiet
sites=$(features "$work/plan/sites.geojson")
paths=$(paths_in_map "$work/plan")
echo "plan: ranking units: $units; sites: $sites; paths in the map's overlay pane: $paths"
if ((sites == 0 || paths != units + sites)); then
  echo "FAILED: expected one path per ranking unit and one circle marker per site" >&2
  exit 1
fi
