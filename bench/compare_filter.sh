#!/bin/bash
# dumpfilter against makedumpfile in one run: same input, same dump level, same codec, with
# wall time (median and best of REPS interleaved rounds), CPU time, output size, peak RSS,
# and dumpfilter's scaling from 1 to 2 threads. Then, unless SPARSE_TIB=0, the memory test:
# a synthetic ELF describing SPARSE_TIB TiB of mostly-zero memory (dumpgen), filtered at
# -d 1, whose peak RSS must stay within 64 MiB. Not part of the test run; see bench/README.md.
# usage: bench/compare_filter.sh INPUT [LEVEL=31] [CODEC=l] [REPS=5]
#   DUMPFILTER=path, DUMPGEN=path (tests/support dumpgen CLI), BENCH_DIR=scratch dir,
#   OUT_DIR=where the outputs go (default BENCH_DIR; /dev/shm leaves the disk out),
#   SPARSE_TIB=N (default 1; 0 skips), SPARSE_OUT=elf|kdump (default elf), SPARSE_HOLES=1
#   (dumpgen's file-hole ELF instead of PT_LOAD tails), SPARSE_TIMEOUT=seconds (holes only).
set -euo pipefail

input=${1:?usage: compare_filter.sh INPUT [LEVEL] [CODEC letter c|l|p|z] [REPS]}
level=${2:-31}
codec=${3:-l}
reps=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
dumpfilter=${DUMPFILTER:-$here/../build/tools/dumpfilter}
dumpgen=${DUMPGEN:-$(dirname "$dumpfilter")/../tests/support/dumpgen}
sparse_tib=${SPARSE_TIB:-1}
timebin=/usr/bin/time
for tool in "$dumpfilter" makedumpfile "$timebin"; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool (set DUMPFILTER=...; apt-get install makedumpfile time)" >&2
    exit 2
  }
done
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dumpfilter-bench.XXXXXX")}
mkdir -p "$work"
outdir=${OUT_DIR:-$work}
trap '[[ -z ${BENCH_DIR:-} ]] && rm -rf "$work"' EXIT

in_bytes=$(stat -c %s "$input")
echo "input: $input ($in_bytes bytes), -d $level -$codec, $reps rounds, $(nproc) CPUs"
echo "dumpfilter: $("$dumpfilter" --version 2>&1 | head -1)"
echo "makedumpfile: $(makedumpfile -v 2>&1 | head -1)"
echo "outputs in: $outdir ($(stat -f -c %T "$outdir"))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$input" >/dev/null  # warm the page cache: no job pays for a cold read

