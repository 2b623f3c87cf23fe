#!/bin/bash
# demo.sh: builds netiquetted and runs the main job on this machine.
# Until the daemon lands, the main job is the rule engine: it checks the
# shipped rules and classifies a bundled sample of German comments with an
# explanation of every decision.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh demo
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target netiquettectl >/dev/null
build/netiquettectl rules check rules
build/netiquettectl classify --rules rules --explain < tests/fixtures/sample-comments.txt
