#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (-DHVSIM_FUZZ=ON:
# ASan, UBSan and coverage in every library) and runs each for SECONDS.
#   bench/fuzz.sh SECONDS [TARGET...]   targets: loader config vmx_entry svm_vmrun decode_exec
# Each target starts from its committed corpus (tests/fuzz/corpus/TARGET) plus
# the seeds it writes itself, in BUILD/fuzz-work/TARGET/; crashes, leaks and
# timeouts are written there as crash-*, leak-*, timeout-* (replay one with
# BUILD/tests/fuzz/fuzz_TARGET FILE). Prints executions and findings per
# target; exits 1 when any target found something.
# Environment: HVSIM_FUZZ_BUILD_DIR (default build-fuzz), HVSIM_JOBS (build jobs).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 SECONDS [loader|config|vmx_entry|svm_vmrun|decode_exec]..." >&2
  exit 2
}
[ $# -ge 1 ] || usage
SECONDS_EACH=$1
shift
[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] && [ "$SECONDS_EACH" -gt 0 ] || usage
ALL=(loader config vmx_entry svm_vmrun decode_exec)
TARGETS=("${@:-${ALL[@]}}")
for t in "${TARGETS[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || usage
done
command -v clang++ >/dev/null || { echo "$0: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

BUILD=${HVSIM_FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${HVSIM_JOBS:-$(nproc)}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DHVSIM_FUZZ=ON -DHVSIM_BUILD_WORKLOADS=OFF "${launcher[@]}" >&2
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]/#/fuzz_}" >&2

# Inputs: a VMCS or VMCB (4 KiB) plus guest code, 8 KiB of code, small files.
max_len() {
  case $1 in
    vmx_entry | svm_vmrun) echo 12288 ;;
    decode_exec) echo 8225 ;;
    *) echo 16384 ;;
  esac
}

found=0
printf '%-12s %10s %10s %8s  %s\n' target seconds execs exec/s findings
for t in "${TARGETS[@]}"; do
  work="$BUILD/fuzz-work/$t"
  mkdir -p "$work/corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
  HVSIM_FUZZ_WRITE_SEEDS="$work/corpus" "$BUILD/tests/fuzz/fuzz_$t"
  start=$(date +%s)
  set +e
  "$BUILD/tests/fuzz/fuzz_$t" "$work/corpus" -max_total_time="$SECONDS_EACH" \
    -max_len="$(max_len "$t")" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$work/" >"$work/log.txt" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log.txt" | tail -1)
  artifacts=$(find "$work" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' \
    -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
  what="none"
  if [ "$rc" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
    found=1
    what="$artifacts artifact(s) in $work, status $rc: $(grep -m1 -E 'ERROR|invariant broken|runtime error' "$work/log.txt" || true)"
  fi
  printf '%-12s %10s %10s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$what"
done
exit $found
