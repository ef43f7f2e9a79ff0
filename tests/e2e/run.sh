#!/bin/bash
# Capture-kernel end-to-end test: boots a Debian kernel in QEMU with a busybox initramfs holding
# our static tools, panics it into a kdump capture kernel (kexec -p) and there runs
# `dumpfilter -d 31` on /proc/vmcore (a) to a file on disk and (b) as a flattened stream over a
# pipe into `dumpconv -R`, plus makedumpfile -d 31 as the reference; then checks the results on
# the host (dumpinfo --verify, libkdumpfile page-for-page against makedumpfile, markers) and
# reports each tool's peak RSS in the capture kernel. See tests/e2e/README.md.
#
# usage: tests/e2e/run.sh [--install-deps]
# Environment: E2E_WORK (default /tmp/e2e/work), E2E_BUILD_DIR (static build, default
#   <repo>/build-static; configured and built here unless DUMPFILTER/DUMPCONV are given),
#   DUMPFILTER DUMPCONV DUMPINFO (static binaries to test), ACCEL (auto|kvm|tcg, default auto),
#   E2E_MEM_MB (512), E2E_CRASHKERNEL (192M), E2E_ANON_MB (48), E2E_CACHE_MB (32),
#   E2E_TIMEOUT (seconds for the guest, 1200), E2E_MAX_RSS_MB (limit for our tools, 128),
#   JOBS (build parallelism, 2).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KVER=6.1.0-56-cloud-amd64 # pinned: the kernel of the real-dump corpus
KPKG=linux-image-$KVER
PY=/usr/bin/python3 # Debian's, with the libkdumpfile bindings
WORK=${E2E_WORK:-/tmp/e2e/work}
BUILD=${E2E_BUILD_DIR:-$REPO/build-static}
MEM=${E2E_MEM_MB:-512}
CK=${E2E_CRASHKERNEL:-192M}
MAX_RSS_MB=${E2E_MAX_RSS_MB:-128}
PACKAGES=(qemu-system-x86 busybox-static kexec-tools makedumpfile python3-libkdumpfile
  e2fsprogs gcc libc6-dev binutils)

T0=$SECONDS
declare -a TIMES
step() { # step NAME: start timing a stage
  STEP_NAME=$1
  STEP_T=$SECONDS
  echo "=== [$((SECONDS - T0)) s] $1"
}
done_step() { TIMES+=("$(printf '%-28s %5d s' "$STEP_NAME" $((SECONDS - STEP_T)))"); }
die() {
  echo "e2e: FAIL: $*" >&2
  exit 1
}
FAILS=0
check() { # check DESCRIPTION COMMAND...: a host-side check; failures are counted, not fatal
  local d=$1
  shift
  if "$@"; then
    echo "  ok: $d"
  else
    echo "  FAIL: $d"
    FAILS=$((FAILS + 1))
  fi
}

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

# ---- packages (CI: a fresh machine installs everything on each run) ----
if [[ ${1:-} == --install-deps ]]; then
  step "apt-get install"
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${PACKAGES[@]}" > "$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; die "apt-get install"; }
  done_step
fi
for p in qemu-system-x86_64 busybox kexec mkfs.ext4 debugfs gcc strip readelf; do
  command -v "$p" > /dev/null || die "$p is missing (run with --install-deps, or install: ${PACKAGES[*]})"
done
readelf -lW "$(command -v busybox)" | grep -q 'program interpreter' &&
  die "busybox is dynamically linked (install busybox-static)"
"$PY" -c 'import kdumpfile' 2> /dev/null || die "$PY cannot import kdumpfile (python3-libkdumpfile)"

# ---- kernel: the installed one, else the pinned package's files (not installed: no initramfs-tools run) ----
step "kernel $KVER"
KROOT=$WORK/kernel
if [[ -f /boot/vmlinuz-$KVER && -d /lib/modules/$KVER ]]; then
  VMLINUZ=/boot/vmlinuz-$KVER
  MODDIR=/lib/modules/$KVER
