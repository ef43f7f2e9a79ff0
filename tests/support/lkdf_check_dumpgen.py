#!/usr/bin/python3
"""Cross-checks dumpgen against established readers.

Generates a handful of dumps with the dumpgen CLI and reads every page back with
libkdumpfile (python3-libkdumpfile; split sets through its C API via ctypes), comparing
with the content dumpgen.h defines (recomputed here from its description, not taken from
dumpgen). Flattened files are checked by `makedumpfile -R`: the reassembled file must be
byte-identical to the non-flattened one.

usage: lkdf_check_dumpgen.py DUMPGEN WORKDIR
Exit: 0 all checks passed (some may be skipped, printed as SKIP), 1 failure,
77 libkdumpfile missing.
"""
import ctypes
import os
import shutil
import subprocess
import sys

try:
    import kdumpfile
except ImportError:
    print("SKIP: python3-libkdumpfile not installed")
    sys.exit(77)

M64 = (1 << 64) - 1


def splitmix64(z):
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def page_words(seed, pfn, size, repeat):
    """dumpgen.h: word i = splitmix64(base + i // 8) (pattern) or + i (random), LE."""
    base = splitmix64(seed ^ splitmix64(pfn))
    nwords = (size + 7) // 8
    out = bytearray()
    last_key, last = None, b""
    for i in range(nwords):
        key = i // repeat
        if key != last_key:
            last = splitmix64((base + key) & M64).to_bytes(8, "little")
            last_key = key
        out += last
    return bytes(out[:size])


def expected(seed, pfn, size, zero_every, random_every):
    """Content rule of the dumpgen CLI (--zero-every, --random-every)."""
    if zero_every and pfn % zero_every == 0:
        return bytes(size)
    if random_every and pfn % random_every == 0:
        return page_words(seed, pfn, size, 1)
    return page_words(seed, pfn, size, 8)


class Variant:
    def __init__(self, name, args, ranges, ram_only=(), zero_every=0, random_every=0, seed=1,
                 page_size=4096, split=0, incomplete_after=None, known_issue=None):
        self.name, self.args = name, args
        self.ranges, self.ram_only = ranges, ram_only
        self.zero_every, self.random_every = zero_every, random_every
        self.seed, self.page_size, self.split = seed, page_size, split
        self.incomplete_after = incomplete_after
        # (predicate on the opened kdumpfile, explanation): a reader limitation to report
        # as SKIP rather than FAIL when the predicate holds.
        self.known_issue = known_issue

    def cli_args(self):
        a = list(self.args)
        for start, count in self.ranges:
            a += ["--range", "%d:%d" % (start, count)]
        for start, count in self.ram_only:
            a += ["--ram-only", "%d:%d" % (start, count)]
        if self.zero_every:
            a += ["--zero-every", str(self.zero_every)]
        if self.random_every:
            a += ["--random-every", str(self.random_every)]
        if self.split:
            a += ["--split", str(self.split)]
        if self.incomplete_after is not None:
            a += ["--incomplete-after", str(self.incomplete_after)]
        return a + ["--seed", str(self.seed), "--page-size", str(self.page_size)]

    def present(self):
        for start, count in self.ranges:
            for pfn in range(start, start + count):
                yield pfn

    def absent_probe(self):
        """PFNs a reader must not return data for: ram-only pages and holes."""
        out = [p for start, count in self.ram_only for p in range(start, start + count)]
        described = set(self.present()) | set(out)
        top = max(described) if described else 0
        out += [p for p in range(0, top + 3) if p not in described][:20]
        return out


# The vmcoreinfo lets libkdumpfile set up x86_64 translation for KPHYSADDR reads.
VMCOREINFO = ("OSRELEASE=6.1.0-dumpgen\nPAGESIZE=%d\nNUMBER(pgtable_l5_enabled)=0\n"
              "NUMBER(phys_base)=0\nKERNELOFFSET=0\nCRASHTIME=1700000000\n")

