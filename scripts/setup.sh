#!/usr/bin/env bash
# The setup command: installs what mmssr needs, fetches and converts the pinned weights, generates the example
# images, builds, then runs the main job on the bundled example: score the pool, select 30%, and print the
# default heads' quality beside the regex baseline, on the example and on the held-out realistic set's dev and
# test splits. Outputs land in out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
weights/setup.sh
python3 example/make_images.py
python3 example/realistic/make_images.py
swift build -c release
bin=.build/release/mmssr
mkdir -p out
$bin score example/pool.json --images example/images -o out/example_scores.parquet --mmssr-folder out/example_mmssr
$bin select out/example_scores.parquet --pool example/pool.json --budget 0.3 -o out/example_subset.json --report out/example_report
$bin evaluate example/pool.json --labels example/labels.json --images example/images --compare-fp32
echo
echo "held-out realistic set (example/realistic: dev tuned on, test report-only):"
$bin evaluate --realistic example/realistic --compare-fp32
echo
echo "scores:  out/example_scores.parquet (official layout: out/example_mmssr/)"
echo "subset:  out/example_subset.json (manifest beside it), report: out/example_report/index.html"
