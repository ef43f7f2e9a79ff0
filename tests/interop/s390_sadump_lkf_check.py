#!/usr/bin/python3
"""Checks our s390 or sadump output of a dump with libkdumpfile, page by page, against the source.

  s390_sadump_lkf_check.py SOURCE TARGET

SOURCE is read with libkdumpfile (any format it reads); TARGET is dumpfmt's s390 or sadump
output of it (or dumpgen's s390/sadump file of the same memory), opened with libkdumpfile too.
Single-partition and media-backup sadump files (libkdumpfile's Python binding opens one file, so
no disk sets).

s390: every PFN below the source's max_pfn must read identical through libkdumpfile; a PFN the
source has no data for must read as a zero page (the s390 format has no holes).

sadump: the file's layout is also parsed here, independently of libdumpfmt: each dumpable PFN's
block (MSB-first dumpable bitmap, data blocks in PFN order) must hold the source page, and every
PFN the source has data for must be dumpable (except libkdumpfile's zero pages at ELF segment
edges, see lkdf_compare.py). libkdumpfile 0.5.x itself has a bug in sadump_read_page: it reads
rgn->pos, the first block of the PFN region holding p, for every PFN of the region (compare
diskdump.c, which adds (pfn - rgn->pfn) * size); its regions are runs of dumpable PFNs, also split
at byte boundaries where a run starts inside a bitmap byte. So libkdumpfile's page for PFN p must
be the source page of p at the start of a run, and elsewhere the source page of a PFN of the same
run at or before p: what that code returns on a correct file.

Exit status: 0 ok, 1 mismatch, 2 usage/open error.
"""
import hashlib
import os
import struct
import sys

try:
    import kdumpfile
    from kdumpfile.exceptions import NoDataException
except ImportError:
    sys.stderr.write("s390_sadump_lkf_check: python3-libkdumpfile is missing\n")
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lkdf_compare import elf_load_edges  # noqa: E402


def open_lkdf(path, ostype=True):
    k = kdumpfile.kdumpfile(path)
    if ostype:
        try:
            k.attr["addrxlat.ostype"] = "linux"
        except Exception as e:  # s390x without VMCOREINFO: "NULL VMCOREINFO pointer"
            print("note: %s: addrxlat.ostype=linux refused (%s); physical reads only" % (path, e))
    return k


def read(k, space, pfn, ps):
    try:
        return bytes(k.read(space, pfn * ps, ps))
    except NoDataException:
        return None


def source_space(k, max_pfn, ps):
    """KPHYSADDR, or MACHPHYSADDR when libkdumpfile cannot translate kernel physical
    addresses of this dump (x86_64 without the VMCOREINFO keys it needs, e.g. dumpgen's)."""
    for pfn in range(max_pfn):
        try:
            k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * ps, ps)
            return kdumpfile.KDUMP_KPHYSADDR
        except NoDataException:
            continue
        except kdumpfile.exceptions.AddressTranslationException:
            print("note: source read through MACHPHYSADDR (no KPHYSADDR translation)")
            return kdumpfile.KDUMP_MACHPHYSADDR
    return kdumpfile.KDUMP_KPHYSADDR


def sadump_layout(path):
    """(block_size, max_mapnr, dumpable bitmap bytes, data offset) of a single-partition or
    media-backup file (partition header at 0, or at 4096 after the media header)."""
    with open(path, "rb") as f:
        head = f.read(8192)
        sig = (0x75646173, 0x0000706D)
        if struct.unpack_from("<II", head, 0) == sig:
            base = 0
        elif len(head) >= 4104 and struct.unpack_from("<II", head, 4096) == sig:
            base = 4096
        else:
            raise SystemExit("not a single-partition or media-backup sadump file: %s" % path)
        bs = 4096
        f.seek(base + bs)
        h = f.read(120)
        if h[:8] != b"sadump\0\0":
            raise SystemExit("no sadump header at 0x%x" % (base + bs))
        (block_size, _extra, sub_blocks, bm_blocks, dbm_blocks, max32) = struct.unpack_from(
            "<IIIIII", h, 40)
        version, = struct.unpack_from("<I", h, 8)
        max_mapnr = struct.unpack_from("<Q", h, 88)[0] if version >= 1 else max32
        if block_size != bs:
            raise SystemExit("block size %d" % block_size)
        dbm_off = base + bs * (2 + sub_blocks + bm_blocks)
        f.seek(dbm_off)
        dbm = f.read(dbm_blocks * bs)
        return bs, max_mapnr, dbm, dbm_off + dbm_blocks * bs


