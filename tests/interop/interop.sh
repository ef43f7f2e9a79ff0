#!/bin/bash
# Interop cases on the real corpus: our reader against libkdumpfile, our writers read by
# libkdumpfile and makedumpfile, makedumpfile's tools on our output. One case per ctest.
# usage: interop.sh CASE   (environment set by tests/interop/CMakeLists.txt:
#   DUMPCONV DUMPDIGEST PY WORK HERE SAMPLE, and for corpus cases CORPUS REF)
set -euo pipefail

case_name=${1:?case}
: "${DUMPCONV:?}" "${DUMPDIGEST:?}" "${PY:?}" "${WORK:?}" "${HERE:?}" "${SAMPLE:?}"
if [[ $case_name != sample-* ]]; then
  : "${CORPUS:?}" "${REF:?}"
fi
CORPUS=${CORPUS:-/nonexistent}
REF=${REF:-/nonexistent}

elf=$CORPUS/proc-vmcore.elf
qelf=$CORPUS/qemu-elf.vmcore
qflat=$CORPUS/qemu-kdump-zlib.flat
d=$CORPUS/derived
qflat_r=$d/qemu-kdump-zlib.R.kdump
ref_elf=$REF/proc-vmcore.elf/lkdf.json
ref_qelf=$REF/qemu-elf.vmcore/lkdf.json
ref_qflat=$HERE/expect/qemu-kdump-zlib.R.json
dmesg_ref=$REF/proc-vmcore.elf/makedumpfile-dump-dmesg.txt
split=("$d/mdf-split-c-d31.1" "$d/mdf-split-c-d31.2" "$d/mdf-split-c-d31.3")

w=$WORK/$case_name
# shellcheck source=../lib/case_workdir.sh
source "$HERE/../lib/case_workdir.sh"
enter_case_workdir "${w}"

compare() { "$PY" "$HERE/lkdf_compare.py" --dumpdigest "$DUMPDIGEST" "$@"; }

# conv ARGS...: dumpconv with timing; its output stays in $w.
conv() {
  local t=$SECONDS
  echo "+ dumpconv $*"
  "$DUMPCONV" --quiet "$@"
  echo "  ($((SECONDS - t)) s)"
}

# mdf ARGS...: makedumpfile with its chatter in a log, shown on failure.
mdf() {
  echo "+ makedumpfile $*"
  if ! makedumpfile "$@" >mdf.log 2>&1; then
    cat mdf.log
    return 1
  fi
}

same_bytes() {
  if cmp "$1" "$2"; then
    echo "byte-identical: $1 $2"
  else
    ls -l "$1" "$2"
    return 1
  fi
}

# The shipped sample (tests/data), decompressed and checked.
sample() {
  zstd -q -d -f "$SAMPLE" -o sample.kdump
  echo "dff422934c384235c43bdd941ece5269b742650fdb2e76bb083376cb869f9705  sample.kdump" |
    sha256sum --quiet -c -
}
sample_ref=$HERE/expect/sample-d31-part1of4.json

