#!/usr/bin/env bash
# hvsim quick start: installs what is missing (Debian 12, as root), builds the
# simulator and the workloads, then runs the demo or the whole test suite.
#   ./quickstart.sh demo    install, build, run the default demo
#   ./quickstart.sh test    install, build, run every test through CTest
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake g++ make pkg-config binutils
  libsystemc-dev libspdlog-dev libboost-serialization-dev libgtest-dev
  libzydis-dev libtomlplusplus-dev libcli11-dev zlib1g-dev          # zlib: checkpoints
  qemu-system-x86                                    # reference for native and SVM guests
  bochs bochsbios vgabios grub-pc-bin xorriso mtools   # reference for VMX guests
  gnuplot-nox)                                       # plots of `hvsim sweep`
# Only for `test`: the gdb stub's tests drive Debian's gdb, and the Slurm
# backend's test starts a one-node Slurm of its own (about 3 MB to fetch,
# 15 s of test; it skips with a note where Slurm cannot start).
TEST_PACKAGES=(gdb slurmctld slurmd slurm-client munge)
BUILD=${HVSIM_BUILD_DIR:-build}
JOBS=${HVSIM_JOBS:-$(nproc)}

install_missing() {
  local missing=() extra=()
  for p in "${TEST_PACKAGES[@]:0:${WITH_TEST_PACKAGES:-0}}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || extra+=("$p")
  done
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && [ ${#extra[@]} -eq 0 ] && return 0
  echo "quickstart: installing ${missing[*]} ${extra[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  # With recommends, as the reference runs (QEMU, Bochs, GRUB) were validated.
  [ ${#missing[@]} -eq 0 ] ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
  # The test tools without recommends: no mail system, no documentation.
  [ ${#extra[@]} -eq 0 ] ||
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${extra[@]}" >&2
}

build() {
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
  cmake --build "$BUILD" -j "$JOBS" >&2
}

case "${1:-}" in
  demo)
    install_missing
    build
    "$BUILD/sim/app/hvsim" demo --workloads "$BUILD/workloads" --out "$BUILD/demo-out"
    ;;
  test)
    WITH_TEST_PACKAGES=${#TEST_PACKAGES[@]} install_missing
    build
    # Debian's kernel and busybox for the Linux boot test (apt-get download,
    # nothing installed); without a network the test skips with a note.
    cmake --build "$BUILD" --target linux-image >&2 ||
      echo "quickstart: linux-image not built; LinuxBoot.* will skip" >&2
    ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
