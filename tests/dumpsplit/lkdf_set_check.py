#!/usr/bin/python3
"""Reads a split set with libkdumpfile and compares it page by page with a source dump.

  lkdf_set_check.py --dumpdigest BIN SOURCE PART...

SOURCE is read with libdumpfmt (`dumpdigest --pages`; ours:PATH[,PATH...] or PATH, which our
interop cases check against libkdumpfile elsewhere), the set PART... with libkdumpfile 0.5.1
through its C API (kdump_open_fdset via ctypes: the Python binding's file.set attributes crash
0.5.1; same approach as tests/support/lkdf_check_dumpgen.py). Every PFN below the source's
max_pfn must be present in both with equal bytes (sha256), or absent in both (libkdumpfile
says KDUMP_ERR_NODATA); any other libkdumpfile error is a failure.

Exit status: 0 equal, 1 mismatch, 2 usage/open error, 77 python3-libkdumpfile missing.
"""
import argparse
import ctypes
import hashlib
import os
import sys
import time

try:
    import kdumpfile
    from kdumpfile.exceptions import KDUMP_ERR_NODATA, KDUMP_OK
except ImportError:
    print("SKIP: python3-libkdumpfile is not installed")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from lkdf_compare import OursView  # noqa: E402  (libdumpfmt's view through dumpdigest)


class LkdfSet:
    """A split set opened with kdump_open_fdset; page() -> bytes, or None for NODATA."""

    def __init__(self, paths, page_size):
        lib = ctypes.CDLL("libkdumpfile.so.10")
        lib.kdump_new.restype = ctypes.c_void_p
        lib.kdump_free.argtypes = [ctypes.c_void_p]
        lib.kdump_open_fdset.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                         ctypes.POINTER(ctypes.c_int)]
        lib.kdump_read.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64,
                                   ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        lib.kdump_get_err.restype = ctypes.c_char_p
        lib.kdump_get_err.argtypes = [ctypes.c_void_p]
        self.lib, self.page_size = lib, page_size
        self.ctx = lib.kdump_new()
        self.fds = [os.open(p, os.O_RDONLY) for p in paths]
        arr = (ctypes.c_int * len(self.fds))(*self.fds)
        if lib.kdump_open_fdset(self.ctx, len(self.fds), arr) != KDUMP_OK:
            raise RuntimeError("kdump_open_fdset: %s" % lib.kdump_get_err(self.ctx).decode())
        self.buf = ctypes.create_string_buffer(page_size)
        self.errors = []

    def page(self, pfn):
        n = ctypes.c_size_t(self.page_size)
        st = self.lib.kdump_read(self.ctx, kdumpfile.KDUMP_MACHPHYSADDR, pfn * self.page_size,
                                 self.buf, ctypes.byref(n))
        if st == KDUMP_OK and n.value == self.page_size:
            return self.buf.raw
        if st == KDUMP_ERR_NODATA:
            return None
        self.errors.append("pfn 0x%x: status %d: %s" % (pfn, st, self.lib.kdump_get_err(
            self.ctx).decode(errors="replace")))
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dumpdigest", required=True)
    ap.add_argument("source")
    ap.add_argument("parts", nargs="+")
    ap.add_argument("--max-report", type=int, default=20)
    args = ap.parse_args()
    t0 = time.time()
    spec = args.source[5:] if args.source.startswith("ours:") else args.source
    src = OursView(spec, args.dumpdigest, [])
    try:
        s = LkdfSet(args.parts, src.page_size)
    except Exception as e:  # noqa: BLE001 - an open failure is the finding
        print("FAIL: libkdumpfile cannot open the set %s: %s" % (" ".join(args.parts), e))
        return 1
    zero_sha = hashlib.sha256(bytes(src.page_size)).hexdigest()
    bad, present, zero = [], 0, 0
    for pfn in range(src.max_pfn):
        want = src.page(pfn)
        got = s.page(pfn)
        if got is not None:
            got = hashlib.sha256(got).hexdigest()
            present += 1
            zero += got == zero_sha
        if got != want:
            bad.append("pfn 0x%x: source %s, set %s" % (
                pfn, "absent" if want is None else want[:16],
                "absent" if got is None else got[:16]))
    # Past the end nothing may be readable.
    for pfn in range(src.max_pfn, src.max_pfn + 64):
        if s.page(pfn) is not None:
            bad.append("pfn 0x%x: readable beyond max_pfn" % pfn)
    for e in s.errors[:args.max_report]:
        print("ERROR: libkdumpfile: " + e)
    for b in bad[:args.max_report]:
        print("MISMATCH: " + b)
    ok = not bad and not s.errors
    print("%s: libkdumpfile read %d parts: %d pages present (%d zero), source %d; %d PFNs "
          "compared, %d differ, %d errors, %.1f s" %
          ("OK" if ok else "FAIL", len(args.parts), present, zero,
           src.summary["pages_present"], src.max_pfn, len(bad), len(s.errors), time.time() - t0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
