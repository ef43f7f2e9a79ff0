#!/bin/bash
# Runs libFuzzer targets (a DUMPFMT_BUILD_FUZZ=ON build) for a while each, starting from the
# committed seeds; new inputs go to a scratch corpus, crashes to fuzz/crashes/<target>/.
# usage: FUZZ_BIN_DIR=build-fuzz/fuzz fuzz/run.sh TARGET|all [SECONDS]
#   FUZZ_RUNS=N also stops a target after N executions (a campaign: FUZZ_RUNS=10000000 with a
#   generous SECONDS); FUZZ_JOBS=N fuzzes N targets at once (one core each).
#   Each target's last lines (executions, new inputs, peak RSS) go to stdout.
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
runs=()
[[ -n ${FUZZ_RUNS:-} ]] && runs=(-runs="$FUZZ_RUNS")
fuzz_one() {  # fuzz_one TARGET: one target's run; non-zero on a finding
  local t=$1 work=$bin/run/$1
  [[ -x $bin/$t ]] || { echo "no $bin/$t: build with -DDUMPFMT_BUILD_FUZZ=ON" >&2; return 2; }
  mkdir -p "$work/corpus" "$here/crashes/$t"
  local t0=$SECONDS
  if ! "$bin/$t" -max_total_time="$secs" "${runs[@]}" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$here/crashes/$t/" -print_final_stats=1 \
      "$work/corpus" "$here/corpus/$t" 2>"$work/log"; then
    echo "!! $t failed after $((SECONDS - t0)) s; see $work/log and $here/crashes/$t/"
    tail -40 "$work/log"
    return 1
  fi
  echo "== $t: $((SECONDS - t0)) s, $(grep -hE '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' \
    "$work/log" | sed 's/^stat:://' | tr -s ' ' | tr '\n' ' ')"
}
rc=0
if [[ ${FUZZ_JOBS:-1} -gt 1 ]]; then
  export -f fuzz_one
  export bin here secs
  export runs_flag="${runs[*]}"
  # shellcheck disable=SC2016
  printf '%s\n' $targets | xargs -P "$FUZZ_JOBS" -I{} bash -c \
    'runs=($runs_flag); fuzz_one "$1"' _ {} || rc=1
else
  for t in $targets; do fuzz_one "$t" || rc=1; done
fi
exit $rc
