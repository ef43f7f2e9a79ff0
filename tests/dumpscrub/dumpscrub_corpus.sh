#!/bin/bash
# dumpscrub acceptance cases on the real corpus (see CMakeLists.txt next to this file).
# usage: dumpscrub_corpus.sh CASE   (env: DUMPSCRUB MARKERS PY HERE WORK CORPUS REF, optional
# DUMPINFO DUMPCONV). Exit 0 pass, 1 fail, 77 skipped (a reason is printed).
set -euo pipefail

case_name=${1:?case}
work=$WORK/$case_name
# shellcheck source=../lib/case_workdir.sh
source "$HERE/../lib/case_workdir.sh"
enter_case_workdir "${work}"
elf=$CORPUS/proc-vmcore.elf
release=6.1.0-56-cloud-amd64
vmlinux=/usr/lib/debug/boot/vmlinux-$release

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}

# Every marker count of DUMP must be 0, by libdumpfmt and by libkdumpfile.
no_markers() {
  local f=$1
  "$MARKERS" count "$f" >ours.txt || fail "scrub_markers count $f"
  "$PY" "$HERE/lkdf_markers.py" "$f" >lkdf.txt || fail "lkdf_markers $f (libkdumpfile cannot read it?)"
  echo "== $f: libdumpfmt"; cat ours.txt
  echo "== $f: libkdumpfile"; cat lkdf.txt
  for t in ours.txt lkdf.txt; do
    if grep -E 'SECRET- [1-9]' "$t"; then fail "$f: markers left ($t)"; fi
  done
}

# The kernel log of OUT equals the source's and makedumpfile's reference text.
same_dmesg() {
  local in=$1 out=$2
  makedumpfile --dump-dmesg "$out" mdf.dmesg >/dev/null 2>&1 || fail "makedumpfile --dump-dmesg $out"
  if [[ $in == "$elf" ]]; then
    cmp mdf.dmesg "$REF/proc-vmcore.elf/makedumpfile-dump-dmesg.txt" ||
      fail "makedumpfile --dump-dmesg of $out differs from the corpus reference"
  fi
  if [[ -n ${DUMPINFO:-} ]]; then
    "$DUMPINFO" --dmesg "$in" >in.dmesg || fail "dumpinfo --dmesg $in"
    "$DUMPINFO" --dmesg "$out" >out.dmesg || fail "dumpinfo --dmesg $out"
    cmp in.dmesg out.dmesg || fail "dumpinfo --dmesg differs between $in and $out"
    "$DUMPINFO" -q --verify "$out" >/dev/null || fail "dumpinfo --verify $out"
  fi
  echo "dmesg unchanged"
}

# Sum of "pages" lines
pages_of() { "$MARKERS" count "$1" | awk '$1 == "pages" {print $2}'; }

# A VMCOREINFO value of the source (the note is near the start of the file).
vmcoreinfo() { head -c 4M "$elf" | strings -n 6 | awk -v k="$1=" 'index($0, k) == 1 && !n++ {print substr($0, length(k) + 1)}'; }

# PFNs and byte ranges where A and B differ; "only-a"/"only-b" lines for presence changes.
diff_pages() { "$MARKERS" diff "$1" "$2"; }

case $case_name in
  upload-kdump)
    "$DUMPSCRUB" -q --profile upload --json s.json "$elf" out.kdump
    no_markers out.kdump
    same_dmesg "$elf" out.kdump
    # eraseinfo travels with the dump (kdump sub-header), makedumpfile's line form.
    grep -q '"class": "key"' s.json || fail "no key class in the JSON summary"
    "$PY" - <<'EOF' || fail "eraseinfo"
import json, struct
j = json.load(open("s.json"))
with open("out.kdump", "rb") as f:
    blk = struct.unpack_from("<I", f.read(0x1b0), 0x1ac)[0]
    f.seek(blk + 64)
    off, size = struct.unpack("<QQ", f.read(16))
    f.seek(off)
    text = f.read(size).decode()
