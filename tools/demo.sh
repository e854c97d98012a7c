#!/usr/bin/env bash
# The README's first command: install what is needed, build, and run the crew demo.
# Extra arguments go to crew_demo (e.g. --share-crew, --seed 7, --jsonl run.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh demo
[ -f build-demo/build.ninja ] || meson setup build-demo -Dtests=false -Dbenchmarks=false >/dev/null
ninja -C build-demo examples/crew_demo >/dev/null
exec ./build-demo/examples/crew_demo "$@"
