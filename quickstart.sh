#!/usr/bin/env bash
# hvsim quick start: installs what is missing (Debian 12, as root), builds the
# simulator and the workloads, then runs the demo or the whole test suite.
#   ./quickstart.sh demo    install, build, run the default demo
#   ./quickstart.sh test    install, build, run every test through CTest
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake g++ make pkg-config binutils
  libsystemc-dev libspdlog-dev libboost-serialization-dev libgtest-dev
  libzydis-dev libtomlplusplus-dev libcli11-dev
  qemu-system-x86                                    # reference for native and SVM guests
  bochs bochsbios vgabios grub-pc-bin xorriso mtools   # reference for VMX guests
  gnuplot-nox)                                       # plots of `hvsim sweep`
BUILD=${HVSIM_BUILD_DIR:-build}
JOBS=${HVSIM_JOBS:-$(nproc)}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  # With recommends, as the reference runs (QEMU, Bochs, GRUB) were validated.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
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
    install_missing
    build
    ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