else
  VMLINUZ=$KROOT/boot/vmlinuz-$KVER
  MODDIR=$KROOT/lib/modules/$KVER
  if [[ ! -f $VMLINUZ ]]; then
    mkdir -p "$KROOT/deb"
    # _apt cannot write into root-owned work dirs; apt then downloads unsandboxed and says so
    (cd "$KROOT/deb" && { apt-get download -q "$KPKG" 2>&1 | grep -v 'unsandboxed' || true; })
    deb=$(find "$KROOT/deb" -name "${KPKG}_*.deb" | head -1)
    [[ -n $deb ]] || die "could not download $KPKG (apt-get download)"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$KROOT" --wildcards ./boot/vmlinuz-\* \
      './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/block/virtio_blk.ko*'
  fi
fi
[[ -f $VMLINUZ ]] || die "no kernel image $VMLINUZ"
done_step

# ---- static tools ----
step "static tools"
if [[ -z ${DUMPFILTER:-} || -z ${DUMPCONV:-} ]]; then
  targets=()
  for t in dumpfilter dumpconv dumpinfo; do
    [[ -f $REPO/tools/$t/main.cpp ]] && targets+=("$t")
  done
  cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDUMPFMT_BUILD_TESTS=OFF \
    -DDUMPFMT_STATIC_TOOLS=ON > "$WORK/cmake.log" || { cat "$WORK/cmake.log"; die "configure $BUILD"; }
  ninja -C "$BUILD" -j"${JOBS:-2}" "${targets[@]}" > "$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log"; die "static build"; }
  DUMPFILTER=${DUMPFILTER:-$BUILD/tools/dumpfilter}
  DUMPCONV=${DUMPCONV:-$BUILD/tools/dumpconv}
  [[ -x $BUILD/tools/dumpinfo ]] && DUMPINFO=${DUMPINFO:-$BUILD/tools/dumpinfo}
fi
DUMPINFO=${DUMPINFO:-}
declare -A TOOL=([dumpfilter]=$DUMPFILTER [dumpconv]=$DUMPCONV)
[[ -n $DUMPINFO ]] && TOOL[dumpinfo]=$DUMPINFO
mkdir -p "$WORK/bin"
echo "  tool         size      stripped  linkage"
for t in dumpfilter dumpconv dumpinfo; do
  [[ -n ${TOOL[$t]:-} ]] || { echo "  $t: not built yet (tools/$t missing); skipped"; continue; }
  b=${TOOL[$t]}
  [[ -x $b ]] || die "$t: $b is not an executable"
  # a fully static binary has no program interpreter and no DT_NEEDED entries
  if readelf -lW "$b" | grep -q 'Requesting program interpreter' || readelf -dW "$b" | grep -q NEEDED; then
    die "$t ($b) is not statically linked: configure with -DDUMPFMT_STATIC_TOOLS=ON"
  fi
  strip -o "$WORK/bin/$t" "$b"
  printf '  %-10s %9d %9d  static\n' "$t" "$(stat -c %s "$b")" "$(stat -c %s "$WORK/bin/$t")"
  echo "E2E: SIZE $t bytes=$(stat -c %s "$b") stripped=$(stat -c %s "$WORK/bin/$t")" >> "$WORK/sizes.txt.new"
done
mv "$WORK/sizes.txt.new" "$WORK/sizes.txt"
done_step

# ---- initramfs: base (capture kernel) + payload with the kernel and base for kexec -p ----
step "initramfs"
R=$WORK/initramfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,lib/modules,proc,sys,dev,tmp,out,boot}
cp "$(command -v busybox)" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
gcc -O2 -static -Wall -Wextra -Werror -o "$R/bin/e2etool" "$HERE/e2etool.c"
if grep -q -a -e "$("$R/bin/e2etool" marker user)" -e "$("$R/bin/e2etool" marker cache)" "$R/bin/e2etool"; then
  die "e2etool holds a marker in clear"
