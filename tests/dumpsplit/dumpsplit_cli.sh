#!/bin/bash
# CLI behaviour of dumpsplit on dumpgen dumps: -n and --max-size sets whose pages equal the
# source (libdumpfmt's digest, and libkdumpfile/makedumpfile when installed), the size limit,
# balance and 64-PFN part starts, --reassemble of our sets and of dumpgen's (an independent
# writer), refused sets (missing, duplicated, overlapping, mismatched, damaged) with the part
# named, exact usage errors, no leftovers on failure, and the other tools reading a set.
# usage: dumpsplit_cli.sh DUMPSPLIT DUMPGEN DUMPDIGEST DUMPCONV DUMPINFO DUMPFILTER [PYTHON]
set -u
DUMPSPLIT=$1 DUMPGEN=$2 DUMPDIGEST=$3 DUMPCONV=$4 DUMPINFO=$5 DUMPFILTER=$6
PY=${7:-}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# shellcheck source=../lib/cli_checks.sh
source "$HERE/../lib/cli_checks.sh"
digest() { "$DUMPDIGEST" "$@" 2>/dev/null | sed -n 's/.*"digest_sha256(pfn_le64||page)": "\(.*\)".*/\1/p'; }
same_pages() {  # same_pages DESCRIPTION REF FILES...: libdumpfmt's digests are equal
  local what=$1 ref=$2
  shift 2
  local a b
  a=$(digest $ref)
  b=$(digest "$@")
  [[ -n $a && $a == "$b" ]] && ok || bad "$what: digest of $* [$b] differs from $ref [$a]"
}
have_lkdf=0
if [[ -n $PY ]] && "$PY" -c 'import kdumpfile' 2>/dev/null; then have_lkdf=1; fi
lkdf_same() {  # lkdf_same DESCRIPTION SOURCE PARTS...: libkdumpfile reads the set as SOURCE
  local what=$1
  shift
  [[ $have_lkdf == 1 ]] || return 0
  if "$PY" "$HERE/lkdf_set_check.py" --dumpdigest "$DUMPDIGEST" "$@" >lkdf.out 2>&1; then ok; else
    bad "$what: libkdumpfile: $(tail -5 lkdf.out)"
  fi
}
fsize() { stat -c %s "$1"; }
# part_starts: the PFN ranges dumpsplit reported (stderr summary), one "start end" per line.
part_ranges() { sed -n 's/.*: PFNs \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\),.*/\1 \2/p' err; }

gen=(--pages 3000 --range 9000:700 --range 20000:300 --zero-every 7 --random-every 5 --cpus 2)
"$DUMPGEN" --format elf "${gen[@]}" in.elf >/dev/null || { echo "dumpgen failed"; exit 1; }
"$DUMPGEN" --format kdump --codec lzo "${gen[@]}" --ram-only 4000:50 in.kdump >/dev/null
"$DUMPGEN" --format kdump --codec zstd "${gen[@]}" --split 3 gsplit >/dev/null
"$DUMPGEN" --format kdump --codec zstd "${gen[@]}" gwhole >/dev/null
"$DUMPGEN" --format kdump --codec zlib "${gen[@]}" --flattened in.flat >/dev/null
# Another dump, same machine and crash time (equal main header), other page contents and
# VMCOREINFO text of the same length: only the notes tell it apart.
printf 'OSRELEASE=6.1.0-dumpgen\nPAGESIZE=4096\nSYMBOL(x)=1111\n' >vmci.a
printf 'OSRELEASE=6.1.0-dumpgen\nPAGESIZE=4096\nSYMBOL(x)=2222\n' >vmci.b
"$DUMPGEN" --format elf "${gen[@]}" --vmcoreinfo vmci.a A.elf >/dev/null
"$DUMPGEN" --format elf "${gen[@]}" --vmcoreinfo vmci.b --seed 9 B.elf >/dev/null

