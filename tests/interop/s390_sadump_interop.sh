#!/bin/bash
# Interop cases for the s390 and sadump formats on the real corpus: our output read by
# libkdumpfile, crash and makedumpfile -x; round trips back through ELF and kdump.
# usage: s390_sadump_interop.sh CASE   (environment as for interop.sh:
#   DUMPCONV DUMPDIGEST PY CORPUS REF WORK HERE; optional VMLINUX)
# Exit 77 = skipped (ctest SKIP_RETURN_CODE), with the reason printed.
set -euo pipefail

case_name=${1:?case}
: "${DUMPCONV:?}" "${DUMPDIGEST:?}" "${PY:?}" "${CORPUS:?}" "${REF:?}" "${WORK:?}" "${HERE:?}"
VMLINUX=${VMLINUX:-/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64}

elf=$CORPUS/proc-vmcore.elf

w=$WORK/$case_name
# shellcheck source=../lib/case_workdir.sh
source "$HERE/../lib/case_workdir.sh"
enter_case_workdir "${w}"

conv() {
  local t=$SECONDS
  echo "+ dumpconv $*"
  "$DUMPCONV" --quiet "$@"
  echo "  ($((SECONDS - t)) s)"
}
compare() { "$PY" "$HERE/lkdf_compare.py" --dumpdigest "$DUMPDIGEST" "$@"; }
lkf_check() { "$PY" "$HERE/s390_sadump_lkf_check.py" "$@"; }
need_vmlinux() {
  if [[ ! -r $VMLINUX ]]; then
    echo "SKIP: $VMLINUX is not installed (Debian package linux-image-6.1.0-56-cloud-amd64-dbg)"
    exit 77
  fi
}

# Round trips compare through our own reader on both sides: libkdumpfile 0.5.1 translates no
# physical address of an x86_64 dump without VMCOREINFO ("Cannot determine 5-level paging"), and
# refuses addrxlat.ostype=linux on an s390x dump without it. The lkf-* cases cover libkdumpfile.

# crash_like_source DUMP: crash's sys block for DUMP must say what it says about the source
# dump (reference/crash.txt), and bt must show the panic path.
crash_like_source() {
  printf 'sys\nbt\nquit\n' | timeout 600 crash -s "$VMLINUX" "$1" >crash.out 2>&1 || {
    cat crash.out
    exit 1
  }
  cat crash.out
  local key want got
  for key in CPUS DATE RELEASE VERSION MACHINE MEMORY PANIC; do
    want=$(grep -m1 "^ *$key:" "$REF/proc-vmcore.elf/crash.txt")
    got=$(grep -m1 "^ *$key:" crash.out || true)
    if [[ "$want" != "$got" ]]; then
      echo "MISMATCH: reference '$want', ours '$got'"
      exit 1
    fi
  done
  grep -q "sysrq_handle_crash" crash.out || { echo "MISMATCH: bt lacks sysrq_handle_crash"; exit 1; }
  echo "crash reads $1 like the source dump"
}

