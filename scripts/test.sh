#!/usr/bin/env bash
# The test command: installs what the tests need (apt packages, Python tools, pinned weights, example images),
# then runs the whole suite in release mode (numeric kernels are C and Swift loops that debug builds slow 10-50x).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
weights/setup.sh
[ -f example/make_images.py ] && python3 example/make_images.py
# The Hugging Face -> GGUF converter, end to end on a tiny random checkpoint (Python only, ~1 minute).
python3 tools/test_convert_qwen2.py weights/cache/qwen2.5-coder-0.5b-instruct.gguf
# The teacher converter, end to end on tiny official-layout checkpoints; leaves the teacher GGUFs the Swift
# teacher tests read (.build/teacher/{scorer,styler}-{int8,f32}.gguf, matching teacher_reference.json).
python3 tools/test_convert_mllm.py --keep .build/teacher
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing "$@"