# --- usage -----------------------------------------------------------------------------------
expect 0 "--help" -- "$DUMPSPLIT" --help
grep -q -- "--max-size SIZE INPUT... PREFIX" out && ok || bad "--help lacks synopsis"
expect 0 "--version" -- "$DUMPSPLIT" --version
grep -q "^dumpsplit .*codecs built in: zlib" out && ok || bad "--version: $(cat out)"
expect 2 "no arguments" -- "$DUMPSPLIT"
stderr_is "dumpsplit: error: give either -n N or --max-size SIZE" "no arguments"
expect 2 "-n and --max-size" -- "$DUMPSPLIT" -n 2 --max-size 1M in.elf x
stderr_is "dumpsplit: error: give either -n N or --max-size SIZE" "-n and --max-size"
expect 2 "-n 0" -- "$DUMPSPLIT" -n 0 in.elf x
expect 2 "-n 1001" -- "$DUMPSPLIT" -n 1001 in.elf x
expect 2 "too few names" -- "$DUMPSPLIT" -n 3 in.elf u1 u2
stderr_is "dumpsplit: error: need INPUT... and 3 part names (see --help)" "too few names"
expect 2 "-E when splitting" -- "$DUMPSPLIT" -E -n 2 in.elf u1 u2
stderr_is "dumpsplit: error: split parts are kdump-compressed files; -E, -f and -F apply to --reassemble" "-E when splitting"
expect 2 "bad size" -- "$DUMPSPLIT" --max-size 12Q in.elf x
stderr_is "dumpsplit: error: --max-size wants a size such as 100M, 4.7G or 1048576" "bad size"
expect 2 "two codecs" -- "$DUMPSPLIT" -l -z -n 2 in.elf u1 u2
stderr_is "dumpsplit: error: choose one codec (-c, -l, -p, -z or --codec)" "two codecs"
expect 2 "output is the input" -- "$DUMPSPLIT" -n 2 in.elf u1 in.elf
stderr_is "dumpsplit: error: in.elf is an input too; choose another output" "output is the input"
expect 2 "output twice" -- "$DUMPSPLIT" -n 3 in.elf u1 u2 u1
stderr_is "dumpsplit: error: u1 is named twice as an output" "output twice"
no_leftovers u "usage errors"
expect 1 "missing input" -- "$DUMPSPLIT" -n 2 nosuch u1 u2
stderr_has "nosuch" "missing input"
no_leftovers u "missing input"

# --- -n: pages equal the source, parts start at multiples of 64 PFNs -----------------------
expect 0 "-n 3 of ELF" -- "$DUMPSPLIT" -n 3 in.elf p1 p2 p3
same_pages "-n 3 of ELF" in.elf p1 p2 p3
same_pages "-n 3 any order" in.elf p3 p1 p2
lkdf_same "-n 3 of ELF" in.elf p1 p2 p3
[[ $(part_ranges | wc -l) == 3 ]] && ok || bad "-n 3 summary: $(cat err)"
while read -r a b; do
  (((a % 64) == 0)) && ok || bad "part starting at $a is not 64-PFN aligned"
done < <(part_ranges)
# Balanced page counts (makedumpfile --split's rule): 4000 pages, so about 1333 each.
for p in p1 p2 p3; do
  n=$("$DUMPDIGEST" "$p" 2>/dev/null | sed -n 's/.*"pages_present": \([0-9]*\).*/\1/p')
  ((n >= 1333 - 64 && n <= 1334 + 64)) && ok || bad "-n 3: $p holds $n pages"
done
for c in -c -l -p -z "--codec none"; do
  expect 0 "-n 2 $c" -- "$DUMPSPLIT" -q $c -n 2 in.kdump c1 c2
  same_pages "-n 2 $c of kdump" in.kdump c1 c2
done
lkdf_same "-n 2 of kdump with RAM left out" in.kdump c1 c2
expect 0 "re-split a dumpgen set" -- "$DUMPSPLIT" -q -n 2 gsplit.1 gsplit.2 gsplit.3 r1 r2
same_pages "re-split a dumpgen set" gwhole r1 r2
expect 0 "split a flattened file" -- "$DUMPSPLIT" -q -n 2 in.flat f1 f2
same_pages "split a flattened file" in.elf f1 f2
# More parts than 64-PFN windows with pages: the surplus parts are empty.
"$DUMPGEN" --format elf --pages 100 small.elf >/dev/null
expect 0 "-n 5 of 100 pages" -- "$DUMPSPLIT" -n 5 small.elf s1 s2 s3 s4 s5
same_pages "-n 5 of 100 pages" small.elf s1 s2 s3 s4 s5
lkdf_same "-n 5 of 100 pages" small.elf s1 s2 s3 s4 s5
[[ "$(part_ranges | tail -3)" == $'0x64 0x64\n0x64 0x64\n0x64 0x64' ]] && ok ||
  bad "-n 5 of 100 pages: $(part_ranges | tr '\n' ' ')"
# More parts than run at once (16, or one per CPU).
expect 0 "-n 40" -- "$DUMPSPLIT" -q -n 40 in.elf $(seq -f 'n%g' 1 40)
same_pages "-n 40" in.elf n*
# --parallel pages (one pipeline) writes the same bytes as parts (a pipeline per part).
expect 0 "--parallel pages" -- "$DUMPSPLIT" -q --parallel pages -n 3 in.elf q1 q2 q3
for i in 1 2 3; do cmp -s p$i q$i && ok || bad "--parallel pages: part $i differs"; done
expect 0 "--num-threads 1" -- "$DUMPSPLIT" -q --num-threads 1 -n 3 in.elf t1 t2 t3
for i in 1 2 3; do cmp -s p$i t$i && ok || bad "--num-threads 1: part $i differs"; done

