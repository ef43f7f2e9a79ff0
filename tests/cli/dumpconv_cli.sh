#!/bin/bash
# CLI behaviour of dumpconv: exit codes, exact error lines, atomic outputs,
# pipes in and out, split sets, compressed inputs. Inputs come from dumpgen;
# pages are compared with dumpdigest-free means: our reader (dumpconv round
# trips) and cmp against a direct conversion.
# usage: dumpconv_cli.sh DUMPCONV DUMPGEN
set -u
DUMPCONV=$1
DUMPGEN=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/cli_checks.sh
source "$(dirname "$0")/../lib/cli_checks.sh"

"$DUMPGEN" --format elf --pages 600 --range 5000:40 --zero-every 7 --random-every 5 --cpus 2 \
  "$T/in.elf" >/dev/null || { echo "dumpgen failed"; exit 1; }
"$DUMPGEN" --format kdump --codec lzo --pages 600 --range 5000:40 --zero-every 7 --random-every 5 \
  --cpus 2 "$T/in.kdump" >/dev/null
"$DUMPGEN" --format kdump --codec zstd --pages 600 --range 5000:40 --zero-every 7 --random-every 5 \
  --cpus 2 --split 3 "$T/split" >/dev/null

# --- help, version, usage errors
expect 0 "--help" -- "$DUMPCONV" --help
grep -q "INPUT... OUTPUT" "$T/out" && ok || bad "--help lacks synopsis"
expect 0 "--version" -- "$DUMPCONV" --version
grep -q "codecs built in: zlib" "$T/out" && ok || bad "--version lacks codecs: $(cat "$T/out")"
expect 2 "no arguments" -- "$DUMPCONV"
stderr_is "dumpconv: error: need INPUT and OUTPUT (see --help)" "no arguments"
expect 2 "two codecs" -- "$DUMPCONV" -l -z "$T/in.elf" "$T/x"
stderr_is "dumpconv: error: choose one codec (-c, -l, -p, -z or --codec)" "two codecs"
expect 2 "unknown format" -- "$DUMPCONV" -f tar "$T/in.elf" "$T/x"
stderr_is "dumpconv: error: unknown output format 'tar'" "unknown format"
expect 2 "unknown option" -- "$DUMPCONV" --frobnicate "$T/in.elf" "$T/x"

# --- bad input: one line naming the file, exit 1, nothing left behind
expect 1 "missing input" -- "$DUMPCONV" "$T/nope" "$T/x"
stderr_is "dumpconv: error: $T/nope: cannot open: No such file or directory" "missing input"
head -c 5000 /dev/urandom >"$T/junk"
expect 1 "unknown format input" -- "$DUMPCONV" "$T/junk" "$T/x"
stderr_has "$T/junk: unknown format" "unknown format input"
[[ $(wc -l <"$T/err") == 1 ]] && ok || bad "unknown format: more than one line"
no_leftovers "$T/x" "unknown format input"
# A kdump cut inside its descriptor table: the error names the file and an offset.
head -c 9000 "$T/in.kdump" >"$T/cut.kdump"
expect 1 "truncated kdump" -- "$DUMPCONV" -q "$T/cut.kdump" "$T/x"
stderr_has "$T/cut.kdump" "truncated kdump"
stderr_has "offset 0x" "truncated kdump"
no_leftovers "$T/x" "truncated kdump"
# Corrupt page data (garbage over the compressed pages): stop, or --keep-going exit 3.
cp "$T/in.kdump" "$T/corrupt.kdump"
size=$(stat -c %s "$T/corrupt.kdump")
dd if=/dev/urandom of="$T/corrupt.kdump" bs=1 seek=$((size - 60000)) count=20000 conv=notrunc 2>/dev/null
expect 1 "corrupt pages" -- "$DUMPCONV" -q "$T/corrupt.kdump" "$T/x"
stderr_has "page 0x" "corrupt pages"
no_leftovers "$T/x" "corrupt pages"
expect 3 "corrupt pages --keep-going" -- "$DUMPCONV" -q --keep-going "$T/corrupt.kdump" "$T/x"
stderr_has "written as zeros" "keep-going"
[[ -f $T/x ]] && ok || bad "keep-going output missing"
rm -f "$T/x"

