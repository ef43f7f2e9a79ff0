#!/usr/bin/python3
"""Page-by-page comparison of two views of a dump, one of them normally an independent reader.

  lkdf_compare.py [options] A B

A and B are each
  PATH                   read with libkdumpfile (python3-libkdumpfile, /usr/bin/python3)
  ours:PATH[,PATH...]    read with libdumpfmt through `dumpdigest --pages` (needs --dumpdigest)

Every PFN below the larger max_pfn is compared: absent in both, or present in both with equal
bytes (a sha256 per page when one side is ours). Each side's view is summarised in the terms of
the corpus reference files (lkdf.json): pages present, zero pages among them, and
sha256 over (pfn as little-endian u64 || page) of every readable page.

The one tolerated disagreement is the known reader quirk at ELF segment edges (see
../shared/lab/README.md): libkdumpfile 0.5.1 returns a zero page for the page just before each
PT_LOAD and for a partial page at a PT_LOAD's unaligned start or end, where other readers (and
makedumpfile) report nothing. It is accepted only at exactly those PFNs, computed from the
PT_LOAD headers of the ELF files involved, only as "zero page in one view, absent in the other",
and every such PFN is printed. Any other difference fails.

When both views are libkdumpfile's, what it derives about the system (arch, utsname, OSRELEASE)
from B must equal what it derives from A wherever A has a value (utsname only when B is not an
ELF file, which has no field for it).

Exit status: 0 equal (modulo the listed edge PFNs), 1 mismatch or expectation failed,
2 usage/open error.
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

try:
    import kdumpfile
    from kdumpfile.exceptions import NoDataException
except ImportError:  # pragma: no cover - environment problem, reported clearly
    sys.stderr.write("lkdf_compare: python3-libkdumpfile is missing (run with /usr/bin/python3)\n")
    sys.exit(2)

PHYS = kdumpfile.KDUMP_KPHYSADDR
DIGEST_KEY = "digest_sha256(pfn_le64||page)"
# What libkdumpfile derives about the system (from a kdump header's utsname, or from memory via
# VMCOREINFO for ELF). A converted dump must let it derive the same: drgn and crash rely on it.
META_KEYS = ["arch.name", "linux.uts.sysname", "linux.uts.nodename", "linux.uts.release",
             "linux.uts.version", "linux.uts.machine", "linux.vmcoreinfo.lines.OSRELEASE"]


def elf_load_edges(path, page_size):
    """PFNs at PT_LOAD edges where readers are known to disagree: the page just before each
    PT_LOAD's start, and the page holding an unaligned start or end. Empty for non-ELF files."""
    with open(path, "rb") as f:
        ident = f.read(64)
        if len(ident) < 64 or ident[:4] != b"\x7fELF":
            return {}
        cls, data = ident[4], ident[5]
        end = "<" if data == 1 else ">"
        if cls == 2:
            e_phoff, = struct.unpack_from(end + "Q", ident, 32)
            e_phentsize, e_phnum = struct.unpack_from(end + "HH", ident, 54)
        else:
            e_phoff, = struct.unpack_from(end + "I", ident, 28)
            e_phentsize, e_phnum = struct.unpack_from(end + "HH", ident, 42)
        if e_phnum == 0xFFFF:  # PN_XNUM: the real count is sh_info of section header 0
            e_shoff = struct.unpack_from(end + ("Q" if cls == 2 else "I"), ident,
                                         40 if cls == 2 else 32)[0]
            f.seek(e_shoff + (44 if cls == 2 else 28))
            e_phnum, = struct.unpack(end + "I", f.read(4))
        edges = {}
        for i in range(e_phnum):
            f.seek(e_phoff + i * e_phentsize)
            ph = f.read(e_phentsize)
            if cls == 2:
                p_type, _, _, _, p_paddr, _, p_memsz, _ = struct.unpack_from(end + "IIQQQQQQ", ph)
            else:
                p_type, _, _, p_paddr, _, p_memsz, _, _ = struct.unpack_from(end + "IIIIIIII", ph)
            if p_type != 1 or p_memsz == 0:
                continue
            start, stop = p_paddr, p_paddr + p_memsz
            if start >= page_size:
                edges.setdefault(start // page_size - 1, "page before PT_LOAD at 0x%x" % start)
            if start % page_size:
                edges.setdefault(start // page_size, "partial first page of PT_LOAD at 0x%x" % start)
            if stop % page_size:
                edges.setdefault((stop - 1) // page_size,
                                 "partial last page of PT_LOAD ending at 0x%x" % stop)
        return edges


class LkdfView:
    """A dump read with libkdumpfile."""

    def __init__(self, path):
        self.label = path
        self.paths = [path]
        self.notes = []
        self.k = kdumpfile.kdumpfile(path)
        self.k.attr["addrxlat.ostype"] = "linux"
        self.meta = {}
        for key in META_KEYS:
            try:
                self.meta[key] = str(self.k.attr[key])
            except Exception:
                pass
        try:
            self.k.attr["arch.name"]
        except Exception:
            # QEMU's kdump headers leave utsname.machine empty and libkdumpfile 0.5.1 then
            # translates nothing; the corpus reference sets it by hand the same way.
            self.k.attr["arch.name"] = "x86_64"
            self.notes.append("arch.name set to x86_64 by hand (the file does not name it)")
        self.format = str(self.k.attr["file.format"])
        self.page_size = int(self.k.attr["arch.page_size"])
        self.max_pfn = int(self.k.attr["max_pfn"])
        self.errors = []

    def page(self, pfn):
        """bytes, or None when libkdumpfile has no data for the PFN."""
        if pfn >= self.max_pfn:
            return None
        try:
            return bytes(self.k.read(PHYS, pfn * self.page_size, self.page_size))
        except NoDataException:
            return None
        except Exception as e:  # corrupt page data etc.: not "absent", a finding
            self.errors.append((pfn, "%s: %s" % (type(e).__name__, e)))
            return None


class OursView:
    """A dump read with libdumpfmt: dumpdigest's summary and per-page sha256 list."""

    def __init__(self, spec, dumpdigest, extra_args):
        if not dumpdigest:
            raise SystemExit("lkdf_compare: 'ours:' needs --dumpdigest BIN")
        self.meta = {}
        self.paths = spec.split(",")
        self.label = "ours:" + spec
        self.notes = []
        self.errors = []
        with tempfile.NamedTemporaryFile(prefix="dumpdigest-", suffix=".pages") as tmp:
            p = subprocess.run([dumpdigest, "--pages", tmp.name] + extra_args + self.paths,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode not in (0, 1) or not p.stdout.strip():
                raise SystemExit("lkdf_compare: dumpdigest failed (%d): %s" %
                                 (p.returncode, p.stderr.strip()))
            self.summary = json.loads(p.stdout)
            if p.stderr.strip():
                self.notes.append("dumpdigest stderr: " + p.stderr.strip())
            self.hashes = {}
            with open(tmp.name) as f:
                for line in f:
                    pfn, h = line.split()
                    self.hashes[int(pfn, 16)] = h
        s = self.summary
        self.format = s["format"] + (" (%s)" % s["variant"] if s.get("variant") else "")
        self.page_size = int(s["page_size"])
        self.max_pfn = max(int(s["max_pfn"]), max(self.hashes, default=-1) + 1)
        if s["read_errors"]:
            self.errors.append((None, "%d read errors, first: %s" %
                                (s["read_errors"], s.get("first_error"))))
        if s["excluded_in_present"]:
            self.errors.append((None, "%d pages in present() read back as excluded" %
                                s["excluded_in_present"]))

    def page(self, pfn):
        return self.hashes.get(pfn)


def open_view(spec, dumpdigest, extra_args):
    if spec.startswith("ours:"):
        return OursView(spec[5:], dumpdigest, extra_args)
    return LkdfView(spec)


def describe(x, zero_sha):
    if x is None:
        return "absent"
    if isinstance(x, bytes):
        return "zero" if not any(x) else "data sha256=" + hashlib.sha256(x).hexdigest()[:16]
    return "zero" if x == zero_sha else "data sha256=" + x[:16]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--dumpdigest", help="path of the dumpdigest helper (for ours: views)")
    ap.add_argument("--ours-arg", action="append", default=[], metavar="ARG",
                    help="extra dumpdigest argument, e.g. --ours-arg=--elf-tail-excluded")
    ap.add_argument("--expect-a", metavar="JSON", help="lkdf.json whose full pass A must equal")
    ap.add_argument("--expect-b", metavar="JSON", help="lkdf.json whose full pass B must equal")
    ap.add_argument("--no-edge-tolerance", action="store_true",
                    help="fail on segment-edge differences too")
    ap.add_argument("--edges-from", action="append", default=[], metavar="ELF",
                    help="also tolerate the segment-edge PFNs of this ELF (the source both "
                         "compared files were made from)")
    ap.add_argument("--max-report", type=int, default=20)
    args = ap.parse_args()

    t0 = time.time()
    try:
        views = [open_view(args.a, args.dumpdigest, args.ours_arg),
                 open_view(args.b, args.dumpdigest, args.ours_arg)]
    except SystemExit:
        raise
    except Exception as e:
        print("lkdf_compare: cannot open: %s: %s" % (type(e).__name__, e))
        return 2
    ps = views[0].page_size
    if views[1].page_size != ps:
        print("MISMATCH: page size %d vs %d" % (ps, views[1].page_size))
        return 1
    zero_page = bytes(ps)
    zero_sha = hashlib.sha256(zero_page).hexdigest()

    edges = {}
    if not args.no_edge_tolerance:
        for p in [p for v in views for p in v.paths] + args.edges_from:
            if os.path.isfile(p):
                for pfn, why in elf_load_edges(p, ps).items():
                    edges.setdefault(pfn, "%s: %s" % (os.path.basename(p), why))

    n = max(v.max_pfn for v in views)
    stats = [{"pages_present": 0, "present_zero_pages": 0, "h": hashlib.sha256()} for _ in views]
    mismatches = []
    tolerated = []
    mixed = any(isinstance(v, OursView) for v in views)
    for pfn in range(n):
        pages = [v.page(pfn) for v in views]
        for v, s, x in zip(views, stats, pages):
            if x is None:
                continue
            s["pages_present"] += 1
            if isinstance(x, bytes):
                if not any(x):
                    s["present_zero_pages"] += 1
                s["h"].update(pfn.to_bytes(8, "little"))
                s["h"].update(x)
            elif x == zero_sha:
                s["present_zero_pages"] += 1
        a, b = pages
        if mixed:
            a = hashlib.sha256(a).hexdigest() if isinstance(a, bytes) else a
            b = hashlib.sha256(b).hexdigest() if isinstance(b, bytes) else b
        if a == b:
            continue
        da, db = describe(pages[0], zero_sha), describe(pages[1], zero_sha)
        if pfn in edges and sorted((da, db)) == ["absent", "zero"]:
            tolerated.append("pfn 0x%x: A=%s B=%s (%s)" % (pfn, da, db, edges[pfn]))
        else:
            mismatches.append("pfn 0x%x: A=%s B=%s" % (pfn, da, db))

    failed = False
    for name, v, s in zip("AB", views, stats):
        summary = {"pages_present": s["pages_present"],
                   "present_zero_pages": s["present_zero_pages"]}
        if isinstance(v, OursView):
            summary[DIGEST_KEY] = v.summary[DIGEST_KEY]
            if v.summary["pages_present"] != s["pages_present"]:
                print("MISMATCH: %s: dumpdigest counted %d pages, its list has %d" %
                      (v.label, v.summary["pages_present"], s["pages_present"]))
                failed = True
        else:
            summary[DIGEST_KEY] = s["h"].hexdigest()
        v.summary_out = summary
        print("%s: %s [%s] max_pfn=%d %s" % (name, v.label, v.format, v.max_pfn,
                                           json.dumps(summary)))
        for note in v.notes:
            print("   note: " + note)
        for pfn, err in v.errors[:args.max_report]:
            print("ERROR: %s: %s%s" % (v.label, "" if pfn is None else "pfn 0x%x: " % pfn, err))
        if v.errors:
            failed = True

    for name, path, v in (("A", args.expect_a, views[0]), ("B", args.expect_b, views[1])):
        if not path:
            continue
        with open(path) as f:
            ref = json.load(f)["full"]
        for key in ("pages_present", "present_zero_pages", DIGEST_KEY):
            if ref[key] != v.summary_out[key]:
                print("EXPECTATION FAILED: %s %s = %s, %s says %s" %
                      (name, key, v.summary_out[key], os.path.basename(path), ref[key]))
                failed = True
            else:
                print("expected %s %s matches %s" % (name, key, path))

    if isinstance(views[0], LkdfView) and isinstance(views[1], LkdfView):
        for key, want in views[0].meta.items():
            if key.startswith("linux.uts.") and views[1].format == "elf":
                # An ELF vmcore has no utsname field: libkdumpfile reads it from memory
                # (init_uts_ns), so it is there only if the dump carries that page.
                continue
            got = views[1].meta.get(key)
            if got != want:
                print("MISMATCH (metadata libkdumpfile derives): %s: A=%r B=%s" %
                      (key, want, "<no value>" if got is None else repr(got)))
                failed = True

    for line in tolerated:
        print("tolerated segment-edge difference: " + line)
    if mismatches:
        print("MISMATCH: %d pfns differ; first %d:" % (len(mismatches), min(len(mismatches),
                                                                              args.max_report)))
        for line in mismatches[:args.max_report]:
            print("  " + line)
        failed = True
    print("%s: %d pfns compared, %d differ, %d tolerated at segment edges, %.1f s" %
          ("FAIL" if failed else "OK", n, len(mismatches), len(tolerated), time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
