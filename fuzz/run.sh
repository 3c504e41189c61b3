#!/usr/bin/env bash
# libFuzzer harnesses for mmssr's parsers.
#
#   fuzz/run.sh NAME SECONDS       build fuzz/swift/NAME.swift (or fuzz/c/NAME.c) and fuzz it for SECONDS on one
#                                  core (nice 10), from fuzz/corpus/NAME; new inputs go to .build/fuzz/corpus/NAME,
#                                  crashes to .build/fuzz/findings/NAME
#   fuzz/run.sh NAME replay        run every file of fuzz/corpus/NAME once (what CI does: seconds)
#   fuzz/run.sh list               the harness names
#
# Swift harnesses: the library targets are built once with `-sanitize=fuzzer,address` (coverage plus
# AddressSanitizer) into .build/fuzz, then each harness is linked against their objects. C harnesses (the image
# shim alone) use clang's -fsanitize=fuzzer,address. Caps: -rss_limit_mb=2048, -malloc_limit_mb=512 (one
# allocation over 512 MB is a finding: no parser here needs one for a fuzz-sized input), -timeout=10 s per input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.build/fuzz
name=${1:?usage: fuzz/run.sh NAME SECONDS|replay, or fuzz/run.sh list}

if [ "$name" = list ]; then
    for f in "$root"/fuzz/swift/*.swift "$root"/fuzz/c/*.c; do
        b=$(basename "$f"); b=${b%.*}
        [ "$b" != Support ] && echo "$b"
    done
    exit 0
fi
mode=${2:?usage: fuzz/run.sh NAME SECONDS|replay}

build_swift_libraries() {
    # SwiftPM builds only the library targets here (the mmssr executable's main would clash with libFuzzer's).
    swift build -c release --build-path "$out/spm" --target Select \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
        -Xcc -fsanitize=fuzzer-no-link,address >"$out/spm-build.log" 2>&1 ||
        { tail -30 "$out/spm-build.log"; exit 1; }
}

binary=$out/bin/$name
mkdir -p "$out/bin"
if [ -f "$root/fuzz/swift/$name.swift" ]; then
    build_swift_libraries
    rel=$out/spm/release
    objects=()
    for t in Tensor Scorer Vision Select CBLAS CImage CText RealModule ComplexModule Numerics _NumericsShims; do
        [ -d "$rel/$t.build" ] && while IFS= read -r o; do objects+=("$o"); done < <(find "$rel/$t.build" -name '*.o')
    done
    # The C modules' maps: SwiftPM writes CBLAS's, CImage's and CText's; swift-numerics ships its shim's.
    modulemaps=()
    while IFS= read -r mm; do modulemaps+=(-Xcc "-fmodule-map-file=$mm"); done < <(
        find "$rel/" -maxdepth 2 -name module.modulemap -path "*/C*.build/*"
        find "$out/spm/checkouts/swift-numerics/Sources/_NumericsShims" -name module.modulemap)
    swiftc -O -sanitize=fuzzer,address -parse-as-library -I "$rel/Modules" "${modulemaps[@]}" \
        -Xcc -I"$root/Sources/CBLAS/include" -Xcc -I"$root/Sources/CImage/include" -Xcc -I"$root/Sources/CText/include" \
        "$root/fuzz/swift/Support.swift" "$root/fuzz/swift/$name.swift" "${objects[@]}" \
        -lopenblas -ljpeg -lpng16 -lm -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)
elif [ -f "$root/fuzz/c/$name.c" ]; then
    clang -O1 -g -fsanitize=fuzzer,address -I"$root/Sources/CImage/include" -I"$root/Sources/CImage" \
        "$root/fuzz/c/$name.c" "$root"/Sources/CImage/*.c -ljpeg -lpng16 -o "$binary"
else
    echo "no harness fuzz/swift/$name.swift or fuzz/c/$name.c" >&2
    exit 2
fi

corpus=$root/fuzz/corpus/$name
caps=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10)
if [ "$mode" = replay ]; then
    # libFuzzer runs each given file once and exits non-zero on a crash, leak, timeout or cap.
    files=("$corpus"/*)
    exec "$binary" "${caps[@]}" "${files[@]}"
fi
work=$out/corpus/$name findings=$out/findings/$name logs=$out/logs/$name
mkdir -p "$work" "$findings" "$logs"
# With -jobs libFuzzer runs the fuzzer in a child that logs to ./fuzz-0.log: run it from the log folder.
cd "$logs"
status=0
nice -n 10 "$binary" "${caps[@]}" -workers=1 -jobs=1 -max_total_time="$mode" -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "$corpus" || status=$?
cat "$logs/fuzz-0.log"
exit $status
