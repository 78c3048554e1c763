#!/usr/bin/env bash
# Refresh the Plotly bundle the HTML report embeds: plotly.js's official "basic" partial bundle
# (scatter, bar and pie: every trace type the report draws), MIT-licensed, from the npm registry.
# The full bundle that the plotly Python package carries is 4.8 MB; this one is 1.1 MB.
# Usage: bash scripts/vendor_plotly.sh [VERSION]   (default 3.7.0, the newest 3.x like plotly.py 7's)
set -euo pipefail
version="${1:-3.7.0}"
target="$(cd "$(dirname "$0")/.." && pwd)/materiel/report/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "plotly.js-basic-dist-min@$version" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/plotly-basic.min.js" "$target/plotly-basic.min.js"
cp "$work/package/LICENSE" "$target/plotly-basic.LICENSE"
echo "materiel/report/vendor: plotly.js basic $version ($(wc -c < "$target/plotly-basic.min.js") bytes)"