MEM = dict(ranges=[(0, 300), (400, 50)], ram_only=[(300, 20)], zero_every=7, random_every=11)
VARIANTS = [
    Variant("elf64-le", ["--format", "elf", "--cpus", "2"], **MEM),
    Variant("elf64-le-vaddr0-align", ["--format", "elf", "--vaddr", "zero", "--align"], **MEM),
    Variant("elf32-i386", ["--format", "elf", "--arch", "i386"], **MEM),
    Variant("elf64-be-ppc64", ["--format", "elf", "--arch", "ppc64"], **MEM),
    Variant("elf64-pnxnum", ["--format", "elf", "--segment-pages", "1"], ranges=[(0, 40)],
            ram_only=[(40, 65500)], zero_every=5),
    Variant("elf64-64k-pages", ["--format", "elf", "--arch", "aarch64"], ranges=[(0, 40)],
            zero_every=3, page_size=65536),
    Variant("kdump-v6-zlib", ["--format", "kdump", "--codec", "zlib"], **MEM),
    Variant("kdump-v6-lzo", ["--format", "kdump", "--codec", "lzo"], **MEM),
    Variant("kdump-v6-snappy", ["--format", "kdump", "--codec", "snappy"], **MEM),
    Variant("kdump-v6-zstd", ["--format", "kdump", "--codec", "zstd"], **MEM),
    Variant("kdump-v6-none-nozeropage", ["--format", "kdump", "--codec", "none",
                                         "--no-zero-page"], **MEM),
    Variant("kdump-v6-i386", ["--format", "kdump", "--arch", "i386"], **MEM),
    Variant("kdump-v6-arm-padded", ["--format", "kdump", "--arch", "arm"],
            known_issue=(lambda k: k.attr["max_pfn"] == 0,
                         "libkdumpfile < 0.5.2 parses the ARM (padded) sub header as packed "
                         "(upstream issue ptesarik/libkdumpfile#75): max_pfn reads 0"), **MEM),
    Variant("kdump-v6-s390x-be", ["--format", "kdump", "--arch", "s390x"], **MEM),
    Variant("kdump-v5-zlib", ["--format", "kdump", "--version", "5"], **MEM),
    Variant("kdump-v3-zlib", ["--format", "kdump", "--version", "3"], **MEM),
    Variant("kdump-v1-zlib", ["--format", "kdump", "--version", "1"], **MEM),
    Variant("kdump-v6-16k", ["--format", "kdump", "--codec", "zstd"], ranges=[(0, 100)],
            zero_every=4, page_size=16384),
    Variant("kdump-incomplete", ["--format", "kdump"], incomplete_after=150, **MEM),
    Variant("kdump-split3", ["--format", "kdump", "--codec", "lzo"], split=3, **MEM),
]


def open_set(paths):
    """A kdump_ctx_t* over a file set through the C API (the Python binding opens one file)."""
    lib = ctypes.CDLL("libkdumpfile.so.10")
    lib.kdump_new.restype = ctypes.c_void_p
    lib.kdump_open_fdset.argtypes = [ctypes.c_void_p, ctypes.c_uint,
                                     ctypes.POINTER(ctypes.c_int)]
    lib.kdump_read.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p,
                               ctypes.POINTER(ctypes.c_size_t)]
    lib.kdump_get_err.restype = ctypes.c_char_p
    lib.kdump_get_err.argtypes = [ctypes.c_void_p]
    ctx = lib.kdump_new()
    fds = [os.open(p, os.O_RDONLY) for p in paths]
    arr = (ctypes.c_int * len(fds))(*fds)
    if lib.kdump_open_fdset(ctx, len(fds), arr) != 0:
        raise RuntimeError("kdump_open_fdset: %s" % lib.kdump_get_err(ctx).decode())

    def read(addr, size):
        buf = ctypes.create_string_buffer(size)
        n = ctypes.c_size_t(size)
        if lib.kdump_read(ctx, kdumpfile.KDUMP_MACHPHYSADDR, addr, buf, ctypes.byref(n)) != 0:
            raise RuntimeError(lib.kdump_get_err(ctx).decode())
        return buf.raw[:n.value]
    return read


def open_single(path):
    k = kdumpfile.kdumpfile(path)
    try:
        k.attr["addrxlat.ostype"] = "linux"
        k.read(kdumpfile.KDUMP_KPHYSADDR, 0, 1)
        space, how = kdumpfile.KDUMP_KPHYSADDR, "KPHYSADDR"
    except Exception:
        space, how = kdumpfile.KDUMP_MACHPHYSADDR, "MACHPHYSADDR"

    def read(addr, size):
        return bytes(k.read(space, addr, size))
    return read, how, k.attr["file.format"], k


