#!/bin/bash
# Decompresses the real-dump corpus into the build tree and derives makedumpfile's variants of
# it, once: every file is kept while its sha256 (sources) or its recipe stamp (derived) matches.
# usage: prepare_corpus.sh CORPUS_DIR(with *.zst) DEST_DIR
set -euo pipefail

src=${1:?corpus dir with *.zst}
dest=${2:?destination dir}
mkdir -p "$dest/derived"

# sha256 of the decompressed files, from the corpus README.
declare -A sums=(
  [proc-vmcore.elf]=85b85644f8e4eb9ea4e08177356fa244607d2a168c6d90ac952b2a18b1e5a9a2
  [qemu-elf.vmcore]=12059e9d0f4a6f4f843caed7494bb6e4773769913603076e817fd7ac28d153d8
  [qemu-kdump-zlib.flat]=54b0fc6a8f0165bef21f6e36c20a19bce6890bcbed3adf800ce39f6e3f2a1c9d
)

t0=$SECONDS
for name in proc-vmcore.elf qemu-elf.vmcore qemu-kdump-zlib.flat; do
  out=$dest/$name
  if [[ -f $out ]] && echo "${sums[$name]}  $out" | sha256sum --quiet -c - 2>/dev/null; then
    echo "corpus: $name cached (sha256 ok)"
    continue
  fi
  echo "corpus: decompressing $name"
  zstd -q -d -f "$src/$name.zst" -o "$out.tmp"
  if ! echo "${sums[$name]}  $out.tmp" | sha256sum --quiet -c -; then
    echo "corpus: $name: sha256 mismatch after decompression" >&2
    exit 1
  fi
  chmod a-w "$out.tmp"
  mv -f "$out.tmp" "$out"
done

# makedumpfile is deterministic, so its outputs are cached under a stamp naming the recipe,
# the source sha256 and the makedumpfile version.
mdf_version=$(makedumpfile -v 2>&1 | head -1)
derive() {  # derive NAME RECIPE...: runs RECIPE (with $out as output path) unless stamped
  local name=$1
  shift
  local out=$dest/derived/$name
  local stamp="$* | ${sums[proc-vmcore.elf]} ${sums[qemu-kdump-zlib.flat]} | $mdf_version"
  if [[ -e $out && -f $out.stamp && "$(cat "$out.stamp")" == "$stamp" ]]; then
    echo "derived: $name cached"
    return
  fi
  echo "derived: $name: $*"
  rm -f "$out" "$out".[0-9] "$out.stamp"
  if ! (eval "$*") >"$out.log" 2>&1; then
    echo "derived: $name failed; log:" >&2
    cat "$out.log" >&2
    exit 1
  fi
  echo "$stamp" >"$out.stamp"
}

elf=$dest/proc-vmcore.elf
d=$dest/derived
derive mdf-c-d0.kdump  makedumpfile -c -d 0 "$elf" "$d/mdf-c-d0.kdump"
derive mdf-l-d0.kdump  makedumpfile -l -d 0 "$elf" "$d/mdf-l-d0.kdump"
derive mdf-c-d31.kdump makedumpfile -c -d 31 "$elf" "$d/mdf-c-d31.kdump"
derive mdf-l-d31.kdump makedumpfile -l -d 31 "$elf" "$d/mdf-l-d31.kdump"
derive mdf-E-d31.elf   makedumpfile -E -d 31 "$elf" "$d/mdf-E-d31.elf"
derive mdf-F-c-d31.flat "makedumpfile -F -c -d 31 '$elf' > '$d/mdf-F-c-d31.flat'"
# 1 MiB split blocks: the default (1 GiB) would put all of this 512 MiB guest in part 1.
derive mdf-split-c-d31 makedumpfile --split --splitblock-size 1024 -c -d 31 "$elf" \
  "$d/mdf-split-c-d31.1" "$d/mdf-split-c-d31.2" "$d/mdf-split-c-d31.3"
touch "$d/mdf-split-c-d31"
derive qemu-kdump-zlib.R.kdump \
  "makedumpfile -R '$d/qemu-kdump-zlib.R.kdump' < '$dest/qemu-kdump-zlib.flat'"
echo "corpus ready in $dest ($((SECONDS - t0)) s)"