fi
for a in rss teecount fillanon fillfile; do ln -s e2etool "$R/bin/$a"; done
for t in "${!TOOL[@]}"; do cp "$WORK/bin/$t" "$R/bin/$t"; done
copy_with_libs() { # copy_with_libs BINARY DEST: a dynamic binary and the libraries ldd names
  cp "$1" "$R$2"
  ldd "$1" | awk '$3 ~ /^\//{print $3} $1 ~ /^\//{print $1}' | while read -r lib; do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
  done
}
copy_with_libs "$(command -v kexec)" /sbin/kexec
if command -v makedumpfile > /dev/null; then
  copy_with_libs "$(command -v makedumpfile)" /usr/bin/makedumpfile
fi
# this kernel builds virtio and virtio_blk as modules; ext4, devtmpfs, 8250 and vmcore are built in
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
  f=$(find "$MODDIR/kernel/drivers" -name "$m.ko*" | head -1)
  case $f in
    *.ko) cp "$f" "$R/lib/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$f" > "$R/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -q -dc "$f" > "$R/lib/modules/$m.ko" ;;
    *) die "module $m not found under $MODDIR" ;;
  esac
done
install -m 0755 "$HERE/init" "$R/init"
mkcpio() { # mkcpio DIR: a newc archive of DIR on stdout, owned by root, in a stable order
  (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2> /dev/null)
}
mkcpio "$R" | gzip -6 -n > "$WORK/base.cpio.gz"
# the workload kernel unpacks both archives; it hands the kernel and base.cpio.gz to kexec -p
P=$WORK/payload
rm -rf "$P"
mkdir -p "$P/boot"
cp "$VMLINUZ" "$P/boot/vmlinuz"
cp "$WORK/base.cpio.gz" "$P/boot/initrd.img"
{
  cat "$WORK/base.cpio.gz"
  # the next archive must start 4-byte aligned; the kernel skips zero padding between archives
  head -c $(((4 - $(stat -c %s "$WORK/base.cpio.gz") % 4) % 4)) /dev/zero
  mkcpio "$P"
} > "$WORK/workload.cpio"
rm -rf "$P"
echo "  base.cpio.gz $(stat -c %s "$WORK/base.cpio.gz") bytes, unpacked $(du -sb "$R" | cut -f1) bytes"
done_step

# ---- disks: vda ext4 for the capture kernel's files, vdb raw for the flattened stream ----
RUN=$WORK/run
rm -rf "$RUN"
mkdir -p "$RUN"
mkfs.ext4 -q -F -L e2eout "$RUN/out.img" "$((MEM + 256))M" > /dev/null
truncate -s "$((MEM + 64))M" "$RUN/flat.img"

# ---- boot, workload, panic, capture ----
run_guest() { # run_guest ACCEL: boots and waits for QEMU to exit; 3 = no console output (hung KVM)
  local accel_opts
  if [[ $1 == kvm ]]; then
    # -cpu host alone aborts under nested virtualisation (IA32_ARCH_CAPABILITIES)
    # shellcheck disable=SC2054  # a comma inside one QEMU argument
    accel_opts=(-enable-kvm -cpu host,-arch-capabilities)
  else
    accel_opts=(-accel tcg -cpu max)
  fi
  : > "$RUN/serial.log"
  qemu-system-x86_64 "${accel_opts[@]}" -m "$MEM" -smp 2 -M pc -display none -no-reboot \
    -kernel "$VMLINUZ" -initrd "$WORK/workload.cpio" \
    -append "console=ttyS0 crashkernel=$CK panic=5 e2e.role=workload e2e.anon_mb=${E2E_ANON_MB:-48} e2e.cache_mb=${E2E_CACHE_MB:-32}" \
    -serial file:"$RUN/serial.log" -monitor none \
    -drive file="$RUN/out.img",if=virtio,format=raw \
    -drive file="$RUN/flat.img",if=virtio,format=raw > "$RUN/qemu.log" 2>&1 &
  local pid=$! t=0
  while kill -0 $pid 2> /dev/null; do
    sleep 1
    t=$((t + 1))
    if ((t == 30)) && [[ ! -s $RUN/serial.log ]]; then
      kill $pid
      wait $pid || true
      return 3
    fi
    if ((t >= ${E2E_TIMEOUT:-1200})); then
      kill $pid
      wait $pid || true
      die "guest timeout after $t s; see $RUN/serial.log"
    fi
    [[ -z ${READY_AT:-} ]] && grep -q 'E2E: WORKLOAD-READY' "$RUN/serial.log" && READY_AT=$t
    [[ -z ${CAPTURE_AT:-} ]] && grep -q 'E2E: capture kernel up' "$RUN/serial.log" && CAPTURE_AT=$t
  done
  wait $pid || true
  GUEST_SECS=$t
}
step "guest (boot, workload, panic, capture)"
ACCEL_USED=
case ${ACCEL:-auto} in
  auto) accels="kvm tcg" ;;
  *) accels=$ACCEL ;;
