#!/usr/bin/env bash
# mmssr's int8 GEMM beside oneDNN's (Debian's libdnnl-dev) on the bench gemm shapes, 1 and 2 threads, in one
# run. Installs libdnnl-dev if it is missing. Usage: tools/bench_vs_onednn.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -e /usr/include/dnnl.h ]; then
    echo "installing libdnnl-dev (oneDNN) for the comparison"
    apt-get install -y -qq libdnnl-dev > /dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src="$root/Sources/CBLAS"
# -O2 as SwiftPM builds the C target in release.
clang -O2 -I"$src/include" -I"$src" "$src"/qgemm_*.c "$src"/amx.c "$root/tools/bench_vs_onednn.c" \
    -o "$out/bench" -ldnnl -lpthread -lm
for threads in 1 $(nproc); do
    # Passive: idle OpenMP workers sleep instead of spinning on the core the next product needs.
    OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive "$out/bench" "$threads"
    echo
done
