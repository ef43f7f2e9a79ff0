#!/bin/bash
# The one entry point for a fresh Debian 12 machine (and for CI, through .ci/run):
#   ./setup.sh demo   install packages, build dumpconv, convert the shipped real sample dump
#   ./setup.sh test   install packages, build everything, run every test (ctest)
#   ./setup.sh deps | build   just those steps
# Packages are installed with apt-get (through sudo when not root). Environment:
#   BUILD_DIR (default: build), BUILD_TYPE (default: RelWithDebInfo), JOBS (default: nproc),
#   CMAKE_ARGS (extra configure arguments), CTEST_ARGS (extra ctest arguments).
set -euo pipefail

cd "$(dirname "$0")"
what=${1:-demo}
build=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-RelWithDebInfo}
jobs=${JOBS:-$(nproc)}

packages=(build-essential cmake ninja-build pkg-config zlib1g-dev libdeflate-dev libzstd-dev
  liblz4-dev liblzo2-dev libsnappy-dev libelf-dev libgtest-dev libbenchmark-dev libcli11-dev
  nlohmann-json3-dev libbpf-dev zstd python3 python3-libkdumpfile makedumpfile time)
# Only the tests need these: crash, and the corpus kernel's debug vmlinux (~290 MB) so that
# crash and dumpscrub's --vmlinux checks run instead of skipping.
test_packages=(crash linux-image-6.1.0-56-cloud-amd64-dbg)

stage() { echo "== $*"; }

deps() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    stage "packages: all ${#packages[@]} installed"
    return
  fi
  stage "packages: installing ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

configure() {
  stage "configure $build ($build_type)"
  # shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_ARGS:-} >/dev/null
}

build() {  # build [TARGET...]
  configure
  stage "build ${*:-all} (-j$jobs)"
  ninja -C "$build" -j"$jobs" "$@"
}

demo() {
  local tools=(dumpconv)
  [[ -f tools/dumpinfo/main.cpp ]] && tools+=(dumpinfo)
  build "${tools[@]}"
  local out=$build/demo
  local sample=tests/data/sample-d31-part1of4.kdump
  local info=$build/tools/dumpinfo
  mkdir -p "$out"
  stage "demo: the shipped real dump ($sample.zst, see tests/data/README.md)"
  zstd -q -d -f "$sample.zst" -o "$out/sample.kdump"
  if [[ -x $info ]]; then
    echo "\$ $info $out/sample.kdump   (first lines)"
    "$info" "$out/sample.kdump" 2>&1 | head -9
  fi
  local t
  for job in "-E|sample.elf|ELF vmcore" "-l|sample-lzo.kdump|kdump-compressed, lzo pages"; do
    local opt=${job%%|*} rest=${job#*|}
    local file=${rest%%|*} desc=${rest#*|}
    rm -f "$out/$file"
    echo "\$ $build/tools/dumpconv $opt $out/sample.kdump $out/$file"
    t=$(date +%s%N)
    "$build/tools/dumpconv" "$opt" "$out/sample.kdump" "$out/$file"
    printf '   -> %s: %s, %s bytes (input %s bytes), %d ms\n' "$out/$file" "$desc" \
      "$(stat -c %s "$out/$file")" "$(stat -c %s "$out/sample.kdump")" \
      $((($(date +%s%N) - t) / 1000000))
    if [[ -x $info ]]; then
      echo "\$ $info --verify $out/$file"
      "$info" --verify "$out/$file" 2>&1 | grep -v '^dumpinfo: verifying'
    fi
  done
  stage "demo done: outputs in $out/"
}

test_all() {
  build
  stage "test (ctest -j$jobs)"
  # shellcheck disable=SC2086
  (cd "$build" && ctest -j"$jobs" --output-on-failure ${CTEST_ARGS:-})
}

case $what in
  deps) deps ;;
  build) deps && build ;;
  demo) deps && demo ;;
  test) packages+=("${test_packages[@]}") && deps && test_all ;;
  *)
    echo "usage: ./setup.sh demo|test|deps|build" >&2
    exit 2 ;;
esac
