#!/usr/bin/env bash
# First README command: install what is missing, build, and run megdns in the foreground on
# the default config (127.0.0.1 and ::1, port 5353, example views and zones). megdns-control
# is built too: the default config's control socket is for it (build/megdns-control).
set -euo pipefail
cd "$(dirname "$0")/.."
contrib/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target megdns megdns-control
exec build/megdns -c "${1:-config/megdns.yaml}"
