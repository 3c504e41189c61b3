#!/usr/bin/env bash
# Scores a pool as a Slurm job array, one `mmssr score --shard I/N --resume` (or `mmssr teach`) per array task,
# then merges.
#
#   N=64 POOL=/shared/pool.json IMAGES=/shared/images SHARD_DIR=/shared/run1 MMSSR=/shared/bin/mmssr \
#     sbatch --array=0-63 --cpus-per-task=16 tools/slurm_score.sh            # prints: Submitted batch job JOBID
#   OUT=/shared/scores.parquet N=64 POOL=/shared/pool.json SHARD_DIR=/shared/run1 MMSSR=/shared/bin/mmssr \
#     sbatch --dependency=afterok:JOBID tools/slurm_score.sh merge
#
# --array=0-(N-1) must match N. Shard I writes $SHARD_DIR/shard-I-of-N.$EXT (EXT: parquet, csv or jsonl;
# default parquet) with its checkpoint beside it, so a requeued or resubmitted task (`scontrol requeue`,
# or the same sbatch again: finished shards exit at once) continues where it stopped. The merge job runs only
# when every array task succeeded (afterok) and writes the table one `mmssr score` would have written.
# Optional: MODEL (model file), FP32=1, BATCH, LIMIT (same for every shard), THREADS (default: the CPUs Slurm
# gave the task). SCORER (and STYLER, MAX_NEW_TOKENS) run the teacher, `mmssr teach`, instead of the student:
# give each task a whole node (a 7B teacher takes ~10 GB; --cpus-per-task = its cores).
#SBATCH --job-name=mmssr-score
#SBATCH --requeue
#SBATCH --output=mmssr-%A_%a.log
set -euo pipefail
: "${N:?set N, the number of shards}" "${SHARD_DIR:?set SHARD_DIR, a folder on shared storage}"
MMSSR=${MMSSR:-mmssr}
EXT=${EXT:-parquet}

if [ "${1:-}" = merge ]; then
    : "${OUT:?set OUT, the merged table}"
    shards=()
    for ((i = 0; i < N; i++)); do shards+=("$SHARD_DIR/shard-$i-of-$N.$EXT"); done
    exec "$MMSSR" merge "${shards[@]}" -o "$OUT" --pool "${POOL:?set POOL}"
fi

: "${POOL:?set POOL}" "${IMAGES:?set IMAGES}" "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=0-$((N - 1))}"
i=$SLURM_ARRAY_TASK_ID
table="$SHARD_DIR/shard-$i-of-$N.$EXT"
if [ -f "$table" ]; then
    echo "$table exists: shard $i/$N is done"
    exit 0
fi
mkdir -p "$SHARD_DIR"
args=("$POOL" --images "$IMAGES" -o "$table" --shard "$i/$N" --resume --threads "${THREADS:-${SLURM_CPUS_PER_TASK:-$(nproc)}}")
command=score
if [ -n "${SCORER:-}" ]; then
    [ -n "${MODEL:-}" ] && { echo "error: MODEL is the student's and SCORER the teacher's: set one" >&2; exit 2; }
    command=teach
    args+=(--scorer "$SCORER")
    [ -n "${STYLER:-}" ] && args+=(--styler "$STYLER")
    [ -n "${MAX_NEW_TOKENS:-}" ] && args+=(--max-new-tokens "$MAX_NEW_TOKENS")
elif [ -n "${STYLER:-}${MAX_NEW_TOKENS:-}" ]; then
    echo "error: STYLER and MAX_NEW_TOKENS need SCORER" >&2
    exit 2
fi
[ -n "${MODEL:-}" ] && args+=(--model "$MODEL")
[ -n "${BATCH:-}" ] && args+=(--batch "$BATCH")
[ -n "${LIMIT:-}" ] && args+=(--limit "$LIMIT")
[ "${FP32:-0}" = 1 ] && args+=(--fp32)
exec "$MMSSR" "$command" "${args[@]}"
