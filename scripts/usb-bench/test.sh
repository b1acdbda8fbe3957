#!/usr/bin/env bash
# The real-USB test tier (npm run test:usb, after npm run build): boots the
# bench VM once and runs test-usb/*.vm.js inside it with node's test runner.
# Exits 77 with the reason when this machine cannot run the bench.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_REPO"
"$BENCH_DIR/prepare.sh" || exit $?
[ -f dist/index.js ] || die "dist/ is missing: run npm run build first"
# One file at a time: the files share the two dummy UDCs and GadgetFS.
exec "$BENCH_DIR/run.sh" node --test --test-concurrency=1 --test-reporter=spec test-usb/*.vm.js
