#!/usr/bin/env bash
# Simulation speed of hvsim: simulated MIPS (instructions retired per host
# wall-clock second / 1e6) over fixed workloads, best of N runs each.
#   bench/run_bench.sh HVSIM WORKLOAD_DIR [RUNS]
# Speed is measured here, never in a test.
set -euo pipefail
hvsim=$1
dir=$2
runs=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

stat() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

printf '%-12s %-10s %14s %14s %10s %10s\n' workload mode instructions cycles wall_s MIPS
# name:kernel:extra-args (one line per workload and mode)
for spec in "demo:native:demo.elf:"; do
  IFS=: read -r name mode elf args <<<"$spec"
  best=""
  for ((i = 0; i < runs; i++)); do
    "$hvsim" run "$dir/$elf" $args --out "$out/$name" >/dev/null 2>"$out/err" ||
      { echo "bench: $name failed: $(tail -1 "$out/err")" >&2; exit 1; }
    insns=$(stat cpu.instructions "$out/$name/stats.txt")
    cycles=$(stat cpu.cycles "$out/$name/stats.txt")
    wall=$(stat sim.wall_seconds "$out/$name/stats.txt")
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$wall; fi
  done
  mips=$(awk -v n="$insns" -v w="$best" 'BEGIN { printf "%.1f", n / w / 1e6 }')
  printf '%-12s %-10s %14s %14s %10s %10s\n' "$name" "$mode" "$insns" "$cycles" "$best" "$mips"
done
