#!/usr/bin/env python3
"""dumpinfo acceptance on the real corpus and on our own output in every format.

usage: corpus_check.py CASE
environment: DUMPINFO, DUMPCONV (binaries), CORPUS (prepared by tests/interop/prepare_corpus.sh),
REF (the corpus reference/ directory), WORK (scratch directory for this case).

Independent facts come from elsewhere: the kernel release from libkdumpfile's view
(reference/*/lkdf.json), the kernel log from makedumpfile --dump-dmesg, offsets and PFNs of
damaged copies from this script's own parsing of the kdump and ELF layouts (docs/formats.md).
Every dumpinfo --json output is parsed with Python's json module.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

DUMPINFO = os.environ["DUMPINFO"]
DUMPCONV = os.environ["DUMPCONV"]
CORPUS = os.environ["CORPUS"]
REF = os.environ["REF"]
WORK = os.environ["WORK"]
D = os.path.join(CORPUS, "derived")

ELF = os.path.join(CORPUS, "proc-vmcore.elf")
QEMU_ELF = os.path.join(CORPUS, "qemu-elf.vmcore")
QEMU_FLAT = os.path.join(CORPUS, "qemu-kdump-zlib.flat")
SPLIT = [os.path.join(D, "mdf-split-c-d31.%d" % i) for i in (1, 2, 3)]
DMESG_REF = os.path.join(REF, "proc-vmcore.elf", "makedumpfile-dump-dmesg.txt")
OSRELEASE = json.load(open(os.path.join(REF, "proc-vmcore.elf", "lkdf.json")))["osrelease"]

failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def run(args, expect=0):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if expect is not None and p.returncode != expect:
        sys.stderr.write(p.stderr.decode(errors="replace"))
        raise SystemExit("%s: exit %d, expected %d" % (" ".join(args), p.returncode, expect))
    return p


def info(paths, *opts, expect=0):
    p = run([DUMPINFO, "-q", "--json", *opts, *paths], expect)
    return json.loads(p.stdout)  # a real JSON parser: any syntax error fails the case


def dmesg(paths):
    return run([DUMPINFO, "-q", "--dmesg", *paths]).stdout


def mdf_dmesg(path):
    out = os.path.join(WORK, "mdf-dmesg.txt")
    if os.path.exists(out):
        os.remove(out)
    run(["makedumpfile", "--dump-dmesg", path, out], expect=0)
    with open(out, "rb") as f:
        return f.read()


def conv(*args):
    run([DUMPCONV, "--quiet", *args], expect=0)


def reference_dmesg():
    with open(DMESG_REF, "rb") as f:
        return f.read()


def kernel_version():
    # "[    0.000000] Linux version 6.1.0-56-cloud-amd64 (...) #1 SMP ... (2026-11-16)"
    first = reference_dmesg().split(b"\n", 1)[0].decode()
    return first[first.index(" #") + 1:]


# --- independent layout parsing (docs/formats.md §1, §3) -----------------------------------------

class Kdump:
    """The 64-bit little-endian kdump-compressed layout, enough to find page data."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        r = self.raw
        assert r[:8] == b"KDUMP   "
        self.version = struct.unpack_from("<i", r, 8)[0]
        self.bs, self.sub_blocks, self.bitmap_blocks, mapnr = struct.unpack_from("<iiII", r, 428)
        sub = self.bs
        if self.version >= 6:
            mapnr = struct.unpack_from("<Q", r, sub + 96)[0]
        self.max_mapnr = mapnr
        self.sub = sub
        bm2 = (1 + self.sub_blocks + self.bitmap_blocks // 2) * self.bs
        self.desc_off = (1 + self.sub_blocks + self.bitmap_blocks) * self.bs
        self.pfns = []
        for byte_i in range((mapnr + 7) // 8):
            b = r[bm2 + byte_i]
            if b:
                for bit in range(8):
                    if b >> bit & 1:
                        self.pfns.append(byte_i * 8 + bit)

    def desc(self, i):
        return struct.unpack_from("<QIIQ", self.raw, self.desc_off + 24 * i)  # offset size flags pf


class Elf64:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.head = f.read(1 << 20)
        h = self.head
        assert h[:4] == b"\x7fELF" and h[4] == 2 and h[5] == 1
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        self.phoff, self.phentsize = phoff, phentsize
        self.phdrs = []
        for i in range(phnum):
            t, fl, off, va, pa, fs, ms, al = struct.unpack_from("<IIQQQQQQ", h, phoff + i * phentsize)
            self.phdrs.append(dict(type=t, offset=off, paddr=pa, filesz=fs, memsz=ms, index=i))

    def notes(self):
        return [p for p in self.phdrs if p["type"] == 4][0]

    def loads(self):
        return [p for p in self.phdrs if p["type"] == 1]


def find_note(raw, start, size, name):
    """File offset of the note called `name` in the note area [start, start+size)."""
    pos = start
    while pos + 12 <= start + size:
        namesz, descsz, _ = struct.unpack_from("<III", raw, pos)
        if namesz == 0:
            break
        n = raw[pos + 12:pos + 12 + namesz].rstrip(b"\0")
        if n == name:
            return pos, pos + 12 + (namesz + 3) // 4 * 4, descsz
        pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return None


def read_at(path, off, n):
    with open(path, "rb") as f:
        f.seek(off)
        return f.read(n)


def patch(path, off, data):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)


# --- cases ------------------------------------------------------------------------------------

def identify_common(name, j, fmt):
    check(j["schema_version"] == 1, name + ": schema_version 1")
    check(j["format"] == fmt, name + ": format %s (got %s)" % (fmt, j["format"]))
    check(j["kernel"]["release"] == OSRELEASE,
          name + ": kernel release %s equals OSRELEASE %s" % (j["kernel"]["release"], OSRELEASE))
    if fmt == "s390":  # the format records only s390 machines: our writer labels it s390x
        check(j["arch"] == "s390x" and j["page_size"] == 4096, name + ": s390x, 4096-byte pages")
    else:
        check(j["arch"] == "x86_64" and j["byte_order"] == "little" and j["page_size"] == 4096,
              name + ": x86_64, little-endian, 4096-byte pages")


def case_corpus_identify():
    cases = [
        ("proc-vmcore.elf", [ELF], "elf"),
        ("qemu-elf.vmcore", [QEMU_ELF], "elf"),
        ("qemu-kdump-zlib.flat", [QEMU_FLAT], "kdump"),
        ("mdf-c-d0", [os.path.join(D, "mdf-c-d0.kdump")], "kdump"),
        ("mdf-l-d0", [os.path.join(D, "mdf-l-d0.kdump")], "kdump"),
        ("mdf-c-d31", [os.path.join(D, "mdf-c-d31.kdump")], "kdump"),
        ("mdf-l-d31", [os.path.join(D, "mdf-l-d31.kdump")], "kdump"),
        ("mdf-E-d31", [os.path.join(D, "mdf-E-d31.elf")], "elf"),
        ("mdf-F-c-d31", [os.path.join(D, "mdf-F-c-d31.flat")], "kdump"),
        ("mdf-split", SPLIT, "kdump"),
        ("qemu-R", [os.path.join(D, "qemu-kdump-zlib.R.kdump")], "kdump"),
    ]
    vmci = run([DUMPINFO, "-q", "--vmcoreinfo", ELF]).stdout
    build_id = re.search(rb"^BUILD-ID=(\w+)$", vmci, re.M).group(1).decode()
    for name, paths, fmt in cases:
        j = info(paths)
        identify_common(name, j, fmt)
        k = j["kernel"]
        check(k["release_source"] == "VMCOREINFO OSRELEASE", name + ": release from VMCOREINFO")
        check(k["build_id"] == build_id, name + ": build ID " + build_id)
        check(k["version"] == kernel_version(), name + ": version string " + kernel_version())
        check(j["cpus"]["count"] == 2 and len(j["cpus"]["states"]) == 2, name + ": 2 CPUs")
        check(j["files"][0]["flattened"] == name.endswith("flat") or name == "mdf-F-c-d31",
              name + ": flattened flag")
        if name.startswith("mdf-") and fmt == "kdump":
            check(j["dump_level"] == (0 if "-d0" in name else 31), name + ": dump level")
            check(j["compression"] == ("lzo" if "-l-" in name else "zlib"), name + ": codec")
        if name == "mdf-split":
            check(len(j["files"]) == 3, name + ": three files")
        for s in j["cpus"]["states"]:
            check(re.fullmatch(r"0x[0-9a-f]+", s["registers"]["rip"]) is not None,
                  name + ": CPU %d rip as a hex string" % s["index"])
    # The crashing CPU of the real crash is the one the oops names.
    j = info([ELF])
    m = re.search(rb"CPU: (\d+) PID: (\d+) Comm:", reference_dmesg())
    cpu, pid = int(m.group(1)), int(m.group(2))
    c = j["cpus"]["crashing"]
    check(c == cpu and j["cpus"]["states"][c]["pid"] == pid,
          "proc-vmcore.elf: crashing CPU %d pid %d as the oops says" % (cpu, pid))
    check(j["crash_time"] is not None and j["crash_time"]["seconds"] > 0, "proc-vmcore.elf: crash time")
    # --vmcoreinfo is the note's text byte for byte (this script's own ELF note parse).
    e = Elf64(ELF)
    pn = e.notes()
    with open(ELF, "rb") as f:
        f.seek(pn["offset"])
        area = f.read(pn["filesz"])
    _, desc, size = find_note(area, 0, len(area), b"VMCOREINFO")
    text = area[desc:desc + size].split(b"\0", 1)[0]
    check(vmci == text, "--vmcoreinfo equals the VMCOREINFO note (%d bytes)" % len(text))
    check(info([ELF], "--vmcoreinfo")["vmcoreinfo"].encode() == text, "--json --vmcoreinfo too")


def case_corpus_dmesg():
    ref = reference_dmesg()
    mine = dmesg([ELF])
    check(mine == ref, "proc-vmcore.elf: dmesg equals reference/makedumpfile-dump-dmesg.txt")
    check(mine == mdf_dmesg(ELF), "proc-vmcore.elf: dmesg equals makedumpfile --dump-dmesg")
    for n in ["mdf-c-d0.kdump", "mdf-l-d31.kdump", "mdf-E-d31.elf"]:
        p = os.path.join(D, n)
        check(dmesg([p]) == mdf_dmesg(p), n + ": dmesg equals makedumpfile --dump-dmesg")
    check(dmesg(SPLIT) == ref, "split set: dmesg equals the reference")
    check(dmesg([os.path.join(D, "mdf-F-c-d31.flat")]) == ref, "flattened: dmesg equals the reference")
    # QEMU's dumps: makedumpfile 1.7.2 reads neither (QEMU's ELF has no PT_LOAD it accepts; its
    # kdump carries a misparsed phys_base), so they are compared through our kdump
    # conversions, which take phys_base from VMCOREINFO.
    for name, p in [("qemu-elf.vmcore", QEMU_ELF), ("qemu-kdump-zlib.flat", QEMU_FLAT)]:
        out = os.path.join(WORK, name + ".kdump")
        conv("-l", p, out)
        mine = dmesg([p])
        check(mine == mdf_dmesg(out), name + ": dmesg equals makedumpfile's of our kdump of it")
        check(len(mine) > 20000 and ref.startswith(mine),
              name + ": taken before the panic, its log is a prefix of the crash dump's")
    check(dmesg([os.path.join(D, "qemu-kdump-zlib.R.kdump")]) == dmesg([QEMU_FLAT]),
          "qemu-kdump-zlib.flat and its makedumpfile -R rearrangement: the same dmesg")
    j = info([ELF], "--dmesg")
    check(j["dmesg"]["text"].encode() == ref and j["dmesg"]["layout"] == "lockless",
          "--json --dmesg text equals the reference")


def case_ours():
    ref = reference_dmesg()
    outs = []
    for args, name, fmt in [(["-c"], "our-zlib.kdump", "kdump"), (["-l"], "our-lzo.kdump", "kdump"),
                            (["-p"], "our-snappy.kdump", "kdump"), (["-z"], "our-zstd.kdump", "kdump"),
                            (["-E"], "our.elf", "elf"), (["-F", "-c"], "our.flat", "kdump"),
                            (["-f", "s390"], "our.s390", "s390"), (["-f", "sadump"], "our.sadump", "sadump")]:
        out = os.path.join(WORK, name)
        conv(*args, ELF, out)
        outs.append((name, out, fmt))
    wrapped = os.path.join(WORK, "our-lzo.kdump")
    for tool, ext in [("gzip", "gz"), ("zstd", "zst"), ("lz4", "lz4")]:
        if shutil.which(tool):
            out = wrapped + "." + ext
            with open(out, "wb") as f:
                subprocess.run([tool, "-c", wrapped] + (["-q"] if tool != "gzip" else []),
                               stdout=f, check=True)
            outs.append((os.path.basename(out), out, "kdump"))
    for name, path, fmt in outs:
        j = info([path])
        identify_common(name, j, fmt)
        no_vmci = fmt in ("s390", "sadump")
        src = j["kernel"]["release_source"]
        check(src.startswith("memory scan") if no_vmci else src == "VMCOREINFO OSRELEASE",
              name + ": release from " + src)
        if not no_vmci:
            check(dmesg([path]) == ref, name + ": dmesg equals the reference")
        if "." + name.rsplit(".", 1)[-1] in (".gz", ".zst", ".lz4"):
            check(j["files"][0]["compression"] is not None, name + ": compression noted")
        v = run([DUMPINFO, "-q", "--verify", path], expect=None)
        check(v.returncode == 0 and b"verify: OK" in v.stdout, name + ": --verify passes")


def case_verify_good():
    for paths in [[ELF], [QEMU_FLAT], [os.path.join(D, "mdf-l-d31.kdump")],
                  [os.path.join(D, "mdf-E-d31.elf")], SPLIT]:
        v = run([DUMPINFO, "-q", "--verify", *paths], expect=None)
        check(v.returncode == 0 and b"verify: OK" in v.stdout,
              os.path.basename(paths[0]) + ": --verify passes (exit %d)" % v.returncode)
        j = info(paths, "--verify")
        check(j["verify"]["ok"] is True and j["verify"]["pages_failed"] == 0,
              os.path.basename(paths[0]) + ": --json verify ok")


def case_verify_damaged():
    src = os.path.join(D, "mdf-c-d31.kdump")
    k = Kdump(src)
    n = len(k.pfns)
    zero_off = k.desc(0)[0] if k.desc(0)[1] == k.bs and k.desc(0)[2] == 0 else None

    # 1. A bit flip in the compressed data of a page in the middle.
    i = n // 2
    while True:
        off, size, flags, _ = k.desc(i)
        if flags and size > 64 and off != zero_off:
            break
        i += 1
    flip = os.path.join(WORK, "flip.kdump")
    shutil.copyfile(src, flip)
    b = read_at(flip, off + size // 2, 1)
    patch(flip, off + size // 2, bytes([b[0] ^ 0x20]))
    v = run([DUMPINFO, "-q", "--verify", flip], expect=None)
    text = v.stdout.decode()
    print(text)
    check(v.returncode == 1, "bit flip: exit status 1")
    check("first bad PFN 0x%x; last good PFN 0x%x" % (k.pfns[i], k.pfns[i - 1]) in text,
          "bit flip: first bad PFN 0x%x, last good 0x%x" % (k.pfns[i], k.pfns[i - 1]))
    check("offset 0x%x: PFN 0x%x" % (off, k.pfns[i]) in text,
          "bit flip: the message names the page's data offset 0x%x" % off)
    j = info([flip], "--verify", expect=1)
    check(j["verify"]["first_bad_pfn"] == k.pfns[i] and j["verify"]["pages_failed"] == 1,
          "bit flip: --json verify names the PFN")

    # 2. The same file cut inside the page data.
    cut = k.desc_off + 24 * n + (len(k.raw) - k.desc_off - 24 * n) * 6 // 10
    first_lost = None
    for d in range(n):
        o, s, _, _ = k.desc(d)
        if o == 0 or o + s > cut:
            first_lost = k.pfns[d]
            break
    trunc = os.path.join(WORK, "trunc.kdump")
    with open(trunc, "wb") as f:
        f.write(k.raw[:cut])
    v = run([DUMPINFO, "-q", "--verify", trunc], expect=None)
    text = v.stdout.decode()
    print(text)
    prev = k.pfns[k.pfns.index(first_lost) - 1]
    check(v.returncode == 1, "truncated kdump: exit status 1")
    check("data lost from PFN 0x%x; first bad PFN 0x%x; last good PFN 0x%x" % (first_lost, first_lost, prev)
          in text, "truncated kdump: data lost from PFN 0x%x, last good 0x%x" % (first_lost, prev))
    check("the file ends at offset 0x%x" % cut in text, "truncated kdump: ends at offset 0x%x" % cut)

    # 3. An ELF cut inside a segment, and one whose PT_LOAD points past the end of the file.
    esrc = os.path.join(D, "mdf-E-d31.elf")
    e = Elf64(esrc)
    size = os.path.getsize(esrc)
    cut = size // 2
    seg = [p for p in e.loads() if p["filesz"] and p["offset"] <= cut < p["offset"] + p["filesz"]][0]
    lost = seg["paddr"] // 4096 + (cut - seg["offset"]) // 4096
    ecut = os.path.join(WORK, "cut.elf")
    with open(esrc, "rb") as f, open(ecut, "wb") as g:
        g.write(f.read(cut))
    v = run([DUMPINFO, "-q", "--verify", ecut], expect=None)
    text = v.stdout.decode()
    print(text)
    check(v.returncode == 1, "truncated ELF: exit status 1")
    check("data lost from PFN 0x%x" % lost in text, "truncated ELF: data lost from PFN 0x%x" % lost)
    check("ends at offset 0x%x" % cut in text, "truncated ELF: ends at offset 0x%x" % cut)
    eflip = os.path.join(WORK, "flip.elf")
    shutil.copyfile(esrc, eflip)
    victim = [p for p in e.loads() if p["filesz"] > 4096][1]
    at = e.phoff + victim["index"] * e.phentsize + 8 + 7  # top byte of p_offset
    patch(eflip, at, b"\x40")
    v = run([DUMPINFO, "-q", "--verify", eflip], expect=None)
    print(v.stdout.decode(), v.stderr.decode())
    check(v.returncode == 1, "ELF with a PT_LOAD past the end: exit status 1")


def strip_vmcoreinfo_kdump(src, dst):
    shutil.copyfile(src, dst)
    k = Kdump(src)
    off_note, size_note = struct.unpack_from("<QQ", k.raw, k.sub + 48)
    pos, _, _ = find_note(k.raw, off_note, size_note, b"VMCOREINFO")
    patch(dst, pos + 12, b"VMCOREINFX")
    patch(dst, k.sub + 32, struct.pack("<QQ", 0, 0))  # offset_vmcoreinfo, size_vmcoreinfo
    patch(dst, 12, bytes(6 * 65))  # and the header's utsname: nothing names the kernel


def strip_vmcoreinfo_elf(src, dst):
    shutil.copyfile(src, dst)
    e = Elf64(src)
    pn = e.notes()
    area = read_at(src, pn["offset"], pn["filesz"])
    pos, _, _ = find_note(area, 0, len(area), b"VMCOREINFO")
    patch(dst, pn["offset"] + pos + 12, b"VMCOREINFX")


def case_no_vmcoreinfo():
    k = os.path.join(WORK, "novmci.kdump")
    strip_vmcoreinfo_kdump(os.path.join(D, "mdf-c-d31.kdump"), k)
    e = os.path.join(WORK, "novmci.elf")
    strip_vmcoreinfo_elf(os.path.join(D, "mdf-E-d31.elf"), e)
    for name, path in [("kdump", k), ("elf", e)]:
        j = info([path])
        check(j["vmcoreinfo_bytes"] is None, name + " without VMCOREINFO: none seen")
        kk = j["kernel"]
        check(kk["release"] == OSRELEASE, name + " without VMCOREINFO: release %s" % kk["release"])
        check(kk["release_source"].startswith("memory scan"), name + ": found by " + kk["release_source"])
        check(kk["version"] == kernel_version(), name + ": version string from memory")
        check(kk["scan"]["banner"] is not None and OSRELEASE in kk["scan"]["banner"]["text"],
              name + ": banner found too")
        d = run([DUMPINFO, "-q", "--dmesg", path], expect=None)
        check(d.returncode == 1 and d.stdout == b"", name + ": --dmesg fails without VMCOREINFO")
    # With VMCOREINFO, --scan cross-checks and agrees.
    j = info([ELF], "--scan")
    check(j["kernel"]["scan"]["release"] == OSRELEASE and not any("scan finds" in w for w in j["warnings"]),
          "proc-vmcore.elf --scan agrees with VMCOREINFO")


def case_mem_usage():
    full = info([ELF], "--mem-usage")["mem_usage"]
    d31 = info([os.path.join(D, "mdf-l-d31.kdump")], "--mem-usage")["mem_usage"]
    check(full["classified"] and d31["classified"], "mem-usage: classes from struct pages")
    pages = full["pages"]
    check(sum(pages.values()) == full["total_pages"], "mem-usage: classes add up to the total")
    for c in ("cache", "private", "user", "free"):
        check(pages[c] == d31["pages"][c],
              "mem-usage %s: %d in the full dump, %d in its -d 31 copy (same struct pages)"
              % (c, pages[c], d31["pages"][c]))
    # The guest's own makedumpfile --mem-usage /proc/kcore, taken just before the panic.
    ref = {}
    for line in open(os.path.join(REF, "proc-vmcore.elf", "makedumpfile-mem-usage-in-guest.txt")):
        m = re.match(r"(ZERO|NON_PRI_CACHE|PRI_CACHE|USER|FREE)\s+(\d+)", line)
        if m:
            ref[m.group(1)] = int(m.group(2))
    for c, key in (("zero", "ZERO"), ("cache", "NON_PRI_CACHE"), ("private", "PRI_CACHE"),
                   ("user", "USER"), ("free", "FREE")):
        check(abs(pages[c] - ref[key]) <= max(30, ref[key] * 3 // 100),
              "mem-usage %s: %d near the guest's own count %d" % (c, pages[c], ref[key]))
    text = run([DUMPINFO, "-q", "--mem-usage", ELF]).stdout.decode()
    check(text.startswith("TYPE\t\tPAGES\t\t\tEXCLUDABLE\tDESCRIPTION\n" + "-" * 70 + "\n"),
          "mem-usage: makedumpfile's table header")


CASES = {
    "corpus-identify": case_corpus_identify,
    "corpus-dmesg": case_corpus_dmesg,
    "ours": case_ours,
    "verify-good": case_verify_good,
    "verify-damaged": case_verify_damaged,
    "no-vmcoreinfo": case_no_vmcoreinfo,
    "mem-usage": case_mem_usage,
}

if __name__ == "__main__":
    case = sys.argv[1]
    if not os.path.exists(ELF):
        print("corpus not prepared in %s: skipped" % CORPUS)
        sys.exit(77)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    CASES[case]()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    shutil.rmtree(WORK, ignore_errors=True)
    print("all checks passed")
