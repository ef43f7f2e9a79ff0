#!/usr/bin/python3
"""Counts the corpus's planted secret markers in every page of a dump as libkdumpfile (an
independent reader) decodes it, a marker straddling two consecutive PFNs included.

  lkdf_markers.py DUMP        prints "USERSECRET- N" ... and "pages N"; exit 0, 2 on open error
"""
import sys

try:
    import kdumpfile
    from kdumpfile.exceptions import NoDataException
except ImportError:
    sys.stderr.write("lkdf_markers: python3-libkdumpfile is missing (run with /usr/bin/python3)\n")
    sys.exit(2)

MARKERS = [b"USERSECRET-", b"CACHESECRET-", b"FREESECRET-", b"KEYSECRET-"]
CARRY = 16


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    k = kdumpfile.kdumpfile(sys.argv[1])
    k.attr["addrxlat.ostype"] = "linux"
    ps = int(k.attr["arch.page_size"])
    max_pfn = int(k.attr["max_pfn"])
    hits = dict.fromkeys(MARKERS, 0)
    pages = 0
    prev = b""
    last = -2
    for pfn in range(max_pfn):
        try:
            data = bytes(k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * ps, ps))
        except NoDataException:
            continue
        pages += 1
        if pfn != last + 1:
            prev = b""
        buf = prev + data
        for m in MARKERS:
            i = buf.find(m)
            while i >= 0:
                if i + len(m) > len(prev):  # ends in this page: not counted before
                    hits[m] += 1
                i = buf.find(m, i + 1)
        prev = data[-CARRY:]
        last = pfn
    for m in MARKERS:
        print("%s %d" % (m.decode(), hits[m]))
    print("pages %d" % pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
