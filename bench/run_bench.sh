#!/usr/bin/env bash
# Simulation speed of hvsim: simulated MIPS (instructions retired per host
# wall-clock second / 1e6) over fixed workloads, per mode, best of N runs.
#   bench/run_bench.sh HVSIM WORKLOAD_DIR [RUNS]
# Speed is measured here, never in a test. MIPS counts every instruction of
# the run (hypervisor and guest), over the whole run's wall time.
set -euo pipefail
hvsim=$1
dir=$2
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name | mode | arguments to `hvsim run` (relative to WORKLOAD_DIR for files)
benches=(
  "demo|native|demo.elf"
  "demo-v3|native|demo_v3.elf"
  "tlb-stress|native|minikernel.elf --cmdline bench=tlb"
  "demo|vmx-ept|hv_vmx.elf --module demo.elf --cmdline mmu=ept"
  "tlb-stress|vmx-ept|hv_vmx.elf --module minikernel.elf:bench=tlb --cmdline mmu=ept"
  "demo|svm-npt|hv_svm.elf --module demo.elf --cmdline mmu=npt --set cpu.vendor=AuthenticAMD"
  "tlb-stress|svm-npt|hv_svm.elf --module minikernel.elf:bench=tlb --cmdline mmu=npt --set cpu.vendor=AuthenticAMD"
  # Multiprocessor: aggregate MIPS of 4 cores on one host thread vs 1 core
  # (issue 14 asks for >= 0.8x); the smp guest's parallel loop dominates.
  "smp-par|1-core|smp.elf --cmdline par=20000000 --set platform.cpus=1"
  "smp-par|4-core|smp.elf --cmdline par=20000000 --set platform.cpus=4"
)

printf '%-12s %-10s %14s %14s %10s %10s\n' workload mode instructions cycles wall_s MIPS
for spec in "${benches[@]}"; do
  IFS='|' read -r name mode args <<<"$spec"
  read -r -a argv <<<"$args"
  argv[0]="$dir/${argv[0]}"
  for i in "${!argv[@]}"; do
    [ "${argv[$i]}" = "--module" ] && argv[$((i + 1))]="$dir/${argv[$((i + 1))]}"
  done
  best=""
  for ((r = 0; r < runs; r++)); do
    if ! "$hvsim" run "${argv[@]}" --out "$out/run" >/dev/null 2>"$out/err"; then
      echo "bench: $name/$mode failed: $(grep 'hvsim:' "$out/err" | head -1)" >&2
      continue 2
    fi
    # Whole-run figures from the summary line (stats.txt may cover a region).
    line=$(grep -E '^hvsim: [0-9,]+ instructions' "$out/err")
    insns=$(sed -E 's/^hvsim: ([0-9,]+) instructions.*/\1/; s/,//g' <<<"$line")
    cycles=$(sed -E 's/.* ([0-9,]+) cycles.*/\1/; s/,//g' <<<"$line")
    wall=$(sed -E 's/.* ([0-9.]+) s wall.*/\1/' <<<"$line")
    mips=$(sed -E 's/.* ([0-9.]+) MIPS.*/\1/' <<<"$line")
    if [ -z "$best" ] || awk -v a="$mips" -v b="$best" 'BEGIN { exit !(a > b) }'; then
      best=$mips
      best_wall=$wall
    fi
  done
  printf '%-12s %-10s %14s %14s %10s %10s\n' "$name" "$mode" "$insns" "$cycles" "$best_wall" "$best"
done