esac
for a in $accels; do
  if [[ $a == kvm && ! (-r /dev/kvm && -w /dev/kvm) ]]; then continue; fi
  echo "  accel=$a mem=${MEM}M crashkernel=$CK"
  READY_AT='' CAPTURE_AT=''
  rc=0
  run_guest "$a" || rc=$?
  if ((rc == 3)); then
    echo "  no console output after 30 s with $a (KVM under nested virtualisation?); next"
    continue
  fi
  ACCEL_USED=$a
  break
done
[[ -n $ACCEL_USED ]] || die "the guest did not boot; see $RUN/serial.log and $RUN/qemu.log"
tr -d '\r' < "$RUN/serial.log" > "$RUN/console.txt"
grep 'E2E: FAILED' "$RUN/console.txt" && die "the guest reported a failure; see $RUN/console.txt"
grep -q 'E2E: CAPTURE-DONE' "$RUN/console.txt" || {
  grep -E 'E2E:|Kernel panic|kexec' "$RUN/console.txt" | tail -20
  die "the capture kernel did not finish; see $RUN/console.txt"
}
echo "  workload ready at ${READY_AT:-?} s, capture kernel up at ${CAPTURE_AT:-?} s, powered off at $GUEST_SECS s"
done_step

# ---- results from the disks ----
step "host checks"
OUT=$WORK/out
rm -rf "$OUT"
mkdir -p "$OUT"
debugfs -R "rdump / $OUT" "$RUN/out.img" > /dev/null 2>&1 || die "debugfs rdump"
REP=$OUT/report.txt
[[ -s $REP ]] || die "no report from the capture kernel"
flat_bytes=$(sed -n 's/^E2E: TEE \/dev\/vdb bytes=\([0-9]*\)/\1/p' "$REP")
[[ -n $flat_bytes ]] || die "no flattened stream size in the report"
head -c "$flat_bytes" "$RUN/flat.img" > "$OUT/dumpfilter-d31.flat"
A=$OUT/dumpfilter-d31.kdump
B=$OUT/dumpfilter-d31-F.R.kdump
M=$OUT/makedumpfile-d31.kdump

for t in "${!TOOL[@]}"; do
  check "static $t ran in the capture initramfs" grep -q "^E2E: VERSION $t $t" "$REP"
done
for f in "$A" "$B"; do
  check "$(basename "$f") written in the capture kernel" test -s "$f"
done
"$DUMPCONV" --quiet -R "$OUT/host-R.kdump" < "$OUT/dumpfilter-d31.flat"
check "dumpconv -R on the host of the raw stream == the capture kernel's dumpconv -R output" \
  cmp "$OUT/host-R.kdump" "$B"
if cmp -s "$A" "$B"; then
  echo "  note: dumpfilter to disk and dumpfilter -F | dumpconv -R are byte-identical"
else
  echo "  note: dumpfilter to disk and -F | -R differ in bytes (compared page by page below)"
fi
if [[ -n $DUMPINFO ]]; then
  for f in "$A" "$B" "$M"; do
    [[ -s $f ]] || continue
    check "dumpinfo --verify $(basename "$f")" "$DUMPINFO" --verify "$f"
  done
else
  echo "  skip: dumpinfo --verify (tools/dumpinfo not built yet)"
