#!/usr/bin/env bash
# Runs the x86_64 entries of kvm-unit-tests (KUT_DIR/x86/unittests.cfg) on
# hvsim and prints one table row per entry and the totals.
#
#   tests/conformance/kvm-unit-tests.sh KUT_DIR [OUT]
#
# KUT_DIR is a built kvm-unit-tests tree (./configure && make: x86/*.flat).
# OUT (default ./kut-out) receives NAME.log (serial output and hvsim's end
# line) per entry, results.tsv and table.md. Environment:
#   HVSIM        the hvsim binary (default: build/sim/app/hvsim next to this tree)
#   KUT_TIMEOUT  seconds per entry (default 300; an entry's own `timeout`
#                is QEMU's budget and too short for a simulator, so it is ignored)
#   KUT_ONLY     comma-separated entry names to run (default: all)
#   KUT_MAX_INSNS  --max-insns per entry (default 20000000000)
#   KUT_JOBS     entries run at once (default 1)
#
# Each entry runs as `hvsim run FILE --cmdline "<-append>" --set ...`: the
# `-cpu` model and flags become cpu.* keys (vmx* entries: an Intel model with
# VMX; svm* entries: an AMD model with SVM), entries needing more than one
# CPU run with platform.cpus = N (`smp = $MAX_SMP` is SKIP). Counts are the
# suite's own "PASS:", "FAIL:" (XFAIL counted as PASS, XPASS as FAIL, as the
# suite does), "SKIP:" lines and its "SUMMARY:" line.
#
# Exit status: 0 when every entry ran (whatever the suite reported), 1 when
# hvsim failed internally (exit 84) on some entry, 2 for bad input.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 KUT_DIR [OUT]" >&2
  exit 2
fi
kut=$1
out=${2:-kut-out}
cfg="$kut/x86/unittests.cfg"
hvsim=${HVSIM:-$here/../../build/sim/app/hvsim}
if [ ! -f "$cfg" ]; then
  echo "kvm-unit-tests.sh: $cfg not found (KUT_DIR must be a kvm-unit-tests tree)" >&2
  exit 2
fi
if [ ! -x "$hvsim" ]; then
  echo "kvm-unit-tests.sh: hvsim binary $hvsim not found (set HVSIM or build target hvsim)" >&2
  exit 2
fi
mkdir -p "$out" || exit 2

exec python3 - "$kut" "$out" "$hvsim" <<'PYEOF'
import concurrent.futures, os, re, shlex, subprocess, sys, time

kut, out, hvsim = sys.argv[1:4]
timeout = int(os.environ.get("KUT_TIMEOUT", "300"))
only = [s for s in os.environ.get("KUT_ONLY", "").split(",") if s]
max_insns = os.environ.get("KUT_MAX_INSNS", "20000000000")

# hvsim's parameters, so that a -cpu flag maps only to a key that exists.
keys = set()
lst = subprocess.run([hvsim, "config", "--list"], capture_output=True, text=True)
for line in lst.stdout.splitlines():
    if line and not line.startswith(" "):
        keys.add(line.split()[0])

# QEMU -cpu feature names -> hvsim cpu.* keys (bool).
FLAG_KEYS = {
    "vmx": "cpu.vmx", "svm": "cpu.svm", "x2apic": "cpu.x2apic", "pcid": "cpu.pcid",
    "invpcid": "cpu.invpcid", "smap": "cpu.smap", "smep": "cpu.smep",
    "fsgsbase": "cpu.fsgsbase", "rdtscp": "cpu.rdtscp", "nx": "cpu.nx",
    "pdpe1gb": "cpu.pdpe1gb", "monitor": "cpu.monitor", "rdrand": "cpu.rdrand",
    "rdseed": "cpu.rdseed", "pmu": "cpu.pmu",
}


def parse_cfg(path):
    """unittests.cfg: [name] sections of key = value (values may span lines
    while quotes are open)."""
    entries, cur, pending = [], None, None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if pending is not None:
                cur[pending] += " " + line.strip()
                if cur[pending].count('"') % 2 == 0:
                    pending = None
                continue
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            m = re.match(r"^\[(.+)\]$", s)
            if m:
                cur = {"name": m.group(1)}
                entries.append(cur)
                continue
            m = re.match(r"^(\w+)\s*=\s*(.*)$", s)
            if m and cur is not None:
                k, v = m.group(1), m.group(2)
                cur[k] = v
                if v.count('"') % 2 == 1:
                    pending = k
    return entries