def check_s390(src, space, tgt, tspace, ps, max_pfn):
    zero = bytes(ps)
    bad = holes = 0
    for pfn in range(max_pfn):
        a = read(src, space, pfn, ps)
        b = read(tgt, tspace, pfn, ps)
        if a is None:
            holes += 1
            a = zero
        if a != b:
            bad += 1
            if bad <= 10:
                print("MISMATCH pfn 0x%x: source %s, s390 %s" % (
                    pfn, hashlib.sha256(a).hexdigest()[:16],
                    "absent" if b is None else hashlib.sha256(b).hexdigest()[:16]))
    print("s390: %d PFNs compared (%d source holes read as zero pages), %d mismatches" %
          (max_pfn, holes, bad))
    return bad == 0


def check_sadump(src, space, src_path, tgt, tgt_path, ps, max_pfn):
    bs, max_mapnr, dbm, data_off = sadump_layout(tgt_path)
    if bs != ps:
        print("MISMATCH: block size %d, source page size %d" % (bs, ps))
        return False
    edges = elf_load_edges(src_path, ps)

    def dumpable(p):
        return p < max_mapnr and (dbm[p >> 3] >> (7 - (p & 7))) & 1

    bad = tolerated = first_of_run = 0
    block = 0
    run = None  # sha256 -> PFN of the source pages of the current run, up to the current PFN
    with open(tgt_path, "rb") as f:
        for pfn in range(max(max_pfn, max_mapnr)):
            a = read(src, space, pfn, ps) if pfn < max_pfn else None
            if not dumpable(pfn):
                run = None
                if a is not None:
                    if not any(a) and pfn in edges:
                        tolerated += 1
                        continue
                    bad += 1
                    if bad <= 10:
                        print("MISMATCH pfn 0x%x: source has data, sadump says not dumpable" % pfn)
                continue
            f.seek(data_off + block * bs)
            raw = f.read(bs)
            block += 1
            start = run is None
            if start:
                run = {}
                first_of_run += 1
            if a is not None:
                run.setdefault(hashlib.sha256(a).hexdigest(), pfn)
            lk = read(tgt, kdumpfile.KDUMP_MACHPHYSADDR, pfn, ps)
            lk_sha = None if lk is None else hashlib.sha256(lk).hexdigest()
            # libkdumpfile's page must be this PFN's at a run start, else some earlier PFN's of
            # the same run (where its region starts).
            lk_ok = lk == a if start else lk_sha in run
            if a is None or raw != a or not lk_ok:
                bad += 1
                if bad <= 10:
                    print("MISMATCH pfn 0x%x: source %s, block %s, libkdumpfile %s" % (
                        pfn, "absent" if a is None else hashlib.sha256(a).hexdigest()[:16],
                        hashlib.sha256(raw).hexdigest()[:16],
                        "absent" if lk is None else lk_sha[:16]))
    print("sadump: %d dumpable pages (%d runs) compared, %d source edge zero pages not dumpable "
          "(tolerated), %d mismatches" % (block, first_of_run, tolerated, bad))
    return bad == 0


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    src_path, tgt_path = sys.argv[1:]
    try:
        src = open_lkdf(src_path)
        tgt = open_lkdf(tgt_path, ostype=False)
        fmt = str(tgt.attr["file.format"])
        ps = int(src.attr["arch.page_size"])
        max_pfn = int(src.attr["max_pfn"])
        print("target: libkdumpfile format %s, arch %s, max_pfn %d, page size %d" % (
            fmt, tgt.attr["arch.name"], int(tgt.attr["max_pfn"]), int(tgt.attr["arch.page_size"])))
    except Exception as e:
        print("cannot open: %s: %s" % (type(e).__name__, e))
        return 2
    space = source_space(src, max_pfn, ps)
    if fmt == "s390dump":
        ok = check_s390(src, space, tgt, source_space(tgt, max_pfn, ps), ps, max_pfn)
    elif fmt == "sadump":
        ok = check_sadump(src, space, src_path, tgt, tgt_path, ps, max_pfn)
    else:
        print("target is %s, neither s390dump nor sadump" % fmt)
        return 2
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
