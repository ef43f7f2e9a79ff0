#!/usr/bin/python3
"""Host-side checks of the dumps the capture kernel wrote, read with libkdumpfile (one pass).

  check_dumps.py --vmcore-header FILE [--marker NAME=TEXT ...] [--max-marker-pages NAME=N ...]
                 REFERENCE OURS [OURS...]

REFERENCE is makedumpfile's output and each OURS a dumpfilter output, all made from the same
/proc/vmcore with the same dump level. Checked:
  * libkdumpfile opens every file and finds its architecture on its own (drgn and crash
    scripts built on libkdumpfile need that; QEMU's kdump files famously fail it);
  * every PFN: absent in both, or present in both with equal bytes. The one tolerated
    difference is the partly stored last page of a /proc/vmcore PT_LOAD (its program headers
    are in --vmcore-header): makedumpfile 1.7.2 drops it, dumpfilter keeps the stored bytes
    (tests/filter_oracle documents the same deliberate difference);
  * per marker, the number of pages holding it is the same in every file and at most the
    --max-marker-pages bound (default 0).
Prints one JSON line per file and a verdict. Exit status: 0 all checks hold, 1 otherwise.
"""
import argparse
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from lkdf_compare import LkdfView  # noqa: E402  (libkdumpfile view shared with the interop suite)


def partial_tails(header, page_size):
    """PFNs of the last page of each ELF64 LE PT_LOAD whose file bytes end inside the page."""
    with open(header, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("check_dumps: %s is not an ELF64 LE header" % header)
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    tails = set()
    for i in range(phnum):
        p_type, _, _, _, p_paddr, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                phoff + i * phentsize)
        end = p_paddr + p_filesz
        if p_type == 1 and p_filesz and end % page_size:
            tails.add(end // page_size)
    return tails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vmcore-header", required=True)
    ap.add_argument("--marker", action="append", default=[], metavar="NAME=TEXT")
    ap.add_argument("--max-marker-pages", action="append", default=[], metavar="NAME=N")
    ap.add_argument("reference")
    ap.add_argument("ours", nargs="+")
    args = ap.parse_args()
    markers = {n: t.encode() for n, _, t in (m.partition("=") for m in args.marker)}
    bounds = {n: 0 for n in markers}
    bounds.update({n: int(v) for n, _, v in (m.partition("=") for m in args.max_marker_pages)})

    t0 = time.time()
    views = [LkdfView(p) for p in [args.reference] + args.ours]
    ps = views[0].page_size
    tails = partial_tails(args.vmcore_header, ps)
    failures = []
    for v in views:
        if v.page_size != ps:
            failures.append("%s: page size %d, reference %d" % (v.label, v.page_size, ps))
        for note in v.notes:  # LkdfView notes that it had to name the architecture itself
            failures.append("libkdumpfile on %s: %s" % (v.label, note))
    n = max(v.max_pfn for v in views)
    present = [0] * len(views)
    hits = [{m: 0 for m in markers} for _ in views]
    mismatches = [[] for _ in views]
    tolerated = [[] for _ in views]
    for pfn in range(n):
        pages = [v.page(pfn) for v in views]
        for i, page in enumerate(pages):
            if page is None:
                continue
            present[i] += 1
            for m, text in markers.items():
                if text in page:
                    hits[i][m] += 1
        ref = pages[0]
        for i in range(1, len(views)):
            if pages[i] == ref:
                continue
            if ref is None and pfn in tails:
                tolerated[i].append(pfn)
            else:
                mismatches[i].append(pfn)

    for i, v in enumerate(views):
        print(json.dumps({"dump": v.label, "format": v.format, "max_pfn": v.max_pfn,
                          "pages_present": present[i], "marker_pages": hits[i],
                          "differing_pfns": len(mismatches[i]),
                          "tolerated_tail_pfns": [hex(p) for p in tolerated[i]]}))
        for pfn, err in v.errors[:10]:
            failures.append("%s: pfn 0x%x: %s" % (v.label, pfn, err))
        if mismatches[i]:
            failures.append("%s differs from the reference at %d pfns, first: %s" % (
                v.label, len(mismatches[i]), " ".join(hex(p) for p in mismatches[i][:10])))
        for m in markers:
            if hits[i][m] != hits[0][m]:
                failures.append("%s: %d pages with the %s marker, reference %d" %
                                (v.label, hits[i][m], m, hits[0][m]))
            if hits[i][m] > bounds[m]:
                failures.append("%s: %d pages with the %s marker (at most %d expected)" %
                                (v.label, hits[i][m], m, bounds[m]))
    for f in failures:
        print("FAIL: " + f)
    print("%s: %d pfns, %d dumps, %d partial tail pages of /proc/vmcore tolerated, %.1f s" %
          ("FAIL" if failures else "OK", n, len(views), len(tails), time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
