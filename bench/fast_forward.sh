#!/usr/bin/env bash
# Fast-forward speed beside QEMU TCG, and sampled simulation beside the
# detailed run (docs/timing.md, "Fast-forward and sampling").
#   bench/fast_forward.sh HVSIM WORKLOAD_DIR [RUNS] [SAMPLE]
# Part 1: the same multiboot kernel under `qemu-system-x86_64 -accel tcg
# -kernel NAME.elf32` (isa-debug-exit) and under `hvsim run NAME.elf
# --fast-forward insns:<more than the run>` (functional throughout). Both
# wall times are whole runs, start-up included; instructions/s for both use
# hvsim's count of the kernel's instructions (QEMU counts none without
# -icount or a plugin, which would slow it). Best of RUNS (default 3), over
# wall time and over CPU time (user + system; a loaded host disturbs it less).
# Part 2: demo.elf detailed vs --sample SAMPLE (default 100000:2000:90000)
# under timing.model = ooo and simple: CPI, error, wall time and its ratio.
# Wall time is measured here, never in a test.
set -euo pipefail
hvsim=$1
dir=$2
runs=${3:-3}
sample=${4:-100000:2000:90000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$(dirname "$0")/bench_lib.sh"
qemu=${QEMU:-qemu-system-x86_64}

# name | kernel | command line
kernels=(
  "demo|demo|"
  "demo-v3|demo_v3|"
  "minikernel-all|minikernel|bench=all"
)

echo "fast-forward (functional) vs QEMU TCG, whole runs, best of $runs"
printf '%-15s %13s | %8s %9s %7s | %8s %9s %7s | %6s %6s\n' kernel instructions qemu_s \
  qemu_MIPS cpu_s ff_s ff_MIPS cpu_s ratio cpu_r
for spec in "${kernels[@]}"; do
  IFS='|' read -r name file cmdline <<<"$spec"
  best_q=""
  best_h=""
  best_qc=""
  best_hc=""
  TIMEFORMAT='%3U %3S'  # bash's time (QEMU's run): user and system time to the millisecond
  for ((r = 0; r < runs; r++)); do
    t0=$(date +%s%N)
    rc=0
    { time "$qemu" -accel tcg -cpu max -m 128 -kernel "$dir/$file.elf32" -append "$cmdline" \
      -display none -monitor none -serial null -no-reboot \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 >/dev/null 2>&1; } 2>"$out/qtime" || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 1 ]; then  # isa-debug-exit: (0 << 1) | 1
      echo "bench: $name under QEMU exited with $rc" >&2
      continue 2
    fi
    q=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    is_less "$q" "$best_q" && best_q=$q
    qc=$(tail -1 "$out/qtime" | awk '{ printf "%.3f", $1 + $2 }')
    is_less "$qc" "$best_qc" && best_qc=$qc
    args=("$dir/$file.elf")
    [ -n "$cmdline" ] && args+=(--cmdline "$cmdline")
    if ! hvsim_measure "$out" "$hvsim" "${args[@]}" --fast-forward insns:1000000000000000; then
      echo "bench: $name under hvsim failed: $err" >&2
      continue 2
    fi
    is_less "$wall" "$best_h" && best_h=$wall
    hc=$(awk '{ printf "%.3f", $1 + $2 }' "$out/time")
    is_less "$hc" "$best_hc" && best_hc=$hc
  done
  awk -v n="$name" -v i="$insns" -v q="$best_q" -v h="$best_h" -v qc="$best_qc" -v hc="$best_hc" \
    'BEGIN { printf "%-15s %13d | %8.3f %9.1f %7.3f | %8.3f %9.1f %7.3f | %5.2fx %5.2fx\n", n, i,
             q, i / q / 1e6, qc, h, i / h / 1e6, hc, q / h, qc / hc }'
done
echo "(ratio = QEMU wall / hvsim wall, cpu_r = QEMU CPU / hvsim CPU: hvsim's fast-forward speed as"
echo " a fraction of QEMU TCG's; QEMU's start-up, ~0.08 s, is in both)"

echo
echo "sampling ($sample) vs the detailed run, demo.elf, best wall of $runs"
printf '%-7s | %9s %8s | %9s %12s %8s %8s | %6s\n' model CPI wall_s sampledCPI ci95 error wall_s ratio
for model in ooo simple; do
  best_f=""
  best_s=""
  for ((r = 0; r < runs; r++)); do
    hvsim_measure "$out" "$hvsim" "$dir/demo.elf" --set "timing.model=$model" ||
      { echo "bench: demo/$model failed: $err" >&2; continue 2; }
    full_cpi=$(awk -v c="$cycles" -v i="$insns" 'BEGIN { printf "%.4f", c / i }')
    is_less "$wall" "$best_f" && best_f=$wall
    hvsim_measure "$out" "$hvsim" "$dir/demo.elf" --set "timing.model=$model" --sample "$sample" ||
      { echo "bench: demo/$model sampled failed: $err" >&2; continue 2; }
    is_less "$wall" "$best_s" && best_s=$wall
    s_cpi=$(sed -E 's/.* CPI ([0-9.]+) .*/\1/' <<<"$note")
    s_ci=$(sed -E 's/.* \+- ([0-9.]+) .*/\1/' <<<"$note")
  done
  awk -v m="$model" -v f="$full_cpi" -v fw="$best_f" -v s="$s_cpi" -v ci="$s_ci" -v sw="$best_s" \
    'BEGIN { printf "%-7s | %9.4f %8.2f | %9.4f %12s %+7.2f%% %8.2f | %5.2fx\n", m, f, fw, s,
             "+-" ci, 100 * (s - f) / f, sw, sw / fw }'
done
echo "(ratio = sampled wall / detailed wall)"