# -device / -machine values an entry may name and still run on hvsim: the
# devices hvsim models, and machine options that only matter to KVM
# (pit=off lets SVM AVIC accelerate IPIs; vmport=on is for a KVM-only entry).
# Any other device or machine (intel-iommu, edu, hyperv-testdev, q35) skips
# the entry.
MODELLED = {"pc-testdev", "isa-debug-exit", "pit=off", "vmport=on"}


def plan(e):
    """(skip_reason or None, file, cmdline, [--set k=v], notes)"""
    name = e["name"]
    arch = e.get("arch", "").strip()
    if arch and arch != "x86_64":
        return ("arch " + arch, None, "", [], [])
    f = e.get("file", "").strip()
    if not f:
        return ("no file", None, "", [], [])
    if not f.endswith(".flat"):
        return ("not a .flat (" + f + ")", None, "", [], [])
    path = os.path.join(kut, "x86", f)
    if not os.path.exists(path):
        return ("not built (" + f + ")", None, "", [], [])
    accel = e.get("accel", "").strip()
    if accel == "kvm":
        return ("needs KVM (accel = kvm)", None, "", [], [])
    params = e.get("extra_params", "") + " " + e.get("qemu_params", "")
    try:
        argv = shlex.split(params)
    except ValueError:
        argv = params.split()
    smp = e.get("smp", "1").strip()
    cmdline, cpu, notes, mem = "", "", [], ""
    # Newer trees give the test's own arguments as `test_args` (older ones
    # as `-append` inside extra_params); both become the command line.
    targs = e.get("test_args", "").strip()
    if len(targs) >= 2 and targs[0] == targs[-1] == '"':
        targs = targs[1:-1]
    i = 0
    while i < len(argv):
        a = argv[i]
        v = argv[i + 1] if i + 1 < len(argv) else ""
        if a == "-append":
            cmdline, i = v, i + 2
        elif a == "-cpu":
            cpu, i = v, i + 2
        elif a == "-smp":
            smp, i = v.split(",")[0], i + 2
        elif a in ("-device", "-M", "-machine") and v.split(",")[0] not in MODELLED:
            # A device or machine hvsim lacks: the entry's results would
            # come from reads of absent registers, not from the test.
            what = "device" if a == "-device" else "machine"
            return ("needs " + what + " " + v.split(",")[0] + " (not modelled)", None, "", [], [])
        elif a == "-m":
            m = re.match(r"^(\d+)([MmGg]?)$", v)
            if m and "memory.size_mib" in keys:
                mib = int(m.group(1)) * (1024 if m.group(2) in ("G", "g") else 1)
                mem = "memory.size_mib=%d" % mib
            else:
                notes.append("-m " + v + " ignored")
            i += 2
        elif a.startswith("-") and v and not v.startswith("-"):
            notes.append(a + " " + v + " ignored")
            i += 2
        else:
            notes.append(a + " ignored")
            i += 1
    if targs:
        cmdline = (cmdline + " " + targs).strip()
    sets = []
    if smp != "1":
        # -smp N maps to platform.cpus (1-64); an expression the cfg leaves
        # to the runner ($MAX_SMP) or a tree without the key is skipped.
        if smp.isdigit() and 1 <= int(smp) <= 64 and "platform.cpus" in keys:
            sets.append("platform.cpus=" + smp)
        else:
            n = smp if smp.isdigit() else ">1 (" + smp + ")"
            return ("needs " + n + " cpus", None, "", [], [])
    feats = {}
    model = ""
    if cpu:
        parts = cpu.split(",")
        model = parts[0]
        for p in parts[1:]:
            if p.startswith("+") or p.startswith("-"):
                feats[p[1:]] = p[0] == "+"
            elif "=" in p:
                k, v = p.split("=", 1)
                feats[k] = v in ("on", "true", "1")
    amd = name.startswith("svm") or feats.get("svm") is True or model.lower().startswith(
        ("epyc", "opteron", "phenom", "athlon"))
    if name.startswith("vmx"):
        amd = False
        feats["vmx"] = True
    if name.startswith("svm"):
        feats["svm"] = True
    sets.append("cpu.vendor=" + ("AuthenticAMD" if amd else "GenuineIntel"))
    if mem:
        sets.append(mem)
    for k, on in sorted(feats.items()):
        key = FLAG_KEYS.get(k)
        if key and key in keys:
            sets.append(key + "=" + ("true" if on else "false"))
        else:
            notes.append("cpu flag " + k + " not modelled")
    return (None, path, cmdline, sets, notes)


