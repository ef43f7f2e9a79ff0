#!/bin/bash
# dumpconv against makedumpfile on the same ELF vmcore, side by side in one run: wall time,
# output size and peak RSS (GNU time) for zlib (-c) and lzo (-l) kdump output at dump level 0,
# then dumpconv's thread scaling. Not part of the test run; see bench/README.md.
# usage: bench/compare_makedumpfile.sh INPUT.elf [REPETITIONS]
#   DUMPCONV=path (default: build/tools/dumpconv next to this repo), BENCH_DIR=scratch dir.
set -euo pipefail

input=${1:?usage: compare_makedumpfile.sh INPUT.elf [REPETITIONS]}
reps=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
dumpconv=${DUMPCONV:-$here/../build/tools/dumpconv}
timebin=/usr/bin/time
for tool in "$dumpconv" makedumpfile "$timebin"; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool (DUMPCONV=..., apt-get install makedumpfile time)" >&2
    exit 2
  }
done
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dumpfmt-bench.XXXXXX")}
mkdir -p "$work"
trap '[[ -z ${BENCH_DIR:-} ]] && rm -rf "$work"' EXIT

in_bytes=$(stat -c %s "$input")
cores=$(nproc)
echo "input: $input ($in_bytes bytes), $reps repetitions, $cores CPUs"
echo "dumpconv: $("$dumpconv" --version 2>&1 | head -1)"
echo "makedumpfile: $(makedumpfile -v 2>&1 | head -1)"
cat "$input" >/dev/null  # warm the page cache so the first job pays no cold read

# Jobs: name | command (@OUT@ is the output path; paths must not contain spaces).
jobs=(
  "mdf-c|makedumpfile -c -d 0 $input @OUT@"
  "dumpconv-c|$dumpconv --quiet -c $input @OUT@"
  "mdf-l|makedumpfile -l -d 0 $input @OUT@"
  "dumpconv-l|$dumpconv --quiet -l $input @OUT@"
  "dumpconv-l-t1|$dumpconv --quiet -l --num-threads 1 $input @OUT@"
  "dumpconv-l-t2|$dumpconv --quiet -l --num-threads 2 $input @OUT@"
)

declare -A walls rss size
# Interleaved rounds (every job once per round) so drift in machine load hits all jobs alike.
for ((r = 1; r <= reps; r++)); do
  for j in "${jobs[@]}"; do
    name=${j%%|*}
    cmd=${j#*|}
    out=$work/$name.out
    rm -f "$out"  # makedumpfile refuses to overwrite
    t0=$EPOCHREALTIME  # the shell's microsecond clock: time(1)'s %e has 10 ms steps
    if ! $timebin -f '%e %M' -o "$work/time" ${cmd//@OUT@/$out} >"$work/$name.log" 2>&1; then
      echo "$name failed:" >&2
      cat "$work/$name.log" >&2
      exit 1
    fi
    t1=$EPOCHREALTIME
    read -r _ kb <"$work/time"
    walls[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}') "
    [[ ${rss[$name]:-0} -ge $kb ]] || rss[$name]=$kb
    size[$name]=$(stat -c %s "$out")
    rm -f "$out"
  done
  echo "round $r/$reps done"
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
minimum() { tr ' ' '\n' | grep . | sort -g | head -1; }
declare -A med
for j in "${jobs[@]}"; do
  name=${j%%|*}
  med[$name]=$(echo "${walls[$name]}" | median)
done

echo
printf '%-15s %9s %9s %9s %14s %11s %10s %10s\n' job "median s" "min s" "MB/s" "output bytes" "peak RSS" "time/mdf" "size/mdf"
for j in "${jobs[@]}"; do
  name=${j%%|*}
  ref=mdf-${name#dumpconv-}
  ref=${ref%-t[0-9]*}
  mn=$(echo "${walls[$name]}" | minimum)
  mbs=$(awk -v b="$in_bytes" -v t="${med[$name]}" 'BEGIN {printf "%.0f", (t > 0) ? b / t / 1e6 : 0}')
  if [[ $name == dumpconv-* ]]; then
    tr=$(awk -v a="${med[$name]}" -v b="${med[$ref]}" 'BEGIN {printf "%.2fx", (b > 0) ? a / b : 0}')
    sr=$(awk -v a="${size[$name]}" -v b="${size[$ref]}" 'BEGIN {printf "%.3fx", a / b}')
  else
    tr=- sr=-
  fi
  printf '%-15s %9s %9s %9s %14s %8s MiB %10s %10s\n' "$name" "${med[$name]}" "$mn" "$mbs" \
    "${size[$name]}" "$((rss[$name] / 1024))" "$tr" "$sr"
done
echo
awk -v a="${med[dumpconv-l-t1]}" -v b="${med[dumpconv-l-t2]}" 'BEGIN {
  printf "dumpconv -l --num-threads 1 vs 2: %.2f s vs %.2f s, speed-up %.2fx\n", a, b, (b > 0) ? a / b : 0 }'