# --- --max-size: every part <= SIZE, fewest parts, balanced ---------------------------------
expect 1 "--max-size too small" -- "$DUMPSPLIT" --max-size 4K in.elf m
stderr_has "dumpsplit: error: --max-size 4K is too small: every part repeats the header" \
  "--max-size too small"
no_leftovers m. "--max-size too small"
overhead=$(sed -n 's/.*descriptor table of the whole dump, \([0-9]*\) bytes.*/\1/p' err)
[[ -n $overhead ]] && ok || bad "no overhead in: $(cat err)"
expect 1 "--max-size below a window" -- "$DUMPSPLIT" --max-size $((overhead + 4096)) in.elf m
stderr_has "take" "--max-size below a window"
no_leftovers m. "--max-size below a window"
whole=$(
  "$DUMPSPLIT" -q -n 1 in.elf one >/dev/null 2>&1
  fsize one
)
payload=$((whole - overhead))
window=$((64 * 4096))  # parts start at 64-PFN windows, whose stored size is at most this
for parts in 2 3 5; do
  size=$((overhead + payload / parts + 8192))
  budget=$((size - overhead))
  rm -f m.*
  expect 0 "--max-size for $parts" -- "$DUMPSPLIT" -v --max-size $size in.elf m
  got=$(ls m.* | wc -l)
  # Not fewer than the payload needs; not more than filling each part to within a window
  # of the limit needs (the unit test checks the count is the minimum exactly).
  need=$(((payload + budget - 1) / budget))
  most=$(((payload + budget - window - 1) / (budget - window)))
  ((got >= need && got <= most)) && ok || bad "--max-size $size: $got parts, want $need..$most"
  lo=$size hi=0 sum=0
  for f in m.*; do
    s=$(fsize "$f")
    ((s <= size)) && ok || bad "--max-size $size: $f is $s bytes"
    ((s < lo)) && lo=$s
    ((s > hi)) && hi=$s
  done
  # Balanced: within two 64-page windows of stored data of each other.
  ((hi - lo <= 2 * 64 * 4096)) && ok || bad "--max-size $size: parts of $lo..$hi bytes"
  same_pages "--max-size $size" in.elf m.*
done
lkdf_same "--max-size" in.elf m.*
# A stale part of an earlier run is named.
touch m.$((got + 1))
expect 0 "--max-size stale part" -- "$DUMPSPLIT" --max-size $size in.elf m
stderr_has "m.$((got + 1)) is left from an earlier run and is not part of this set" "stale part"
rm -f m.$((got + 1))

# --- --reassemble -----------------------------------------------------------------------------
expect 0 "reassemble ours" -- "$DUMPSPLIT" -q --reassemble p1 p2 p3 r.kdump
same_pages "reassemble ours" in.elf r.kdump
"$DUMPINFO" r.kdump >info.txt 2>&1
grep -q "^Compression: *zlib" info.txt && ok || bad "reassembly keeps the parts' codec: $(cat info.txt)"
grep -q "split" info.txt && bad "reassembly is still a split part: $(grep split info.txt)" || ok
expect 0 "reassemble -E" -- "$DUMPSPLIT" -q --reassemble -E p3 p1 p2 r.elf
same_pages "reassemble -E" in.elf r.elf
expect 0 "reassemble -z" -- "$DUMPSPLIT" -q --reassemble -z c1 c2 rz.kdump
same_pages "reassemble -z" in.kdump rz.kdump
expect 0 "reassemble dumpgen's set" -- "$DUMPSPLIT" -q --reassemble gsplit.3 gsplit.1 gsplit.2 g.kdump
same_pages "reassemble dumpgen's set" gwhole g.kdump
lkdf_same "dumpgen's set reassembled" gwhole gsplit.1 gsplit.2 gsplit.3
expect 0 "reassemble -F to a pipe" -- bash -c "'$DUMPSPLIT' -q --reassemble -F p1 p2 p3 - | '$DUMPCONV' -q -R rf.kdump"
same_pages "reassemble -F" in.elf rf.kdump
if command -v makedumpfile >/dev/null; then
  # makedumpfile --reassemble joins our parts into the file our own reassembly is.
  makedumpfile --reassemble p1 p2 p3 mdf.kdump >mdf.log 2>&1 && ok || bad "makedumpfile --reassemble: $(tail -3 mdf.log)"
  cmp -s mdf.kdump r.kdump && ok || bad "makedumpfile --reassemble differs from ours"
  rm -f mdf.kdump
  makedumpfile --reassemble m.* mdf.kdump >mdf.log 2>&1 && ok || bad "makedumpfile --reassemble --max-size parts: $(tail -3 mdf.log)"
  same_pages "makedumpfile --reassemble of --max-size parts" in.elf mdf.kdump
  rm -f mdf.kdump
  makedumpfile --reassemble s1 s2 s3 s4 s5 mdf.kdump >mdf.log 2>&1 && ok || bad "makedumpfile --reassemble with empty parts: $(tail -3 mdf.log)"
  same_pages "makedumpfile --reassemble with empty parts" small.elf mdf.kdump