ENDS = {0: "exit 0", 1: "exit 1 (failures)", 2: "bad input", 80: "triple fault", 81: "halted",
        82: "insn limit", 83: "cycle limit", 84: "hvsim internal error",
        85: "ended without exit"}


def count(text):
    c = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    summary = ""
    for line in text.splitlines():
        m = re.match(r"^\s*(PASS|FAIL|SKIP|XFAIL|XPASS):", line)
        if m:
            k = {"XFAIL": "PASS", "XPASS": "FAIL"}.get(m.group(1), m.group(1))
            c[k] += 1
        if line.startswith("SUMMARY:"):
            summary = line[len("SUMMARY:"):].strip()
    return c, summary


def run_entry(name, path, cmdline, sets, notes):
    """Runs one entry; returns its table row and its hvsim exit status."""
    cmd = [hvsim, "run", path, "--cmdline", cmdline, "--max-insns", max_insns,
           "--out", os.path.join(out, name + ".hvsim")]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
        text, err, rc = p.stdout, p.stderr, p.returncode
        end = ENDS.get(rc, "exit %d" % rc)
    except subprocess.TimeoutExpired as x:
        so = x.stdout or ""
        text = so.decode(errors="replace") if isinstance(so, bytes) else so
        err, rc, end = "", -1, "timeout %ds" % timeout
    secs = time.time() - t0
    c, summary = count(text)
    with open(os.path.join(out, name + ".log"), "w") as f:
        f.write("# " + " ".join(shlex.quote(a) for a in cmd) + "\n")
        for n in notes:
            f.write("# note: " + n + "\n")
        f.write(text)
        f.write("\n# hvsim stderr:\n" + err)
        f.write("# ended: %s after %.1f s\n" % (end, secs))
    return (name, c["PASS"], c["FAIL"], c["SKIP"], end, summary), rc


# Entries run KUT_JOBS at a time (default 1); the table keeps the cfg's order.
jobs = max(1, int(os.environ.get("KUT_JOBS", "1")))
rows, internal, futures = [], False, {}
with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
    for e in parse_cfg(os.path.join(kut, "x86", "unittests.cfg")):
        name = e["name"]
        if only and name not in only:
            continue
        skip, path, cmdline, sets, notes = plan(e)
        if skip:
            rows.append((name, 0, 0, 0, "SKIP " + skip, ""))
            continue
        rows.append(None)
        futures[len(rows) - 1] = pool.submit(run_entry, name, path, cmdline, sets, notes)
    for i, fut in futures.items():
        rows[i], rc = fut.result()
        internal |= rc == 84

w = max([len(r[0]) for r in rows] + [4])
head = "%-*s %6s %6s %6s  %s" % (w, "test", "PASS", "FAIL", "SKIP", "ended (SUMMARY)")
lines = [head, "-" * len(head)]
tot = [0, 0, 0]
for r in rows:
    tot = [tot[0] + r[1], tot[1] + r[2], tot[2] + r[3]]
    how = r[4] + (" (" + r[5] + ")" if r[5] else "")
    lines.append("%-*s %6d %6d %6d  %s" % (w, r[0], r[1], r[2], r[3], how))
lines.append("-" * len(head))
ran = sum(1 for r in rows if not r[4].startswith("SKIP"))
lines.append("%-*s %6d %6d %6d  %d entries, %d run, %d skipped" %
             (w, "total", tot[0], tot[1], tot[2], len(rows), ran, len(rows) - ran))
print("\n".join(lines))
with open(os.path.join(out, "results.tsv"), "w") as f:
    f.write("test\tPASS\tFAIL\tSKIP\tended\tsummary\n")
    for r in rows:
        f.write("\t".join(str(x) for x in r) + "\n")
with open(os.path.join(out, "table.md"), "w") as f:
    f.write("| test | PASS | FAIL | SKIP | ended |\n|---|---:|---:|---:|---|\n")
    for r in rows:
        f.write("| %s | %d | %d | %d | %s |\n" % (r[0], r[1], r[2], r[3],
                r[4] + (" (" + r[5] + ")" if r[5] else "")))
    f.write("| **total** | %d | %d | %d | %d entries, %d run |\n" % (tot[0], tot[1], tot[2], len(rows), ran))
sys.exit(1 if internal else 0)
PYEOF
