#!/usr/bin/env bash
# report.html in a headless browser: after Leaflet runs, the map holds one path per ranking
# unit. Exits 77 (CTest's SKIP_RETURN_CODE) when chromium is not installed.
# Usage: report_browser.sh SHADEGAP_BINARY SAMPLE_DIR [CHROMIUM]
set -euo pipefail
shadegap=$1 sample=$2 chromium=${3:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "SKIPPED: $chromium not found; install Debian's chromium (scripts/install-deps) to run this test"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$shadegap" run "$sample/city.toml" --report --threads 1 --out "$work/out" --quiet
units=$(grep -o '"type": "Feature"' "$work/out/priority.geojson" | wc -l)
timeout 120 "$chromium" --headless --disable-gpu --no-sandbox --user-data-dir="$work/profile" \
  --virtual-time-budget=5000 --dump-dom "file://$work/out/report.html" >"$work/dom.html" 2>"$work/chromium.log" || {
  cat "$work/chromium.log" >&2
  exit 1
}
# The map's overlay pane (the element, not the inlined CSS rule), up to the marker pane.
dom=$(tr '\n' ' ' <"$work/dom.html")
pane=""
if [[ $dom == *'leaflet-overlay-pane">'* ]]; then
  pane=${dom#*leaflet-overlay-pane\">}
  pane=${pane%%leaflet-marker-pane*}
fi
paths=$(grep -o '<path' <<<"$pane" | wc -l)
echo "ranking units: $units; paths in the map's overlay pane: $paths"
if grep -qiE '(src|href)="?(https?:)?//' <<<"$pane"; then
  echo "FAILED: the map links to the network" >&2
  exit 1
fi
if ((units == 0 || paths != units)); then
  echo "FAILED: expected one path per ranking unit" >&2
  exit 1
fi