fi

# --- refused sets: the part is named, nothing is written --------------------------------------
refused() {  # refused RC DESCRIPTION TEXT PARTS...
  local rc=$1 what=$2 text=$3
  shift 3
  expect "$rc" "$what" -- "$DUMPSPLIT" --reassemble "$@" bad.kdump
  stderr_has "$text" "$what"
  no_leftovers bad.kdump "$what"
}
refused 1 "missing middle part" "no part holds PFNs" p1 p3
stderr_has "(before p3): a part of the split set is missing" "missing middle part"
refused 1 "missing last part" "(after p2): a part of the split set is missing" p1 p2
refused 1 "missing first part" "(before p2)" p2 p3
refused 2 "same file twice" "p2 and p2 are the same file: a part was given twice" p1 p2 p2 p3
cp p2 p2copy
refused 1 "a copy twice" "are the same split part" p1 p2 p2copy p3
"$DUMPSPLIT" -q -n 2 in.elf h1 h2
refused 1 "parts of two splits" "overlaps" p1 h2 p2
"$DUMPSPLIT" -q -n 3 A.elf a1 a2 a3
"$DUMPSPLIT" -q -n 3 B.elf b1 b2 b3
refused 1 "a part of another dump" "b2: ELF note area differs from a1's: the files are not parts of the same dump" a1 b2 a3
refused 1 "a part of another dump, other header" "header differs" p1 b2 p3
refused 1 "a whole dump among parts" "in.kdump: not a split dump part" p1 in.kdump
refused 1 "one part alone" "p2 holds only PFNs" p2
stderr_has "the other parts of the split set are missing" "one part alone"
refused 1 "a whole dump alone" "in.kdump: not a part of a split dump; give every part" in.kdump
refused 1 "an ELF among parts" "not a kdump dump like p1" p1 in.elf
# Damage: a part cut short, a part with bad page data.
head -c $(($(fsize p2) - 5000)) p2 >p2cut
refused 1 "truncated part" "dumpsplit: error: the input is incomplete: pages from PFN" p1 p2cut p3
stderr_has "(p2cut: 4 of 1344 pages are lost" "truncated part"
expect 3 "truncated part, --keep-going" -- "$DUMPSPLIT" -q --keep-going --reassemble p1 p2cut p3 kg.kdump
[[ -s kg.kdump ]] && ok || bad "--keep-going on a truncated part wrote nothing"
rm -f kg.kdump
cp p2 p2bad
off=$(($(fsize p2) - 20000))
printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' |
  dd of=p2bad bs=1 seek=$off conv=notrunc status=none
refused 1 "corrupt page data" "p2bad: offset" p1 p2bad p3
expect 3 "corrupt page data, --keep-going" -- "$DUMPSPLIT" -q --keep-going --reassemble p1 p2bad p3 kg.kdump
stderr_has "could not be read and were written as zeros" "--keep-going"
[[ -s kg.kdump ]] && ok || bad "--keep-going wrote nothing"
# Damaged input when splitting: nothing is left of the parts.
expect 1 "split a damaged set" -- "$DUMPSPLIT" -q -n 2 p1 p2bad p3 x1 x2
stderr_has "p2bad" "split a damaged set"
no_leftovers x "split a damaged set"

# --- the other tools take a set as one dump --------------------------------------------------
expect 0 "dumpinfo set" -- "$DUMPINFO" p1 p2 p3
grep -q "split set of 3 files" out && ok || bad "dumpinfo set: $(head -5 out)"
expect 0 "dumpinfo --verify set" -- "$DUMPINFO" --verify p3 p2 p1
expect 1 "dumpinfo refuses a broken set" -- "$DUMPINFO" p1 p3
stderr_has "a part of the split set is missing" "dumpinfo refuses a broken set"
expect 0 "dumpconv set" -- "$DUMPCONV" -q -l p1 p2 p3 conv.kdump
same_pages "dumpconv set" in.elf conv.kdump
expect 0 "dumpfilter set" -- "$DUMPFILTER" -q -d 1 p1 p2 p3 filt.kdump
expect 0 "dumpfilter source" -- "$DUMPFILTER" -q -d 1 in.elf filt-src.kdump
same_pages "dumpfilter set" filt-src.kdump filt.kdump

echo "dumpsplit_cli: $pass passed, $fail failed$([[ $have_lkdf == 0 ]] && echo " (libkdumpfile checks skipped: no python3-libkdumpfile)")"
((fail == 0))
