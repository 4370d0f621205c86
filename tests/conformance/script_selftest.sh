#!/bin/sh
# Checks kvm-unit-tests.sh on a made-up kvm-unit-tests tree:
#   script_selftest.sh KUT_SCRIPT KERNEL WORKDIR
# 1. with a stand-in hvsim that prints the suite's report lines, the counts,
#    SUMMARY, the skip rules and the -cpu mapping;
# 2. with the real hvsim ($HVSIM) booting KERNEL (a multiboot workload) for
#    one entry, which must end "exit 0".
set -eu
script=$1 kernel=$2 work=$3
rm -rf "$work" && mkdir -p "$work/kut/x86" "$work/bin"
cp "$kernel" "$work/kut/x86/real.flat"
: > "$work/kut/x86/fake.flat"
cat > "$work/kut/x86/unittests.cfg" <<'CFG'
# made up
[fake]
file = fake.flat
extra_params = -cpu max,+x2apic,-pcid,+nosuchflag -append "one two"

[smp]
file = fake.flat
smp = 2

[vmx_fake]
file = fake.flat
extra_params = -cpu max,+vmx -append "-exit_monitor_from_l2_test
 -ept_access*"
arch = x86_64

[svm_fake]
file = fake.flat
extra_params = -cpu max,+svm -m 2g

[i386only]
file = fake.flat
arch = i386

[kvmonly]
file = fake.flat
accel = kvm

[missing]
file = nothere.flat
CFG
# The stand-in: `config --list` names a few keys; `run` echoes its --set
# arguments and the suite's report lines, and exits 1 (failures).
cat > "$work/bin/hvsim" <<'FAKE'
#!/bin/sh
if [ "$1" = config ]; then
  printf 'cpu.vendor  string\ncpu.vmx  bool\ncpu.svm  bool\ncpu.x2apic  bool\ncpu.pcid  bool\n'
  printf 'memory.size_mib  uint\n'
  exit 0
fi
echo "args: $*"
echo "PASS: a"
echo "PASS: b"
echo "XFAIL: c"
echo "FAIL: d"
echo "SKIP: e"
echo "SUMMARY: 5 tests, 1 unexpected failures, 1 skipped"
exit 1
FAKE
chmod +x "$work/bin/hvsim"
fail() { echo "script_selftest: $*" >&2; exit 1; }

HVSIM="$work/bin/hvsim" sh "$script" "$work/kut" "$work/out" > "$work/table.txt" ||
  fail "the script failed on the made-up tree"
cat "$work/table.txt"
row() { grep "^$1 " "$work/table.txt" || fail "no row for $1"; }
row fake | grep -q ' 3 *1 *1  exit 1 (failures) (5 tests, 1 unexpected failures, 1 skipped)' ||
  fail "fake: wrong counts"
row smp | grep -q 'SKIP needs 2 cpus' || fail "smp: not skipped"
row i386only | grep -q 'SKIP arch i386' || fail "i386only: not skipped"
row kvmonly | grep -q 'SKIP needs KVM' || fail "kvmonly: not skipped"
row missing | grep -q 'SKIP not built' || fail "missing: not skipped"
grep -q '^total .* 9 *3 *3 .*7 entries, 3 run, 4 skipped' "$work/table.txt" || fail "wrong totals"
grep -q -- "--cmdline one two .*cpu.vendor=GenuineIntel.*cpu.pcid=false.*cpu.x2apic=true" \
  "$work/out/fake.log" || fail "fake: -append or -cpu flags not passed"
grep -q "note: cpu flag nosuchflag not modelled" "$work/out/fake.log" || fail "unknown flag not noted"
grep -q "cmdline -exit_monitor_from_l2_test -ept_access\*.*cpu.vendor=GenuineIntel.*cpu.vmx=true" \
  "$work/out/vmx_fake.log" || fail "vmx entry: not an Intel model with VMX"
grep -q "cpu.vendor=AuthenticAMD.*memory.size_mib=2048.*cpu.svm=true" "$work/out/svm_fake.log" ||
  fail "svm entry: not an AMD model with SVM and 2 GiB"

# The real hvsim on one entry.
printf '[real]\nfile = real.flat\nextra_params = -append "x y"\n' > "$work/kut/x86/unittests.cfg"
sh "$script" "$work/kut" "$work/out-real" > "$work/real.txt" || fail "real run failed"
cat "$work/real.txt"
grep -q '^real .*exit 0' "$work/real.txt" || fail "real: did not end with exit 0"
echo "script_selftest: ok"
