#!/bin/bash
# Runs libFuzzer targets (a DUMPFMT_BUILD_FUZZ=ON build) for a while each, starting from the
# committed seeds; new inputs go to a scratch corpus, crashes to fuzz/crashes/<target>/.
# usage: FUZZ_BIN_DIR=build-fuzz/fuzz fuzz/run.sh TARGET|all [SECONDS]
#   A crash found: minimise it (TARGET -minimize_crash=1 FILE), copy it into
#   fuzz/corpus/TARGET/ with a descriptive name, fix the bug; the regression ctest keeps it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${FUZZ_BIN_DIR:-$here/../build-fuzz/fuzz}
what=${1:?TARGET or all}
secs=${2:-60}
if [[ $what == all ]]; then
  targets=$(cd "$here" && ls fuzz_*.cpp | sed 's/\.cpp$//')
else
  targets=$what
fi
rc=0
for t in $targets; do
  [[ -x $bin/$t ]] || { echo "no $bin/$t: build with -DDUMPFMT_BUILD_FUZZ=ON" >&2; exit 2; }
  work=$bin/run/$t
  mkdir -p "$work/corpus" "$here/crashes/$t"
  echo "== $t for $secs s"
  if ! "$bin/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$here/crashes/$t/" -print_final_stats=1 \
      "$work/corpus" "$here/corpus/$t" 2>"$work/log"; then
    echo "!! $t failed; see $work/log and $here/crashes/$t/"
    tail -40 "$work/log"
    rc=1
  else
    grep -E '^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE' "$work/log" || true
  fi
done
exit $rc
