#!/bin/sh
# Builds and runs tools/bench_sgemm.c (mmssr_sgemm vs OpenBLAS sgemm, one thread). OPENBLAS_CORETYPE picks
# OpenBLAS's kernels as usual.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
clang -O2 -I"$here/Sources/CBLAS/include" "$here/tools/bench_sgemm.c" "$here/Sources/CBLAS/sgemm.c" -lopenblas -lm -o "$out/bench_sgemm"
"$out/bench_sgemm" "$@"
