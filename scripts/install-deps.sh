#!/usr/bin/env bash
# Installs what mmssr needs to build and test on Debian: C libraries (apt) and the Python packages used by the
# weight converter, the fixtures and the cross-checks (pip). Idempotent: only missing pieces are installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(libopenblas-dev libjpeg-dev libpng-dev pkg-config)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing apt packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
reqs=("$root/weights/requirements-tools.txt")
[ -f "$root/example/requirements.txt" ] && reqs+=("$root/example/requirements.txt")
[ -f "$root/tools/requirements.txt" ] && reqs+=("$root/tools/requirements.txt")
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
if ! "$py" -m pip install -q --disable-pip-version-check "${args[@]}" 2>/tmp/mmssr-pip.log; then
    echo "error: pip could not install the Python tools (is PyPI reachable?); see /tmp/mmssr-pip.log" >&2
    exit 1
fi
