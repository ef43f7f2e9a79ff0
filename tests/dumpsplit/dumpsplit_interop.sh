#!/bin/bash
# dumpsplit on the real corpus against independent readers and writers: libkdumpfile reads our
# sets page for page as the source, makedumpfile --reassemble joins them into what our
# --reassemble makes, crash analyses them like the source, our --reassemble joins
# makedumpfile's own --split set, --max-size parts stay under the limit, and every tool takes a
# set as one dump. One case per ctest.
# usage: dumpsplit_interop.sh CASE   (environment from tests/dumpsplit/CMakeLists.txt:
#   DUMPSPLIT DUMPCONV DUMPINFO DUMPFILTER DUMPSCRUB DUMPDIGEST PY CORPUS REF WORK HERE INTEROP;
#   optional VMLINUX)
# Exit 77 = skipped (ctest SKIP_RETURN_CODE), with the reason printed.
set -euo pipefail

case_name=${1:?case}
: "${DUMPSPLIT:?}" "${DUMPCONV:?}" "${DUMPINFO:?}" "${DUMPFILTER:?}" "${DUMPSCRUB:?}"
: "${DUMPDIGEST:?}" "${PY:?}" "${CORPUS:?}" "${REF:?}" "${WORK:?}" "${HERE:?}" "${INTEROP:?}"
VMLINUX=${VMLINUX:-/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64}

elf=$CORPUS/proc-vmcore.elf
qelf=$CORPUS/qemu-elf.vmcore
qflat=$CORPUS/qemu-kdump-zlib.flat
d=$CORPUS/derived
mdf_split=("$d/mdf-split-c-d31.1" "$d/mdf-split-c-d31.2" "$d/mdf-split-c-d31.3")

w=$WORK/$case_name
# shellcheck source=../lib/case_workdir.sh
source "$HERE/../lib/case_workdir.sh"
enter_case_workdir "${w}"

split() {
  local t=$SECONDS
  echo "+ dumpsplit $*"
  "$DUMPSPLIT" --quiet "$@"
  echo "  ($((SECONDS - t)) s)"
}
# lkdf_set SOURCE PART...: libkdumpfile (C API file set) reads the parts as libdumpfmt reads SOURCE.
lkdf_set() { "$PY" "$HERE/lkdf_set_check.py" --dumpdigest "$DUMPDIGEST" "$@"; }
# compare A B: lkdf_compare.py of tests/interop (PATH = libkdumpfile, ours:PATH = libdumpfmt).
compare() { "$PY" "$INTEROP/lkdf_compare.py" --dumpdigest "$DUMPDIGEST" "$@"; }
digest() { "$DUMPDIGEST" "$@" | sed -n 's/.*"digest_sha256(pfn_le64||page)": "\(.*\)".*/\1/p'; }
same_digest() {  # same_digest WHAT REF FILES...
  local what=$1 ref=$2
  shift 2
  local a b
  a=$(digest $ref)
  b=$(digest "$@")
  if [[ -z $a || $a != "$b" ]]; then
    echo "MISMATCH: $what: pages of $* ($b) differ from $ref ($a)"
    return 1
  fi
  echo "same pages: $what ($a)"
}
mdf_reassemble() {  # mdf_reassemble OUT PART...
  local out=$1
  shift
  echo "+ makedumpfile --reassemble $* $out"
  if ! makedumpfile --reassemble "$@" "$out" >mdf.log 2>&1; then
    cat mdf.log
    return 1
  fi
}
need_vmlinux() {
  if [[ ! -r $VMLINUX ]]; then
    echo "SKIP: $VMLINUX is not installed (Debian package linux-image-6.1.0-56-cloud-amd64-dbg)"
    exit 77
  fi
}
# within_limit SIZE FILE...: every file <= SIZE bytes; sizes printed.
within_limit() {
  local size=$1 lo= hi=0
  shift
  for f in "$@"; do
    local s
    s=$(stat -c %s "$f")
    echo "  $f: $s bytes"
    if ((s > size)); then
      echo "MISMATCH: $f is $s bytes, over the limit of $size"
      return 1
    fi
    if [[ -z $lo ]] || ((s < lo)); then lo=$s; fi
    ((s > hi)) && hi=$s
  done
  echo "all $# parts <= $size bytes; sizes $lo..$hi"
}
# crash_like_source PART...: crash's sys, log, ps, bt and kmem -i output on the set equals its
# output on the source (reference/crash.txt), apart from the dump file lines.
crash_like_source() {
  local cmds=$REF/crash-commands.txt
  echo "+ crash -s vmlinux $* < crash-commands.txt"
  if ! timeout 900 crash -s "$VMLINUX" "$@" <"$cmds" >crash.out 2>&1; then
    cat crash.out
    return 1
  fi
  # A set shows its files as "DUMPFILES: p1 [PARTIAL DUMP]" and one further line per part.
  filter() { grep -v -e 'DUMPFILE' -e '^ *[^ ]* \[PARTIAL DUMP\]$'; }
  if ! diff -u <(filter <"$REF/proc-vmcore.elf/crash.txt") <(filter <crash.out) >crash.diff; then
    head -40 crash.diff
    echo "MISMATCH: crash says something else about the set than about the source"
    return 1
  fi
  grep -m1 -A3 'DUMPFILES' crash.out || true
  echo "crash output on the set equals reference/crash.txt ($(wc -l <crash.out) lines)"
}

