#!/usr/bin/env bash
# The test command: installs what the tests need (apt packages, Python tools, pinned weights, example images),
# then runs the whole suite in release mode (numeric kernels are C and Swift loops that debug builds slow 10-50x).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
weights/setup.sh
[ -f example/make_images.py ] && python3 example/make_images.py
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing "$@"
