#!/bin/bash
# CLI behaviour of dumpfilter: exit codes, exact error lines, the cycles that a
# small memory budget brings (same bytes as one pass), dry runs, bad input.
# Inputs come from dumpgen (no struct pages: levels above 1 are refused).
# usage: dumpfilter_cli.sh DUMPFILTER DUMPGEN
set -u
DUMPFILTER=$1
DUMPGEN=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/cli_checks.sh
source "$(dirname "$0")/../lib/cli_checks.sh"

"$DUMPGEN" --format elf --pages 600 --range 5000:40 --zero-every 7 --random-every 5 --cpus 2 \
  "$T/in.elf" >/dev/null || { echo "dumpgen failed"; exit 1; }

# --- help, version, usage errors
expect 0 "--help" -- "$DUMPFILTER" --help
grep -q -- "--cycle-pages" "$T/out" && ok || bad "--help lacks --cycle-pages"
expect 0 "--version" -- "$DUMPFILTER" --version
expect 2 "no arguments" -- "$DUMPFILTER"
stderr_is "dumpfilter: error: need INPUT and OUTPUT (see --help)" "no arguments"
expect 2 "level out of range" -- "$DUMPFILTER" -d 32 "$T/in.elf" "$T/x"
expect 2 "small budget" -- "$DUMPFILTER" --memory-budget 1M "$T/in.elf" "$T/x"
stderr_is "dumpfilter: error: --memory-budget wants a size of at least 4M, e.g. 32M" "small budget"
expect 2 "cycles with ELF output" -- "$DUMPFILTER" -d 1 -E --cycle-pages 64 "$T/in.elf" "$T/x"
stderr_is "dumpfilter: error: --cycle-pages needs kdump output: ELF (-E) program headers are laid out from the whole page set" \
  "cycles with ELF output"
expect 2 "zero cycle" -- "$DUMPFILTER" -d 1 --cycle-pages 0 "$T/in.elf" "$T/x"
# No VMCOREINFO struct page data: only -d 1 is possible, and the error says so.
expect 2 "-d 31 without struct pages" -- "$DUMPFILTER" -q -d 31 "$T/in.elf" "$T/x"
stderr_has "only -d 1" "-d 31 without struct pages"
[[ $(wc -l <"$T/err") == 1 ]] && ok || bad "-d 31: more than one line"
no_leftovers "$T/x" "-d 31 without struct pages"

# --- cycles: the same bytes as one pass, to a file and through -F
expect 0 "one pass" -- "$DUMPFILTER" -q -d 1 -l "$T/in.elf" "$T/one"
expect 0 "cycles" -- "$DUMPFILTER" -d 1 -l --cycle-pages 100 "$T/in.elf" "$T/cyc"
stderr_has "classified in 40 cycles of 128 pages" "cycles"  # PFNs 0-5039
cmp -s "$T/one" "$T/cyc" && ok || bad "cycled output differs from one pass"
expect 0 "odd cycles" -- "$DUMPFILTER" -q -d 1 -c --cycle-pages 4000 "$T/in.elf" "$T/cyc2"
expect 0 "one pass zlib" -- "$DUMPFILTER" -q -d 1 -c "$T/in.elf" "$T/one2"
cmp -s "$T/one2" "$T/cyc2" && ok || bad "cycled zlib output differs from one pass"
expect 0 "dry run with cycles" -- "$DUMPFILTER" -n -d 1 --cycle-pages 64 "$T/in.elf"
stderr_has "pages kept: " "dry run"
expect 0 "dry run" -- "$DUMPFILTER" -n -d 1 "$T/in.elf"
grep "pages kept" "$T/err" >"$T/kept1"
"$DUMPFILTER" -n -d 1 --cycle-pages 64 "$T/in.elf" 2>&1 | grep "pages kept" >"$T/kept2"
cmp -s "$T/kept1" "$T/kept2" && ok || bad "dry run counts differ with cycles"

# --- bad input: one line naming the file, exit 1, nothing left behind
expect 1 "missing input" -- "$DUMPFILTER" -d 1 "$T/nope" "$T/x"
stderr_is "dumpfilter: error: $T/nope: cannot open: No such file or directory" "missing input"
head -c 5000 /dev/urandom >"$T/junk"
expect 1 "unknown format input" -- "$DUMPFILTER" -d 1 "$T/junk" "$T/x"
stderr_has "$T/junk: unknown format" "unknown format input"
[[ $(wc -l <"$T/err") == 1 ]] && ok || bad "unknown format: more than one line"
no_leftovers "$T/x" "unknown format input"
# An ELF cut short: the pages it lost are named with the file and offset.
head -c 3000 "$T/in.elf" >"$T/cut.elf"
expect 0 "truncated ELF" -- "$DUMPFILTER" -q -d 1 "$T/cut.elf" "$T/x"
stderr_has "$T/cut.elf: the file ends at offset 0xbb8" "truncated ELF"
stderr_has "pages from PFN 0x0 on are lost" "truncated ELF"
# A failed run leaves an existing output alone.
echo keep >"$T/keep"
expect 1 "failed run" -- "$DUMPFILTER" -q -d 1 "$T/junk" "$T/keep"
[[ $(cat "$T/keep") == keep ]] && ok || bad "a failed run clobbered an existing output"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