case $case_name in
  # --- libkdumpfile reads our sets -----------------------------------------------------------
  lkdf-n3-elf)
    split -n 3 "$elf" p1 p2 p3
    lkdf_set "$elf" p1 p2 p3 ;;
  lkdf-n4-qemu-elf-zstd)
    split -z -n 4 "$qelf" p1 p2 p3 p4
    lkdf_set "$qelf" p1 p2 p3 p4 ;;
  lkdf-maxsize-qemu-flat-lzo)
    split -l --max-size 12M "$qflat" part
    within_limit $((12 << 20)) part.*
    lkdf_set "$qflat" part.* ;;

  # --- makedumpfile --reassemble of our parts --------------------------------------------------
  mdf-reassemble-n3)
    split -l -n 3 "$elf" p1 p2 p3
    mdf_reassemble mdf.kdump p1 p2 p3
    split --reassemble p1 p2 p3 ours.kdump
    compare mdf.kdump ours.kdump  # both read by libkdumpfile
    compare mdf.kdump "ours:$elf"  # libkdumpfile on the join, libdumpfmt on the source
    if cmp -s mdf.kdump ours.kdump; then echo "byte-identical: makedumpfile's and our reassembly"; fi ;;
  mdf-reassemble-maxsize)
    split --max-size 20M "$elf" part
    within_limit $((20 << 20)) part.*
    mdf_reassemble mdf.kdump part.*
    split --reassemble part.* ours.kdump
    compare mdf.kdump ours.kdump
    compare mdf.kdump "ours:$elf" ;;  # libkdumpfile on the join, libdumpfmt on the source

  # --- our --reassemble of makedumpfile's --split set -----------------------------------------
  ours-reassemble-mdf-split)
    split --reassemble "${mdf_split[2]}" "${mdf_split[0]}" "${mdf_split[1]}" ours.kdump
    compare "$d/mdf-c-d31.kdump" ours.kdump
    mdf_reassemble mdf.kdump "${mdf_split[@]}"
    compare mdf.kdump ours.kdump
    split --reassemble -E "${mdf_split[@]}" ours.elf
    compare "$d/mdf-c-d31.kdump" ours.elf ;;
  ours-resplit-mdf-split)  # makedumpfile's 3 parts into 2 of ours, libkdumpfile reads them
    split -n 2 "${mdf_split[@]}" p1 p2
    lkdf_set "$d/mdf-c-d31.kdump" p1 p2 ;;

  # --- crash on our sets ------------------------------------------------------------------------
  crash-n3)
    need_vmlinux
    split -n 3 "$elf" p1 p2 p3
    crash_like_source p1 p2 p3 ;;
  crash-maxsize-zstd)
    need_vmlinux
    split -z --max-size 16M "$elf" part
    within_limit $((16 << 20)) part.*
    crash_like_source part.* ;;

  # --- the size limit on real data: every codec, balanced, the overhead refused ---------------
  maxsize-limits)
    for c in -c -l -p -z; do
      for size in 8M 30M; do
        rm -f part.*
        split $c --max-size $size "$elf" part
        within_limit "$(numfmt --from=iec "$size")" part.*
      done
    done
    same_digest "--max-size parts" "$elf" part.*
    if "$DUMPSPLIT" -q --max-size 1M "$elf" small 2>err.txt; then
      echo "MISMATCH: --max-size 1M was accepted (each part repeats about 2 MB of tables)"
      exit 1
    fi
    cat err.txt
    grep -q "too small: every part repeats the header" err.txt ;;

  # --- every tool takes a set as one dump ------------------------------------------------------
  tools-take-a-set)
    split -n 3 "$elf" p1 p2 p3
    echo "+ dumpinfo p3 p1 p2; dumpinfo --verify p3 p1 p2"
    "$DUMPINFO" p3 p1 p2 | tee info.txt | head -5
    grep -q "split set of 3 files" info.txt
    "$DUMPINFO" --verify p3 p1 p2
    "$DUMPCONV" -q -E p1 p2 p3 conv.elf
    same_digest "dumpconv of the set" "$elf" conv.elf
    "$DUMPFILTER" -q -d 31 p1 p2 p3 filt.kdump
    "$DUMPFILTER" -q -d 31 "$elf" filt-src.kdump
    same_digest "dumpfilter -d 31 of the set and of the source" filt-src.kdump filt.kdump
    "$DUMPSCRUB" -q --profile share p1 p2 p3 scrub.kdump
    "$DUMPSCRUB" -q --profile share "$elf" scrub-src.kdump
    same_digest "dumpscrub of the set and of the source" scrub-src.kdump scrub.kdump
    "$DUMPSPLIT" -q -n 2 p1 p2 p3 q1 q2
    same_digest "dumpsplit of the set" "$elf" q1 q2 ;;

  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac
