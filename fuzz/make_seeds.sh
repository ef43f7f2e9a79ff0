#!/bin/bash
# Regenerates the committed seed corpora fuzz/corpus/<target>/ from the dumpgen CLI (synthetic
# dumps of every layout the readers know, a few pages each; split sets), fuzz_kernel_seeds
# (printk rings, kallsyms tables, BTF) and, when the decompressed real corpus is given, the
# real note areas and VMCOREINFO text of its ELF dumps.
# usage: fuzz/make_seeds.sh BUILD_DIR [DECOMPRESSED_CORPUS_DIR]
#   BUILD_DIR: a default (non-fuzz) build with tests, where
#   `ninja -C BUILD_DIR dumpgen_cli fuzz_kernel_seeds` has run.
set -euo pipefail

build=${1:?build dir with tests/support/dumpgen}
real=${2:-}
gen=$build/tests/support/dumpgen
kseeds=$build/fuzz/fuzz_kernel_seeds
here=$(cd "$(dirname "$0")" && pwd)
c=$here/corpus
[[ -x $gen ]] || { echo "no $gen (ninja -C $build dumpgen_cli)" >&2; exit 1; }
[[ -x $kseeds ]] || { echo "no $kseeds (ninja -C $build fuzz_kernel_seeds)" >&2; exit 1; }
# Only the seeds generated here are rewritten: crash regressions (regress-*) added by hand stay.
mine=(fuzz_elf fuzz_kdump fuzz_flattened fuzz_probe_any fuzz_notes fuzz_vmcoreinfo fuzz_s390
  fuzz_sadump fuzz_split fuzz_printk fuzz_kallsyms fuzz_btf)
for d in "${mine[@]}"; do
  mkdir -p "$c/$d"
  find "$c/$d" -type f ! -name 'regress-*' -delete
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Small dumps: 4 pages (one zero, one incompressible) keep each seed a few KiB.
small=(--pages 4 --zero-every 4 --random-every 3)
g() {  # g DIR NAME ARGS...
  local dir=$1 name=$2
  shift 2
  "$gen" "$@" "$c/$dir/$name"
}
g fuzz_elf elf64-le "${small[@]}"
g fuzz_elf elf64-be-ppc64 --arch ppc64 "${small[@]}"
g fuzz_elf elf32-le-i386 --arch i386 "${small[@]}"
g fuzz_elf elf32-be-s390 --arch s390 "${small[@]}"
g fuzz_elf elf-vaddr-zero --vaddr zero --range 0:2 --range 0x100:2
g fuzz_elf elf-one-page-segments --pages 3 --segment-pages 1
g fuzz_elf elf-ram-only-tail --pages 2 --ram-only 2:3
g fuzz_elf elf-no-vmcoreinfo --pages 2 --no-vmcoreinfo --cpus 2
g fuzz_elf elf-truncated "${small[@]}" --truncate 9000
g fuzz_elf elf-incomplete "${small[@]}" --incomplete-after 1

for codec in none zlib lzo snappy zstd; do
  g fuzz_kdump kdump-$codec --format kdump --codec $codec "${small[@]}"
done
g fuzz_kdump kdump-v1 --format kdump --version 1 "${small[@]}"
g fuzz_kdump kdump32-i386 --format kdump --arch i386 "${small[@]}"
g fuzz_kdump kdump64-be-s390x --format kdump --arch s390x "${small[@]}"
g fuzz_kdump kdump32-arm --format kdump --arch arm "${small[@]}"
g fuzz_kdump kdump-no-zero-page --format kdump --no-zero-page "${small[@]}"
g fuzz_kdump kdump-ram-only --format kdump --pages 2 --ram-only 2:2 --max-mapnr 64
g fuzz_kdump kdump-incomplete --format kdump "${small[@]}" --incomplete-after 1
g fuzz_kdump kdump-truncated --format kdump "${small[@]}" --truncate 5000
"$gen" --format kdump --split 2 "${small[@]}" "$tmp/split"
cp "$tmp/split.1" "$c/fuzz_kdump/kdump-split-part1"
cp "$tmp/split.2" "$c/fuzz_kdump/kdump-split-part2"

g fuzz_flattened flat-kdump --format kdump --flattened "${small[@]}"
g fuzz_flattened flat-kdump-shuffled --format kdump --flattened --shuffle "${small[@]}"
g fuzz_flattened flat-kdump-garbage --format kdump --flattened --garbage "${small[@]}"
g fuzz_flattened flat-elf --flattened "${small[@]}"

for d in fuzz_elf fuzz_kdump fuzz_flattened; do cp "$c/$d"/* "$c/fuzz_probe_any/"; done

# s390 and sadump seeds (dumpgen --s390 / --sadump), also fed to fuzz_probe_any.
mkdir -p "$c"/{fuzz_s390,fuzz_sadump}
g fuzz_s390 s390-classic-lowcore --arch s390x "${small[@]}" --lowcore 0x2000 --s390 classic
g fuzz_s390 s390-classic-31bit --arch s390 "${small[@]}" --s390 classic
g fuzz_s390 s390-ext --arch s390x "${small[@]}" --range 8:2 --s390 ext
g fuzz_s390 s390-ext-zlib --arch s390x "${small[@]}" --range 8:2 --s390 ext-zlib
"$gen" --arch s390x "${small[@]}" --range 8:2 --s390 multi-volume "$tmp/mv"
cp "$tmp/mv.1" "$c/fuzz_s390/s390-multi-volume-vol0"
g fuzz_s390 s390-classic-truncated --arch s390x "${small[@]}" --s390 classic --truncate 9000
g fuzz_sadump sadump-single "${small[@]}" --cpus 2 --ram-only 4:2 --sadump single
g fuzz_sadump sadump-single-ia32 --arch i686 "${small[@]}" --sadump single
g fuzz_sadump sadump-media "${small[@]}" --sadump media
"$gen" "${small[@]}" --sadump disk-set "$tmp/ds"
cp "$tmp/ds.1" "$c/fuzz_sadump/sadump-diskset-disk1"
g fuzz_sadump sadump-single-truncated "${small[@]}" --sadump single --truncate 12000
cp "$c"/fuzz_s390/* "$c"/fuzz_sadump/* "$c/fuzz_probe_any/"

# Sets of files for fuzz_split, carved as it reads them: a byte (part count - 2), the u32 LE
# length of each part but the last, then the parts. 1 KiB pages keep a kdump part ~6 KiB.
carve() {  # carve NAME PART...
  local name=$1
  shift
  /usr/bin/python3 - "$c/fuzz_split/$name" "$@" <<'PY'
import struct, sys
parts = [open(p, "rb").read() for p in sys.argv[2:]]
head = bytes([len(parts) - 2]) + b"".join(struct.pack("<I", len(p)) for p in parts[:-1])
open(sys.argv[1], "wb").write(head + b"".join(parts))
PY
}
set_of() {  # set_of NAME K DUMPGEN_ARGS...: dumpgen writes K files NAME.1 .. NAME.K, carved
  local name=$1 k=$2
  shift 2
  "$gen" "$@" "$tmp/$name"
  carve "$name" $(seq -f "$tmp/$name.%g" 1 "$k")
}
tiny=(--format kdump --page-size 1024 --pages 6 --zero-every 4 --random-every 5)
set_of kdump-split2 2 "${tiny[@]}" --split 2
set_of kdump-split3 3 "${tiny[@]}" --split 3
for codec in none lzo snappy zstd; do
  set_of kdump-split2-$codec 2 "${tiny[@]}" --codec $codec --split 2
done
set_of kdump-split2-i386 2 "${tiny[@]}" --arch i386 --split 2
set_of kdump-split2-be-s390x 2 "${tiny[@]}" --arch s390x --split 2
set_of kdump-split3-holes 3 --format kdump --page-size 1024 --range 0:2 --range 16:2 \
  --ram-only 4:4 --split 3
set_of kdump-split2-4k 2 --format kdump --pages 4 --zero-every 4 --split 2
# Sets that must be refused: out of order is fine, the rest is not one dump.
s3=$tmp/kdump-split3
carve kdump-split3-shuffled "$s3.3" "$s3.1" "$s3.2"
carve kdump-split3-missing-middle "$s3.1" "$s3.3"
carve kdump-split-duplicate-part "$s3.1" "$s3.1"
"$gen" --page-size 1024 --pages 2 "$tmp/elf"
carve kdump-split-and-elf "$s3.1" "$tmp/elf"
set_of sadump-disk-set2 2 --pages 2 --sadump disk-set
set_of sadump-disk-set3 3 --pages 4 --sadump disk-set --disks 3
set_of s390-multi-volume2 2 --arch s390x --pages 2 --range 8:1 --s390 multi-volume
set_of s390-multi-volume3 3 --arch s390x --pages 4 --range 8:2 --s390 multi-volume --volumes 3

# printk rings (lockless, records, plain), kallsyms tables and BTF blobs.
"$kseeds" "$c"

# Note areas (first byte: 0 little-endian, 1 big-endian) cut from the ELF seeds' PT_NOTE.
notes_of() {  # notes_of ELF OUT
  /usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
be = d[5] == 2
e = ">" if be else "<"
if d[4] == 2:
    phoff, = struct.unpack_from(e + "Q", d, 32); phentsize, phnum = struct.unpack_from(e + "HH", d, 54)
else:
    phoff, = struct.unpack_from(e + "I", d, 28); phentsize, phnum = struct.unpack_from(e + "HH", d, 42)
for i in range(phnum):
    ph = phoff + i * phentsize
    if d[4] == 2:
        t, _, off, _, _, fsz = struct.unpack_from(e + "IIQQQQ", d, ph)
    else:
        t, off, _, _, fsz = struct.unpack_from(e + "IIIII", d, ph)
    if t == 4:
        open(sys.argv[2], "wb").write(bytes([1 if be else 0]) + d[off:off + fsz])
        break
PY
}
for s in elf64-le elf64-be-ppc64 elf32-le-i386 elf-no-vmcoreinfo; do
  notes_of "$c/fuzz_elf/$s" "$c/fuzz_notes/notes-$s"
done

# VMCOREINFO seeds: a key line, then text.
vmci() { printf '%s\n' "$1" >"$2"; cat "$3" >>"$2"; }
printf 'OSRELEASE=6.1.0-dumpgen\nPAGESIZE=4096\nCRASHTIME=1700000000\n' >"$tmp/vmci.txt"
vmci OSRELEASE "$c/fuzz_vmcoreinfo/osrelease" "$tmp/vmci.txt"
vmci PAGESIZE "$c/fuzz_vmcoreinfo/pagesize" "$tmp/vmci.txt"
vmci MISSING "$c/fuzz_vmcoreinfo/missing" "$tmp/vmci.txt"

if [[ -n $real ]]; then
  # Real note areas and VMCOREINFO of the corpus ELF dumps (kernel and QEMU writers).
  for f in proc-vmcore.elf qemu-elf.vmcore; do
    notes_of "$real/$f" "$c/fuzz_notes/real-$f"
    /usr/bin/python3 - "$c/fuzz_notes/real-$f" "$tmp/real-vmci-$f" <<'PY'
import struct, sys
a = open(sys.argv[1], "rb").read()[1:]
p = 0
while p + 12 <= len(a):
    n, dsz, t = struct.unpack_from("<III", a, p)
    name = a[p + 12:p + 12 + n].rstrip(b"\0")
    doff = p + 12 + ((n + 3) & ~3)
    if name == b"VMCOREINFO":
        open(sys.argv[2], "wb").write(a[doff:doff + dsz].rstrip(b"\0"))
    p = doff + ((dsz + 3) & ~3)
PY
  done
  vmci 'SYMBOL(init_uts_ns)' "$c/fuzz_vmcoreinfo/real-symbol" "$tmp/real-vmci-proc-vmcore.elf"
  vmci 'NUMBER(phys_base)' "$c/fuzz_vmcoreinfo/real-number" "$tmp/real-vmci-qemu-elf.vmcore"
fi
du -sh "$c"/*
