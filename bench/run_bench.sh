#!/usr/bin/env bash
# Simulation speed of hvsim: simulated MIPS (instructions retired per host
# second / 1e6) over fixed workloads, per mode and per core timing model
# (timing.model = simple and ooo side by side), best of N runs.
#   bench/run_bench.sh HVSIM WORKLOAD_DIR [RUNS] [MODELS]
# MODELS defaults to "simple ooo"; "functional" is the fast-forward mode
# (--fast-forward over the whole run: no core or cache model, docs/timing.md;
# bench/fast_forward.sh puts it beside QEMU TCG). Speed is measured here,
# never in a test.
# MIPS counts every instruction of the run (hypervisor and guest). Two
# figures per model: over the run's wall time (what hvsim prints) and over
# the process's CPU time (user + system), which a loaded host disturbs less;
# the best run of each is kept.
set -euo pipefail
hvsim=$1
dir=$2
runs=${3:-3}
read -r -a models <<<"${4:-simple ooo}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/bench_lib.sh"

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

declare -A cpu_mips_of  # "name|mode|model" -> best CPU-time MIPS (the smp-par ratio)
header="$(printf '%-12s %-8s' workload mode)"
for m in "${models[@]}"; do
  header+="$(printf ' | %-6s %13s %6s %8s %8s' "$m" cycles IPC MIPS cpuMIPS)"
done
echo "$header"
for spec in "${benches[@]}"; do
  IFS='|' read -r name mode args <<<"$spec"
  read -r -a argv <<<"$args"
  argv[0]="$dir/${argv[0]}"
  for i in "${!argv[@]}"; do
    [ "${argv[$i]}" = "--module" ] && argv[$((i + 1))]="$dir/${argv[$((i + 1))]}"
  done
  row="$(printf '%-12s %-8s' "$name" "$mode")"
  for model in "${models[@]}"; do
    best=""
    best_cpu=""
    for ((r = 0; r < runs; r++)); do
      timing=(--set "timing.model=$model")
      [ "$model" = functional ] && timing=(--fast-forward "insns:1000000000000000")
      if ! hvsim_measure "$out" "$hvsim" "${argv[@]}" "${timing[@]}"; then
        echo "bench: $name/$mode/$model failed: $err" >&2
        continue 2
      fi
      is_greater "$mips" "$best" && best=$mips
      is_greater "$cpu_mips" "$best_cpu" && best_cpu=$cpu_mips
    done
    row+="$(printf ' | %-6s %13s %6s %8s %8s' "" "$cycles" "$ipc" "$best" "$best_cpu")"
    cpu_mips_of["$name|$mode|$model"]=$best_cpu
  done
  echo "$row"
done
# 4 cores on one host thread against 1 core: aggregate MIPS ratio (CPU time).
for model in "${models[@]}"; do
  one=${cpu_mips_of["smp-par|1-core|$model"]:-}
  four=${cpu_mips_of["smp-par|4-core|$model"]:-}
  if [ -n "$one" ] && [ -n "$four" ]; then
    awk -v a="$four" -v b="$one" -v m="$model" \
      'BEGIN { printf "smp-par %-6s 4-core aggregate %s MIPS / 1-core %s MIPS = %.2fx (target >= 0.8x)\n", m, a, b, (b > 0 ? a / b : 0) }'
  fi
done