case $case_name in
  # --- the shipped real sample: no corpus needed --------------------------------------------
  sample-reader) sample; compare --expect-a "$sample_ref" sample.kdump ours:sample.kdump ;;
  sample-conv-lzo) sample; conv -l sample.kdump out.kdump; compare --expect-a "$sample_ref" sample.kdump out.kdump ;;
  sample-conv-elf) sample; conv -E sample.kdump out.elf; compare --expect-a "$sample_ref" sample.kdump out.elf ;;
  sample-conv-flat-R)
    sample
    "$DUMPCONV" --quiet -F -z sample.kdump - | "$DUMPCONV" --quiet -R out.kdump
    compare --expect-a "$sample_ref" sample.kdump out.kdump ;;

  # --- our reader, page for page, against libkdumpfile on real dumps -----------------------
  reader-proc-vmcore-elf) compare --expect-a "$ref_elf" "$elf" "ours:$elf" ;;
  reader-qemu-elf) compare --expect-a "$ref_qelf" "$qelf" "ours:$qelf" ;;
  reader-qemu-flat)  # libkdumpfile can't open flattened
    compare --expect-a "$ref_qflat" "$qflat_r" "ours:$qflat" ;;
  reader-qemu-flat-R) compare --expect-a "$ref_qflat" "$qflat_r" "ours:$qflat_r" ;;
  reader-mdf-c-d0) compare "$d/mdf-c-d0.kdump" "ours:$d/mdf-c-d0.kdump" ;;
  reader-mdf-l-d0) compare "$d/mdf-l-d0.kdump" "ours:$d/mdf-l-d0.kdump" ;;
  reader-mdf-c-d31) compare "$d/mdf-c-d31.kdump" "ours:$d/mdf-c-d31.kdump" ;;
  reader-mdf-l-d31) compare "$d/mdf-l-d31.kdump" "ours:$d/mdf-l-d31.kdump" ;;
  # makedumpfile -E marks excluded pages with p_memsz > p_filesz. libkdumpfile reads those
  # tails as absent; libdumpfmt by default as zero pages (OpenOptions::elf_tail_is_zero), so
  # the page-for-page comparison asks for the excluded reading.
  reader-mdf-E-d31)
    compare --ours-arg=--elf-tail-excluded "$d/mdf-E-d31.elf" "ours:$d/mdf-E-d31.elf" ;;
  reader-mdf-F-stream) compare "$d/mdf-c-d31.kdump" "ours:$d/mdf-F-c-d31.flat" ;;
  reader-mdf-split)  # libkdumpfile 0.5.1 can't open a split set; makedumpfile's -c -d 31 is it
    compare "$d/mdf-c-d31.kdump" "ours:$(IFS=,; echo "${split[*]}")" ;;

  # --- our writers, read back by libkdumpfile ----------------------------------------------
  conv-elf-kdump-zlib) conv -c "$elf" out.kdump; compare --expect-a "$ref_elf" "$elf" out.kdump ;;
  conv-elf-kdump-lzo) conv -l "$elf" out.kdump; compare --expect-a "$ref_elf" "$elf" out.kdump ;;
  conv-elf-kdump-snappy) conv -p "$elf" out.kdump; compare "$elf" out.kdump ;;
  conv-elf-kdump-zstd) conv -z "$elf" out.kdump; compare "$elf" out.kdump ;;
  conv-elf-elf) conv -E "$elf" out.elf; compare --expect-a "$ref_elf" "$elf" out.elf ;;
  conv-qemu-elf-kdump) conv -l "$qelf" out.kdump; compare --expect-a "$ref_qelf" "$qelf" out.kdump ;;
  conv-qemu-elf-elf) conv -E "$qelf" out.elf; compare --expect-a "$ref_qelf" "$qelf" out.elf ;;
  conv-qemu-flat-kdump) conv -c "$qflat" out.kdump; compare --expect-a "$ref_qflat" "$qflat_r" out.kdump ;;
  conv-qemu-flat-elf) conv -E "$qflat" out.elf; compare --expect-a "$ref_qflat" "$qflat_r" out.elf ;;
  conv-mdf-d31-elf) conv -E "$d/mdf-l-d31.kdump" out.elf; compare "$d/mdf-l-d31.kdump" out.elf ;;
  conv-mdf-split-kdump) conv -z "${split[@]}" out.kdump; compare "$d/mdf-c-d31.kdump" out.kdump ;;
  conv-pipe)  # stdin a pipe (spooled), stdout a file; a pipe out needs -F (mdf-R-of-our-flat)
    echo "+ cat proc-vmcore.elf | dumpconv -l - - > out.kdump"
    cat "$elf" | "$DUMPCONV" --quiet -l - - >out.kdump
    compare "$elf" out.kdump ;;

  # --- makedumpfile 1.7.2 on our output ----------------------------------------------------
  mdf-dmesg-our-kdump)
    conv -l "$elf" out.kdump
    mdf --dump-dmesg out.kdump dmesg.txt
    diff -u "$dmesg_ref" dmesg.txt; echo "dmesg equals makedumpfile's own from the source" ;;
  mdf-dmesg-our-elf)
    conv -E "$elf" out.elf
    mdf --dump-dmesg out.elf dmesg.txt
    diff -u "$dmesg_ref" dmesg.txt; echo "dmesg equals makedumpfile's own from the source" ;;
  # makedumpfile must filter our file exactly as it filters the source. Our reader carries the
  # source's partial page at 0x9fc00 (zero-padded, like libkdumpfile) where makedumpfile drops
  # it, so that one segment-edge PFN of the source may be "zero vs absent".
  mdf-d31-of-our-kdump)
    conv -c "$elf" out.kdump
    mdf -l -d 31 out.kdump x.kdump
    compare --edges-from "$elf" "$d/mdf-l-d31.kdump" x.kdump ;;
  mdf-d31-of-our-elf)
    conv -E "$elf" out.elf
    mdf -l -d 31 out.elf x.kdump
    compare --edges-from "$elf" "$d/mdf-l-d31.kdump" x.kdump ;;
  mdf-R-of-our-flat)
    echo "+ dumpconv -F -c proc-vmcore.elf - | makedumpfile -R out.kdump"
    "$DUMPCONV" --quiet -F -c "$elf" - | makedumpfile -R out.kdump >mdf.log 2>&1 || {
      cat mdf.log
      exit 1
    }
    compare --expect-a "$ref_elf" "$elf" out.kdump ;;
  mdf-R-of-our-flat-elf)
    echo "+ dumpconv -F -E proc-vmcore.elf - | makedumpfile -R out.elf"
    "$DUMPCONV" --quiet -F -E "$elf" - | makedumpfile -R out.elf >mdf.log 2>&1 || {
      cat mdf.log
      exit 1
    }
    compare --expect-a "$ref_elf" "$elf" out.elf ;;

  # --- our rearrange of makedumpfile's streams ---------------------------------------------
  ours-R-of-mdf-flat)  # makedumpfile -R of this stream is byte-identical to its -c -d 31
    echo "+ dumpconv -R out.kdump < mdf-F-c-d31.flat"
    "$DUMPCONV" --quiet -R out.kdump <"$d/mdf-F-c-d31.flat"
    same_bytes "$d/mdf-c-d31.kdump" out.kdump ;;
  ours-R-of-qemu-flat)
    echo "+ cat qemu-kdump-zlib.flat | dumpconv -R out.kdump"
    cat "$qflat" | "$DUMPCONV" --quiet -R out.kdump
    same_bytes "$qflat_r" out.kdump ;;

  *)
    echo "unknown case $case_name" >&2
    exit 2 ;;
esac