fi
# libkdumpfile, one pass over all three: same pages as makedumpfile (modulo the partial
# PT_LOAD tail pages makedumpfile 1.7.2 drops), no planted user page left, as many cache marker
# pages as makedumpfile's and at most a per-CPU LRU batch or two (tmpfs pages not yet on an LRU
# list have no PG_lru, so no -d 31 filter can see them as cache; usually none), and every file
# names its architecture for libkdumpfile.
dumps=()
[[ -s $M ]] && dumps+=("$M") || echo "  skip: makedumpfile comparison (no makedumpfile output)"
dumps+=("$A" "$B")
check "libkdumpfile: dumpfilter -d 31 outputs hold makedumpfile -d 31's pages, byte for byte; markers gone" \
  "$PY" "$HERE/check_dumps.py" --vmcore-header "$OUT/vmcore-head.elf" \
  --marker "user=$("$WORK/initramfs/bin/e2etool" marker user)" \
  --marker "cache=$("$WORK/initramfs/bin/e2etool" marker cache)" --max-marker-pages cache=32 \
  "${dumps[@]}"
# crash, when the kernel's debug package is installed (linux-image-$KVER-dbg, ~280 MB: not a
# default dependency): the panic and the panicking task's stack, from our output
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
if command -v crash > /dev/null && [[ -f $VMLINUX ]]; then
  printf 'sys\nbt\nquit\n' > "$OUT/crash.cmd"
  timeout 300 crash -s "$VMLINUX" "$A" -i "$OUT/crash.cmd" > "$OUT/crash.txt" 2>&1 || true
  crash_ok() {
    grep -q 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' "$1" &&
      grep -q sysrq_handle_crash "$1"
  }
  check "crash on $(basename "$A"): PANIC \"sysrq triggered crash\", stack through sysrq_handle_crash" \
    crash_ok "$OUT/crash.txt"
else
  echo "  skip: crash (needs crash and $VMLINUX from $KPKG-dbg)"
fi
# the user-marker check means something only if the planted pages were there to exclude
user_excl=$(grep -o 'user [0-9]*' "$OUT/dumpfilter-disk.log" | head -1 | cut -d' ' -f2)
check "dumpfilter excluded at least the ${E2E_ANON_MB:-48} MiB of planted user pages (${user_excl:-?} pages)" \
  test "${user_excl:-0}" -ge $((${E2E_ANON_MB:-48} * 256))
echo "  peak RSS in the capture kernel (wait4 ru_maxrss):"
while read -r _ _ label rest; do
  kb=${rest#maxrss_kb=}
  kb=${kb%% *}
  printf '    %-16s %6d KiB  (%s)\n' "$label" "$kb" "${rest#* }"
  if [[ $label != makedumpfile ]]; then
    check "$label peak RSS ${kb} KiB <= ${MAX_RSS_MB} MiB" test "$kb" -le $((MAX_RSS_MB * 1024))
  fi
done < <(grep '^E2E: RSS ' "$REP")
grep -E '^E2E: (MEMINFO|VMCORE|FILE)' "$REP" | sed 's/^E2E: /    /'
done_step

{
  echo "e2e: accel=$ACCEL_USED mem=${MEM}M crashkernel=$CK kernel=$KVER"
  cat "$WORK/sizes.txt" "$REP"
  echo "E2E: TIMES workload_ready=${READY_AT:-?}s capture_up=${CAPTURE_AT:-?}s guest_total=${GUEST_SECS}s"
  printf '%s\n' "${TIMES[@]}"
  printf '%-28s %5d s\n' total $((SECONDS - T0))
} > "$WORK/summary.txt"
echo "=== stage timings"
printf '%s\n' "${TIMES[@]}"
printf '%-28s %5d s\n' total $((SECONDS - T0))
if ((FAILS)); then
  die "$FAILS check(s) failed; files in $WORK"
fi
# The guest's disks and the dumps taken from them (about a gigabyte) are kept only for a failure.
rm -rf "$RUN" "$OUT"
echo "e2e: all checks passed (summary: $WORK/summary.txt)"