# --- conversions agree: ELF -> kdump(lzo) -> ELF equals ELF -> kdump(zstd) -> ELF
# (the kdump format keeps no virtual addresses, so compare through it both ways)
expect 0 "elf to kdump" -- "$DUMPCONV" -q -l "$T/in.elf" "$T/a.kdump"
expect 0 "kdump to elf" -- "$DUMPCONV" -q -E "$T/a.kdump" "$T/a.elf"
expect 0 "elf to kdump zstd" -- "$DUMPCONV" -q -z "$T/in.elf" "$T/b.kdump"
expect 0 "kdump zstd to elf" -- "$DUMPCONV" -q -E "$T/b.kdump" "$T/b.elf"
cmp -s "$T/a.elf" "$T/b.elf" && ok || bad "ELF via kdump-lzo differs from ELF via kdump-zstd"
# Each codec gives the same ELF back.
for c in -c -l -p -z "--codec none"; do
  # shellcheck disable=SC2086
  "$DUMPCONV" -q $c "$T/in.kdump" "$T/c.kdump" && "$DUMPCONV" -q -E "$T/c.kdump" "$T/c.elf" &&
    "$DUMPCONV" -q -E "$T/in.kdump" "$T/d.elf" && cmp -s "$T/c.elf" "$T/d.elf" && ok ||
    bad "codec $c round trip"
done

# --- pipes: ELF streams to stdout; kdump needs -F; -F | -R gives the file
"$DUMPCONV" -q -E "$T/in.kdump" - >"$T/p.elf" && cmp -s "$T/p.elf" "$T/d.elf" && ok ||
  bad "ELF to stdout differs"
"$DUMPCONV" -q -l "$T/in.elf" - 2>/dev/null | cat >"$T/p.kdump"
rc=${PIPESTATUS[0]}
[[ $rc == 1 ]] && ok || bad "kdump to a pipe without -F: exit $rc"
"$DUMPCONV" -q -l "$T/in.elf" - 2>"$T/err" | cat >/dev/null
stderr_has "use the flattened form (-F)" "kdump to a pipe"
"$DUMPCONV" -q -F -l "$T/in.elf" - | "$DUMPCONV" -R "$T/r.kdump" && cmp -s "$T/r.kdump" "$T/a.kdump" &&
  ok || bad "-F | -R differs from the direct kdump"
# Flattened input from a pipe (spooled) converts like the file.
"$DUMPCONV" -q -F -l "$T/in.elf" - | "$DUMPCONV" -q -E - "$T/s.elf" && cmp -s "$T/s.elf" "$T/a.elf" &&
  ok || bad "flattened stdin to ELF"
# A cut flattened stream: -R fails and leaves nothing.
"$DUMPCONV" -q -F -l "$T/in.elf" - | head -c 20000 >"$T/cut.flat"
expect 1 "-R of a cut stream" -- sh -c "'$DUMPCONV' -R '$T/rr.kdump' < '$T/cut.flat'"
stderr_has "<stdin>" "-R of a cut stream"
no_leftovers "$T/rr.kdump" "-R of a cut stream"

# --- split set in, compressed whole-file input
expect 0 "split set" -- "$DUMPCONV" -q -E "$T/split.1" "$T/split.2" "$T/split.3" "$T/sp.elf"
"$DUMPCONV" -q -E "$T/in.kdump" "$T/ref.elf"
cmp -s "$T/sp.elf" "$T/ref.elf" && ok || bad "split set converts differently from the whole dump"
expect 1 "split set with a part missing" -- "$DUMPCONV" -q "$T/split.1" "$T/split.3" "$T/x"
stderr_has "split" "split set with a part missing"
expect 1 "split set with a duplicate" -- "$DUMPCONV" -q "$T/split.1" "$T/split.1" "$T/split.2" "$T/split.3" "$T/x"
zstd -q -c "$T/in.kdump" >"$T/in.kdump.zst"
expect 0 "zstd-wrapped input" -- "$DUMPCONV" -q -E "$T/in.kdump.zst" "$T/z.elf"
cmp -s "$T/z.elf" "$T/ref.elf" && ok || bad "zstd-wrapped input converts differently"

# --- an existing output is only replaced when the new one is complete
echo keep >"$T/keep"
"$DUMPCONV" -q "$T/junk" "$T/keep" 2>/dev/null
[[ $(cat "$T/keep") == keep ]] && ok || bad "failed run clobbered an existing output"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