def check_variant(dumpgen, work, v):
    out = os.path.join(work, v.name)
    vmci = os.path.join(work, "vmci")
    with open(vmci, "w") as f:
        f.write(VMCOREINFO % v.page_size)
    subprocess.run([dumpgen] + v.cli_args() + ["--vmcoreinfo", vmci, out], check=True)
    if v.split:
        paths = ["%s.%d" % (out, i + 1) for i in range(v.split)]
        read, how, fmt = open_set(paths), "MACHPHYSADDR, C API file set", "diskdump set"
    else:
        read, how, fmt, k = open_single(out)
        if v.known_issue and v.known_issue[0](k):
            print("SKIP %-26s %s" % (v.name, v.known_issue[1]))
            return True
    ps = v.page_size
    bad, checked = [], 0
    for pfn in v.present():
        lost = v.incomplete_after is not None and pfn > v.incomplete_after
        try:
            data = read(pfn * ps, ps)
        except Exception as e:  # noqa: BLE001 - any reader error is a finding
            if not lost:
                bad.append("pfn %d: read failed: %s" % (pfn, e))
            continue
        if lost:
            bad.append("pfn %d: lost page was readable" % pfn)
        elif data != expected(v.seed, pfn, ps, v.zero_every, v.random_every):
            bad.append("pfn %d: content differs" % pfn)
        checked += 1
    refused = 0
    for pfn in v.absent_probe():
        try:
            read(pfn * ps, ps)
            bad.append("pfn %d: hole/excluded page was readable" % pfn)
        except Exception:  # noqa: BLE001
            refused += 1
    status = "FAIL" if bad else "PASS"
    print("%s %-26s %-12s %4d pages match, %4d holes/excluded refused (%s)"
          % (status, v.name, fmt, checked, refused, how))
    for b in bad[:10]:
        print("     " + b)
    return not bad


def check_flattened(dumpgen, work):
    """makedumpfile -R must turn each flattened file into the plain one, byte for byte."""
    mdf = shutil.which("makedumpfile")
    if not mdf:
        print("SKIP flattened: makedumpfile not installed")
        return True
    ok = True
    cases = [("kdump", []), ("kdump", ["--shuffle"]), ("kdump", ["--garbage"]),
             ("elf", []), ("kdump-eraseinfo", [])]
    erase = os.path.join(work, "erase.txt")
    with open(erase, "w") as f:
        f.write("erase modules size 8\nerase jiffies nullify\n")
    for fmt, extra in cases:
        base = ["--format", fmt.split("-")[0], "--pages", "200", "--zero-every", "9",
                "--ram-only", "200:5", "--codec", "zstd"]
        if fmt == "kdump-eraseinfo":
            base += ["--eraseinfo", erase]
        plain = os.path.join(work, "plain")
        flat = os.path.join(work, "flat")
        re = os.path.join(work, "reassembled")
        subprocess.run([dumpgen] + base + [plain], check=True)
        subprocess.run([dumpgen] + base + extra + ["--flattened", flat], check=True)
        if os.path.exists(re):
            os.unlink(re)
        with open(flat, "rb") as fin:
            r = subprocess.run([mdf, "-R", re], stdin=fin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
        name = "flattened %s %s" % (fmt, " ".join(extra))
        if r.returncode != 0:
            print("FAIL %-30s makedumpfile -R: %s" % (name, r.stderr.decode().strip()))
            ok = False
            continue
        same = open(plain, "rb").read() == open(re, "rb").read()
        print("%s %-30s makedumpfile -R output %s the plain file"
              % ("PASS" if same else "FAIL", name, "equals" if same else "DIFFERS FROM"))
        ok = ok and same
    return ok


def check_flattened_lkdf(dumpgen, work):
    """libkdumpfile 0.5.1 may not read flattened files: try, report SKIP if it cannot."""
    path = os.path.join(work, "flat-lkdf")
    subprocess.run([dumpgen, "--format", "kdump", "--pages", "50", path, "--flattened"],
                   check=True)
    try:
        read, _, fmt, _ = open_single(path)
        data = read(3 * 4096, 4096)
    except Exception as e:  # noqa: BLE001
        print("SKIP flattened via libkdumpfile: %s" % e)
        return True
    same = data == expected(1, 3, 4096, 0, 0)
    print("%s flattened via libkdumpfile (%s)" % ("PASS" if same else "FAIL", fmt))
    return same


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dumpgen, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    ok = True
    for v in VARIANTS:
        try:
            ok = check_variant(dumpgen, work, v) and ok
        except Exception as e:  # noqa: BLE001
            print("FAIL %-26s %s" % (v.name, e))
            ok = False
    ok = check_flattened(dumpgen, work) and ok
    ok = check_flattened_lkdf(dumpgen, work) and ok
    print("all checks passed" if ok else "SOME CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