case $case_name in
  lkf-s390) conv -f s390 "$elf" out.s390; lkf_check "$elf" out.s390 ;;
  lkf-sadump) conv -f sadump "$elf" out.sadump; lkf_check "$elf" out.sadump ;;

  # dumpgen's s390/sadump files (independent of libdumpfmt) and our writers' output of dumpgen's
  # kdump files, read by libkdumpfile against the kdump source: x86_64, i686, s390x, s390.
  lkf-dumpgen)
    gen=${DUMPGEN:-$(dirname "$DUMPCONV")/../tests/support/dumpgen}
    [[ -x $gen ]] || { echo "no dumpgen CLI at $gen"; exit 1; }
    mem=(--range 0:40 --range 100:30 --range 515:3 --zero-every 7 --random-every 5 --cpus 2)
    for arch in x86_64 i686; do
      "$gen" "${mem[@]}" --arch $arch --ram-only 60:4 --format kdump src-$arch.kdump
      for v in single media; do
        "$gen" "${mem[@]}" --arch $arch --ram-only 60:4 --sadump $v gen-$arch-$v.sadump
        lkf_check src-$arch.kdump gen-$arch-$v.sadump
      done
      conv -f sadump src-$arch.kdump ours-$arch.sadump
      lkf_check src-$arch.kdump ours-$arch.sadump
    done
    for arch in s390x s390; do
      "$gen" "${mem[@]}" --arch $arch --format kdump src-$arch.kdump
      "$gen" "${mem[@]}" --arch $arch --s390 classic gen-$arch.s390
      lkf_check src-$arch.kdump gen-$arch.s390
      conv -f s390 src-$arch.kdump ours-$arch.s390
      lkf_check src-$arch.kdump ours-$arch.s390
      cmp gen-$arch.s390 ours-$arch.s390 && echo "our s390 of $arch equals dumpgen's byte for byte"
    done ;;

  # ELF -> sadump -> kdump/ELF: the dumpable pages are exactly the source's, byte for byte.
  rt-sadump-kdump)
    conv -f sadump "$elf" out.sadump
    conv -c out.sadump out.kdump
    compare "ours:$elf" "ours:out.kdump" ;;
  rt-sadump-elf)
    conv -f sadump "$elf" out.sadump
    conv -E out.sadump out.elf
    compare "ours:$elf" "ours:out.elf" ;;
  # ELF -> s390 -> ELF: every page, with the source's holes as zero pages.
  rt-s390-elf)
    conv -f s390 "$elf" out.s390
    conv -E out.s390 out.elf
    compare "ours:out.s390" "ours:out.elf"
    # ELF has no field for the TOD clock; s390 -> s390 keeps every byte.
    conv -f s390 out.s390 again.s390
    cmp out.s390 again.s390 && echo "s390 -> s390 is byte-identical" ;;

  crash-sadump)
    need_vmlinux
    conv -f sadump "$elf" out.sadump
    crash_like_source out.sadump ;;
  # sadump -> kdump: no VMCOREINFO anywhere, but the QEMU CPU notes our sadump reader makes
  # from SMRAM carry CR3/IDTR, from which crash finds the KASLR offset.
  crash-sadump-kdump)
    need_vmlinux
    conv -f sadump "$elf" out.sadump
    conv -c out.sadump out.kdump
    crash_like_source out.kdump ;;

  mdf-x-sadump)
    need_vmlinux
    conv -f sadump "$elf" out.sadump
    if makedumpfile --message-level 31 -x "$VMLINUX" -c -d 31 out.sadump out.kdump >mdf.log 2>&1; then
      tail -5 mdf.log
      # makedumpfile's conversion must hold the same dumpable pages as its own -d 31 of the source.
      makedumpfile -c -d 31 "$elf" ref.kdump >mdf-ref.log 2>&1
      compare ref.kdump out.kdump
    else
      ver=$(makedumpfile -v 2>&1 | grep -o 'makedumpfile: version [0-9.]*' | grep -o '[0-9.]*$' || true)
      if grep -q "sadump: read dump device as single partition" mdf.log &&
         grep -q "NUMBER(pgtable_l5_enabled)=1" <(strings -n 20 "$elf" | head -c 4000000) &&
         [[ $(printf '%s\n1.7.3\n' "$ver" | sort -V | head -1) != 1.7.3 ]]; then
        grep "sadump" mdf.log | head
        echo "SKIP: makedumpfile $ver reads our sadump headers but cannot walk 5-level page"\
             "tables from a sadump (fixed in makedumpfile 1.7.3: 'sadump: fix failure of"\
             "reading memory when 5-level paging is enabled'); the corpus kernel uses 5-level paging"
        exit 77
      fi
      cat mdf.log
      exit 1
    fi ;;

  *) echo "unknown case $case_name" >&2; exit 2 ;;
esac