lines = text.splitlines()
assert lines and all(l.startswith("erase ") and " size " in l for l in lines), lines[:3]
assert len(lines) == len(j["erased"]), (len(lines), len(j["erased"]))
assert any("key(" in l for l in lines)
print("eraseinfo: %d lines, e.g. %s" % (len(lines), lines[0]))
EOF
    ;;
  upload-elf)
    "$DUMPSCRUB" -q --profile upload -E "$elf" out.elf
    no_markers out.elf
    same_dmesg "$elf" out.elf
    ;;
  upload-keep-layout)
    "$DUMPSCRUB" -q --profile upload --keep-layout "$elf" out.kdump
    no_markers out.kdump
    same_dmesg "$elf" out.kdump
    n_in=$(pages_of "$elf")
    n_out=$(pages_of out.kdump)
    [[ $n_in == "$n_out" ]] || fail "--keep-layout: $n_out pages out of $n_in"
    ;;
  upload-flat)
    "$DUMPSCRUB" -q --profile upload -F "$elf" - >out.flat
    makedumpfile -R out.kdump <out.flat >/dev/null 2>&1 || fail "makedumpfile -R of our flattened output"
    no_markers out.kdump
    same_dmesg "$elf" out.kdump
    ;;
  upload-qemu-elf | upload-qemu-flat)
    src=$CORPUS/qemu-elf.vmcore
    [[ $case_name == upload-qemu-flat ]] && src=$CORPUS/qemu-kdump-zlib.flat
    "$DUMPSCRUB" -q --profile upload "$src" out.kdump
    no_markers out.kdump
    ;;
  share-kdump)
    # share = makedumpfile -d 31 + the per-CPU free lists: FREESECRET drops from makedumpfile's
    # 2924 to the one in the serial console's transmit ring; the rest as -d 31 leaves it.
    "$DUMPSCRUB" -q --profile share --json s.json "$elf" out.kdump
    makedumpfile -l -d 31 "$elf" mdf.kdump >/dev/null 2>&1
    "$MARKERS" count out.kdump | tee ours.txt
    "$MARKERS" count mdf.kdump | tee mdf.txt
    get() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
    [[ $(get FREESECRET- mdf.txt) -gt 1000 ]] || fail "makedumpfile -d 31 should leave thousands"
    [[ $(get FREESECRET- ours.txt) -le 1 ]] || fail "share leaves FREESECRET"
    for m in USERSECRET- CACHESECRET- KEYSECRET-; do
      [[ $(get $m ours.txt) == "$(get $m mdf.txt)" ]] || fail "$m differs from makedumpfile -d 31"
    done
    "$PY" -c "import json; j = json.load(open('s.json')); assert j['dropped_pages']['percpu_free'] > 0"
    same_dmesg "$elf" out.kdump
    ;;
  share-keep-layout)
    "$DUMPSCRUB" -q --profile share --keep-layout --fill 0xAA -E "$elf" out.elf
    [[ $(pages_of "$elf") == "$(pages_of out.elf)" ]] || fail "page count changed"
    # Every changed page is wholly 0xAA (a dropped page), nothing else changed.
    diff_pages "$elf" out.elf >diff.txt || true
    grep -v '^differ ' diff.txt && fail "pages appeared or vanished"
    awk '$1 == "differ" && $5 != "uniform=aa"' diff.txt | head -1 | grep . &&
      fail "a page changed but is not all 0xAA (share only drops whole pages)"
    echo "$(wc -l <diff.txt) pages overwritten"
    ;;
  erase-symbol)
    # One named object: init_uts_ns.name.nodename (65 bytes). Its physical address follows
    # from VMCOREINFO alone (kernel image: vaddr - __START_KERNEL_map + phys_base), so the
    # expected change is computed here without dumpscrub's own symbol or type code.
    "$DUMPSCRUB" -q --erase '(struct uts_namespace)init_uts_ns.name.nodename' "$elf" out.kdump
    sym=$(vmcoreinfo 'SYMBOL(init_uts_ns)')
    name_off=$(vmcoreinfo 'OFFSET(uts_namespace.name)')
    phys_base=$(vmcoreinfo 'NUMBER(phys_base)')
    pa=$(( 0x$sym - 0xffffffff80000000 + phys_base + name_off + 65 ))
    want=$(printf 'differ %x %d %d' $((pa / 4096)) $((pa % 4096)) $((pa % 4096 + 65)))
    diff_pages "$elf" out.kdump >diff.txt || fail "scrub_markers diff"
    cat diff.txt
    [[ $(wc -l <diff.txt) == 1 ]] || fail "more than one page changed"
    # The differing span is [first, last] changed byte; the nodename field is NUL-padded
    # and the fill is 'X', so every byte of the 65 changes.
    [[ $(cat diff.txt) == "$want" ]] || fail "changed: $(cat diff.txt); expected: $want"
    ;;
  erase-percpu)
    # crngs is a per-CPU variable: its key (32 bytes) changes on each CPU, nothing else.
    "$DUMPSCRUB" -q --erase 'crngs.key' --json s.json "$elf" out.kdump
    diff_pages "$elf" out.kdump >diff.txt || fail "scrub_markers diff"
    cat diff.txt
    ncpu=$("$PY" -c "import json; print(json.load(open('s.json'))['rules'][0]['objects'])")
    [[ $ncpu == 2 ]] || fail "expected the corpus's 2 CPUs, got $ncpu"
    [[ $(wc -l <diff.txt) == 2 ]] || fail "expected 2 changed ranges"
    awk '$1 != "differ" || $4 - $3 > 32' diff.txt | grep . && fail "a change wider than 32 bytes"
    true
    ;;
  rules-file)
    # makedumpfile's config syntax: a section and a loop over a red-black tree.
    cat >rules.conf <<'EOF'
