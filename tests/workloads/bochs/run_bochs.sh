#!/bin/sh
# Boots a multiboot kernel (plus modules) under Bochs from a GRUB rescue ISO
# and prints COM1's output.  Bochs is the VMX reference (hvsim's VMX is
# checked against it): Debian's bochs 2.7 emulates VMX with EPT, VPID and
# unrestricted guest for the Sandy Bridge model used here, but has no
# multiboot loader and no isa-debug-exit device.
#
#   run_bochs.sh [-t SECONDS] [-w WORKDIR] [-c CPU_MODEL] KERNEL "KERNEL ARGS" [MODULE "MODULE ARGS"]...
#
# The run ends when the kernel writes "Shutdown" to Bochs' port 0x8900
# (hv_vmx does that after its port 0xf4 write), when the log shows a HLT
# with IF=0 (the workloads' exit() on a machine without isa-debug-exit),
# or at the timeout (default 600 s).  Exit status: N from the last
# "hv: exit N" line of the serial output, else 124 on timeout, else 125.
#
# Needs (Debian): bochs bochsbios vgabios grub-pc-bin xorriso mtools
set -eu

timeout_s=600
work=""
cpu_model=corei7_sandy_bridge_2600k
while getopts t:w:c: opt; do
  case $opt in
    t) timeout_s=$OPTARG ;;
    w) work=$OPTARG ;;
    c) cpu_model=$OPTARG ;;
    *) echo "usage: $0 [-t s] [-w dir] [-c model] KERNEL ARGS [MODULE ARGS]..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-t s] [-w dir] [-c model] KERNEL ARGS [MODULE ARGS]..." >&2; exit 2; }

for tool in bochs grub-mkrescue xorriso; do
  command -v $tool >/dev/null 2>&1 || { echo "run_bochs: $tool not installed" >&2; exit 77; }
done
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
[ -f $bios ] || { echo "run_bochs: $bios missing (bochsbios)" >&2; exit 77; }
[ -f $vgabios ] || vgabios=/usr/share/bochs/VGABIOS-lgpl-latest

if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/hv-bochs-XXXXXX")
  cleanup=1
else
  rm -rf "$work"; mkdir -p "$work"
  cleanup=0
fi
mkdir -p "$work/iso/boot/grub"

kernel=$1; kargs=$2; shift 2
cp "$kernel" "$work/iso/boot/$(basename "$kernel")"
{
  echo "set timeout=0"
  echo "set default=0"
  echo "menuentry \"run\" {"
  echo "  multiboot /boot/$(basename "$kernel") /boot/$(basename "$kernel") $kargs"
  while [ $# -ge 2 ]; do
    cp "$1" "$work/iso/boot/$(basename "$1")"
    echo "  module /boot/$(basename "$1") /boot/$(basename "$1") $2"
    shift 2
  done
  echo "  boot"
  echo "}"
} > "$work/iso/boot/grub/grub.cfg"

grub-mkrescue -d /usr/lib/grub/i386-pc -o "$work/boot.iso" "$work/iso" >"$work/grub-mkrescue.log" 2>&1 || {
  cat "$work/grub-mkrescue.log" >&2; exit 3; }

cat > "$work/bochsrc" <<RC
megs: 256
cpu: model=$cpu_model, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=$bios
vgaromimage: file=$vgabios
ata0-master: type=cdrom, path="$work/boot.iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$work/serial.txt"
display_library: rfb, options="timeout=0"
sound: driver=dummy
speaker: enabled=0
clock: sync=none, time0=local
port_e9_hack: enabled=1
log: "$work/bochs.log"
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
RC

: > "$work/serial.txt"
printf 'c\nquit\n' > "$work/debugger.rc"
bochs -q -f "$work/bochsrc" -rc "$work/debugger.rc" </dev/null >"$work/bochs.out" 2>&1 &
pid=$!
elapsed=0
status=124
while kill -0 $pid 2>/dev/null; do
  if grep -q "HLT instruction with IF=0" "$work/bochs.log" 2>/dev/null; then
    kill $pid 2>/dev/null || true
    status=125
    break
  fi
  if [ $elapsed -ge $timeout_s ]; then
    kill $pid 2>/dev/null || true
    echo "run_bochs: timeout after ${timeout_s}s" >&2
    status=124
    break
  fi
  sleep 1
  elapsed=$((elapsed + 1))
done
wait $pid 2>/dev/null || true
[ $status = 124 ] && [ $elapsed -lt $timeout_s ] && status=125

cat "$work/serial.txt"
code=$(sed -n 's/^hv: exit \([0-9][0-9]*\).*/\1/p' "$work/serial.txt" | tail -n 1)
[ -n "$code" ] && status=$code
if [ "$cleanup" = 1 ]; then rm -rf "$work"; fi
exit $status
