#!/usr/bin/env bash
# Teacher -> student -> selection in one go (docs/distillation.md):
#   1. `mmssr teach` labels a deterministic sample of the pool (shard 0 of --every) with the official scorer
#      (and styler);
#   2. `mmssr embed` computes the student's features for the same items;
#   3. `mmssr fit` distils the student's heads from the teacher's table;
#   4. `mmssr score` scores the whole pool with the fitted student;
#   5. `mmssr select` picks the subset.
#
#   scripts/distill.sh POOL IMAGES OUT_DIR --scorer FILE [--styler FILE] [--every 50] [--budget 0.3]
#                      [--max-new-tokens N] [--teach-limit N]
# Everything lands in OUT_DIR: teacher.parquet (+ teacher/ official folder), sample.mmfeat, fitted.gguf,
# fit-metrics.json, scores.parquet, subset.json. Each step is resumable: a finished output is kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MMSSR:-$root/.build/release/mmssr}
pool=${1:?usage: scripts/distill.sh POOL IMAGES OUT_DIR --scorer FILE [--styler FILE] [--every N] [--budget B]}
images=${2:?images folder}
out=${3:?output folder}
shift 3
scorer="" styler="" every=50 budget=0.3 teach_extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --scorer) scorer=$2; shift 2 ;;
        --styler) styler=$2; shift 2 ;;
        --every) every=$2; shift 2 ;;
        --budget) budget=$2; shift 2 ;;
        --max-new-tokens) teach_extra+=(--max-new-tokens "$2"); shift 2 ;;
        --teach-limit) teach_extra+=(--limit "$2"); shift 2 ;;
        *) echo "distill.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$scorer" ] || { echo "distill.sh: --scorer FILE is required" >&2; exit 2; }
[ -x "$bin" ] || { echo "distill.sh: $bin missing: swift build -c release" >&2; exit 2; }
mkdir -p "$out"
step() { echo "distill.sh: $*" >&2; }

if [ ! -f "$out/teacher.parquet" ]; then
    step "1/5 teach shard 0/$every"
    "$bin" teach "$pool" --images "$images" --scorer "$scorer" ${styler:+--styler "$styler"} --shard "0/$every" \
        -o "$out/teacher.parquet" --mmssr-folder "$out/teacher" --resume "${teach_extra[@]}"
fi
if [ ! -f "$out/sample.mmfeat" ]; then
    step "2/5 embed shard 0/$every"
    "$bin" embed "$pool" --images "$images" --shard "0/$every" -o "$out/sample.mmfeat" --resume
fi
if [ ! -f "$out/fitted.gguf" ]; then
    step "3/5 fit"
    "$bin" fit --features "$out/sample.mmfeat" --labels "$out/teacher.parquet" -o "$out/fitted.gguf" --report "$out/fit-metrics.json"
fi
if [ ! -f "$out/scores.parquet" ]; then
    step "4/5 score the pool with the fitted student"
    "$bin" score "$pool" --images "$images" --model "$out/fitted.gguf" -o "$out/scores.parquet" --resume
fi
step "5/5 select (budget $budget)"
"$bin" select "$out/scores.parquet" --pool "$pool" --budget "$budget" -o "$out/subset.json"