[vmlinux]
# every key's description string
for k in key_serial_tree within key:serial_node
  erase k.description
endfor
erase (struct task_struct)init_task.comm
[some_module]
erase module_secret
EOF
    "$DUMPSCRUB" --rules rules.conf --json s.json "$elf" out.kdump 2>err.txt || { cat err.txt; fail "dumpscrub --rules"; }
    cat err.txt
    grep -q 'module symbols are not implemented' err.txt || fail "no warning about the module section"
    "$PY" - <<'EOF' || fail "rule report"
import json
j = json.load(open("s.json"))
r = {x["rule"]: x for x in j["rules"]}
loop = r["for k in key_serial_tree within key:serial_node"]
assert loop["objects"] >= 2, loop  # the corpus has a user key and a system key at least
assert r["erase (struct task_struct)init_task.comm"]["bytes"] == 16
print("keys:", loop["objects"], "description bytes:", loop["bytes"])
EOF
    n=$(diff_pages "$elf" out.kdump | wc -l)
    [[ $n -ge 2 ]] || fail "expected changed pages"
    ;;
  vmlinux-btf)
    [[ -f $vmlinux ]] || skip "no debug vmlinux ($vmlinux)"
    "$DUMPSCRUB" -q --profile upload "$elf" a.kdump
    "$DUMPSCRUB" -q --profile upload --vmlinux "$vmlinux" "$elf" b.kdump
    cmp a.kdump b.kdump || fail "BTF from the vmlinux gives a different result than the dump's"
    ;;
  crash)
    command -v crash >/dev/null || skip "crash is not installed"
    [[ -f $vmlinux ]] || skip "no debug vmlinux ($vmlinux)"
    "$DUMPSCRUB" -q --profile upload "$elf" out.kdump
    printf 'log\nquit\n' >cmds
    timeout 300 crash -s "$vmlinux" "$elf" -i cmds >in.log 2>&1 || fail "crash on the source"
    timeout 300 crash -s "$vmlinux" out.kdump -i cmds >out.log 2>&1 || fail "crash on our output"
    grep -q 'Kernel data has been erased' out.log || fail "crash does not see the eraseinfo"
    # The log itself is the same (crash's warnings before it aside).
    grep '^\[' in.log >in.txt
    grep '^\[' out.log >out.txt
    [[ $(wc -l <in.txt) -gt 100 ]] || fail "crash printed no log for the source"
    cmp in.txt out.txt || fail "crash prints a different log"
    printf 'help -D\nquit\n' >cmds
    timeout 300 crash -s "$vmlinux" out.kdump -i cmds >hd.log 2>&1 || fail "crash help -D"
    grep -q 'erase key(' hd.log || fail "crash help -D shows no eraseinfo"
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "PASS: $case_name"
