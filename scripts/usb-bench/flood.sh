#!/usr/bin/env bash
# The bridge flood (npm run flood:usb -- [--commands N] [--minutes M] [--only TEXT], after
# npm run build): boots the bench VM once and runs flood.vm.js in it, which
# prints a line per command and ends with 'N passed, M failed'. Without a
# bound it runs 7 minutes. Exits 77 with the reason when this machine cannot
# run the bench; FLASHDATA_BENCH_KEEP=1 keeps the run directory (bridge log).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_REPO"
"$BENCH_DIR/prepare.sh" || exit $?
[ -f dist/index.js ] || die "dist/ is missing: run npm run build first"
exec "$BENCH_DIR/run.sh" node scripts/usb-bench/flood.vm.js "$@"
