#!/bin/bash
# The CI's fuzz smoke run: builds every libFuzzer target with clang under ASan+UBSan (warnings
# as errors) and fuzzes each from its committed seeds for a few seconds, two at a time. The
# regression ctests replay the seeds; this is the first few thousand mutations past them.
# usage: fuzz/smoke.sh [SECONDS per target, default 15]   (env: JOBS, --install-deps as $1)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
if [[ ${1:-} == --install-deps ]]; then
  shift
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    clang-14 libclang-rt-14-dev >/dev/null
fi
secs=${1:-15}
b=${FUZZ_SMOKE_BUILD:-build-fuzz-smoke}
cmake -S . -B "$b" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDUMPFMT_BUILD_FUZZ=ON -DDUMPFMT_BUILD_TESTS=OFF \
  -DDUMPFMT_SANITIZE="address;undefined" -DDUMPFMT_WERROR=ON >/dev/null
ninja -C "$b" -j"${JOBS:-2}" fuzz-all
# Crashes land in fuzz/crashes/<target>/ (run.sh); a smoke run must leave none.
FUZZ_BIN_DIR=$b/fuzz FUZZ_JOBS=${JOBS:-2} "$here/run.sh" all "$secs"
