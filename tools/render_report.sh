#!/bin/sh
# Screenshot an `mmssr select --report DIR` page with headless Chromium, to check how it looks.
#   tools/render_report.sh REPORT_DIR [OUT.png] [WIDTH] [HEIGHT]
set -eu
dir=${1:?usage: render_report.sh REPORT_DIR [OUT.png] [WIDTH] [HEIGHT]}
out=${2:-$dir/screenshot.png}
width=${3:-1280}
height=${4:-2400}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "render_report.sh: no Chromium found (apt-get install -y chromium)" >&2; exit 1; }
page=$(cd "$dir" && pwd)/index.html
[ -f "$page" ] || { echo "render_report.sh: $page does not exist" >&2; exit 1; }
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$out" "file://$page" >/dev/null 2>&1
echo "$out"