# name|command; @OUT@ is replaced by the output path.
jobs=(
  "makedumpfile|makedumpfile --message-level 0 -d $level -$codec $input @OUT@"
  "dumpfilter|$dumpfilter -q -d $level -$codec $input @OUT@"
  "dumpfilter-t1|$dumpfilter -q -d $level -$codec --num-threads 1 $input @OUT@"
  "dumpfilter-t2|$dumpfilter -q -d $level -$codec --num-threads 2 $input @OUT@"
)
declare -A wall cpu rss size
run_job() {  # run_job NAME COMMAND: appends wall and CPU seconds, keeps the highest RSS
  local name=$1 cmd=$2 out=$outdir/$1.out
  rm -f "$out"  # makedumpfile will not overwrite
  # Wall time from the shell's microsecond clock: time(1)'s %e has 10 ms steps, as long as
  # a whole -d 31 run on the corpus.
  local t0=$EPOCHREALTIME
  if ! $timebin -f '%e %U %S %M' -o "$work/time" ${cmd//@OUT@/$out} >"$work/$name.log" 2>&1; then
    echo "$name failed:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
  local t1=$EPOCHREALTIME w u s kb
  read -r w u s kb <"$work/time"
  wall[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}') "
  cpu[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') "
  [[ ${rss[$name]:-0} -ge $kb ]] || rss[$name]=$kb
  size[$name]=$(stat -c %s "$out")
  rm -f "$out"
}
# Rounds interleave the jobs so that changes in machine load hit all of them alike.
for ((r = 1; r <= reps; r++)); do
  for j in "${jobs[@]}"; do run_job "${j%%|*}" "${j#*|}"; done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
best() { tr ' ' '\n' | grep . | sort -g | head -1; }
echo
printf '%-14s %8s %8s %8s %10s %12s %9s %11s\n' job "wall s" "best s" "cpu s" "MB/s in" \
  "output B" "peak RSS" "speed/mdf"
ref=$(echo "${wall[makedumpfile]}" | median)
for j in "${jobs[@]}"; do
  n=${j%%|*}
  med=$(echo "${wall[$n]}" | median)
  printf '%-14s %8.3f %8.3f %8s %10.0f %12s %5s MiB %10.2fx\n' "$n" "$med" \
    "$(echo "${wall[$n]}" | best)" "$(echo "${cpu[$n]}" | median)" \
    "$(awk -v b="$in_bytes" -v t="$med" 'BEGIN {print (t > 0 ? b / t / 1e6 : 0)}')" \
    "${size[$n]}" "$((rss[$n] / 1024))" "$(awk -v a="$ref" -v b="$med" 'BEGIN {print (b > 0 ? a / b : 0)}')"
done
t1=$(echo "${wall[dumpfilter-t1]}" | median)
t2=$(echo "${wall[dumpfilter-t2]}" | median)
echo
awk -v a="$t1" -v b="$t2" 'BEGIN {printf "dumpfilter scaling 1 -> 2 threads: %.3f s -> %.3f s, %.2fx\n", a, b, (b > 0 ? a / b : 0)}'
echo "targets: speed/mdf >= 3x, scaling >= 1.8x, peak RSS <= makedumpfile's ($((rss[makedumpfile] / 1024)) MiB)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ $sparse_tib == 0 ]] && exit 0
if [[ ${SPARSE_HOLES:-0} == 1 && ! -x $dumpgen ]]; then
  echo "no dumpgen at $dumpgen (set DUMPGEN=): memory test skipped"
  exit 0
fi
# The memory test. dumpgen --sparse-tib writes the zero memory as file holes, which every
# reader must read back (at a few hundred MB/s here: hours for a TiB), so by default the ELF
# is written here instead, describing the zero memory as PT_LOAD tails (p_memsz > p_filesz,
# zero by the ELF rules) that cost no I/O: one pattern page every 32768 pages (128 MiB).
# SPARSE_HOLES=1 uses dumpgen's file-hole form (with SPARSE_TIMEOUT seconds, default 300).
echo
sparse=$work/sparse-${sparse_tib}t.elf
pages=$((sparse_tib << 28))
if [[ ${SPARSE_HOLES:-0} == 1 ]]; then
  "$dumpgen" --sparse-tib "$sparse_tib" "$sparse"
else
  python3 - "$sparse" "$sparse_tib" <<'PY'
import struct, sys
path, tib = sys.argv[1], int(sys.argv[2])
page, every = 4096, 32768
n = (tib << 40) // (page * every)                 # PT_LOADs, one data page each
note_name, desc = b"VMCOREINFO\0", b"OSRELEASE=6.1.0-sparse\nPAGESIZE=4096\n"
note = struct.pack("<III", len(note_name), len(desc), 0) + note_name.ljust(12, b"\0") + desc.ljust((len(desc) + 3) & ~3, b"\0")
phoff, phnum = 64, n + 1
note_off = phoff + 56 * phnum
data_off = (note_off + len(note) + page - 1) // page * page
with open(path, "wb") as f:
    f.write(b"\x7fELF" + bytes([2, 1, 1]) + bytes(9))
    f.write(struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, phoff, 0, 0, 64, 56, phnum, 0, 0, 0))
    f.write(struct.pack("<IIQQQQQQ", 4, 0, note_off, 0, 0, len(note), len(note), 0))
    for i in range(n):
        paddr = i * page * every
        f.write(struct.pack("<IIQQQQQQ", 1, 7, data_off + i * page, 0xffff888000000000 + paddr,
                            paddr, page, page * every, 0))
    f.write(note)
    f.seek(data_off)
    for i in range(n):
        f.write(struct.pack("<QQ", i + 1, 0x5a5a5a5a5a5a5a5a) * (page // 16))
PY
fi
sparse_out=${SPARSE_OUT:-elf}
flag=-E
[[ $sparse_out == kdump ]] && flag=-$codec
limit=()
[[ ${SPARSE_HOLES:-0} == 1 ]] && limit=(timeout "${SPARSE_TIMEOUT:-300}")
set +e
$timebin -f '%e %U %S %M' -o "$work/time" "${limit[@]}" "$dumpfilter" -q -d 1 $flag "$sparse" \
  "$work/sparse.out"
rc=$?
set -e
[[ $rc == 124 ]] && echo "(stopped after ${SPARSE_TIMEOUT:-300} s: peak RSS so far)"
read -r w u s kb <"$work/time"
echo "sparse ${sparse_tib} TiB ELF ($(stat -c %s "$sparse") bytes, $pages pages described)," \
  "-d 1 $flag: ${w} s wall, $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') s CPU," \
  "peak RSS $((kb / 1024)) MiB (target <= 64 MiB), output $(stat -c %s "$work/sparse.out" 2>/dev/null || echo -) bytes"
rm -f "$sparse" "$work/sparse.out"
