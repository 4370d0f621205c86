# Shared by bench/run_bench.sh and bench/fast_forward.sh (source it).
#
# hvsim_measure OUT HVSIM ARGS...: runs `HVSIM run ARGS... --out OUT/run`
# once and sets insns, cycles, ipc, mips (over wall time, as hvsim prints
# it), wall (seconds), cpu_mips (over user + system time) and note (the
# "hvsim: fast-forward:/sampling:" line, if any) from the end-of-run summary,
# which covers the whole run (stats.txt may cover regions of interest).
# Returns 1, with hvsim's error line in `err`, when the run fails.
hvsim_measure() {
  local out=$1 hvsim=$2
  shift 2
  # bash's `time` reports the child's user and system time to the
  # millisecond (GNU time's %U/%S to 10 ms: 3 % of a 0.3 s run).
  local TIMEFORMAT='%3U %3S'
  if ! { time "$hvsim" run "$@" --quiet --out "$out/run" >/dev/null 2>"$out/err"; } \
      2>"$out/time"; then
    err=$(grep 'hvsim:' "$out/err" | head -1)
    return 1
  fi
  local line
  line=$(grep -E '^hvsim: [0-9,]+ instructions' "$out/err")
  insns=$(sed -E 's/^hvsim: ([0-9,]+) instructions.*/\1/; s/,//g' <<<"$line")
  cycles=$(sed -E 's/.* ([0-9,]+) cycles.*/\1/; s/,//g' <<<"$line")
  ipc=$(sed -E 's/.* IPC ([0-9.]+).*/\1/' <<<"$line")
  mips=$(sed -E 's/.* ([0-9.]+) MIPS.*/\1/' <<<"$line")
  wall=$(sed -E 's/.* ([0-9.]+) s wall.*/\1/' <<<"$line")
  note=$(grep -E '^hvsim: (fast-forward|sampling):' "$out/err" | head -1 || true)
  local cpu
  cpu=$(awk '{ print $1 + $2 }' "$out/time")
  cpu_mips=$(awk -v n="$insns" -v s="$cpu" 'BEGIN { printf "%.1f", (s > 0 ? n / s / 1e6 : 0) }')
  return 0
}

# is_greater A B: true when the number A > B (or B is empty).
is_greater() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
is_less() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
