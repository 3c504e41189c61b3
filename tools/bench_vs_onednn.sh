#!/usr/bin/env bash
# mmssr's int8 GEMM beside oneDNN's (Debian's libdnnl-dev) on the bench gemm shapes, 1 and 2 threads, in one
# run. Installs libdnnl-dev if it is missing. Usage: tools/bench_vs_onednn.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -e /usr/include/dnnl.h ]; then
    echo "installing libdnnl-dev (oneDNN) for the comparison"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libdnnl-dev > /dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src="$root/Sources/CBLAS"
# -O2 as SwiftPM builds the C target in release.
clang -O2 -I"$src/include" -I"$src" "$src"/qgemm_*.c "$src"/amx.c "$root/tools/bench_vs_onednn.c" \
    -o "$out/bench" -ldnnl -lpthread -lm
cores=$(nproc)
((cores <= 8)) || cores=8  # the harness splits rows over at most 8 threads
counts=1
((cores == 1)) || counts="1 $cores"
for threads in $counts; do
    # Passive: idle OpenMP workers sleep instead of spinning on the core the next product needs.
    OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive "$out/bench" "$threads"
    echo
done
