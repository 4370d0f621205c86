#include "sim/timing/ooo/params.h"

#include <string>

namespace hvsim::timing::ooo {

namespace {

struct Key {
  const char* name;  // under timing.ooo.
  uint32_t OooParams::*field;
  const char* unit;
  const char* desc;
  uint32_t min, max;
};

constexpr Key kKeys[] = {
    {"fetch_width", &OooParams::fetch_width, "instructions",
     "instructions fetched and decoded per cycle", 1, 32},
    {"frontend_stages", &OooParams::frontend_stages, "cycles",
     "pipeline depth from fetch to rename; a mispredict refills it", 1, 64},
    {"btb_miss_cycles", &OooParams::btb_miss_cycles, "cycles",
     "fetch bubble when a taken branch misses the BTB (redirected at decode)", 0, 64},
    {"bp_history_bits", &OooParams::bp_history_bits, "bits",
     "global history length of the gshare conditional-branch predictor", 0, 30},
    {"bp_table_log2", &OooParams::bp_table_log2, "log2 entries",
     "two-bit counters of the gshare predictor, as a power of two", 4, 24},
    {"btb_entries", &OooParams::btb_entries, "entries", "branch target buffer entries", 16,
     1u << 20},
    {"btb_ways", &OooParams::btb_ways, "ways", "branch target buffer associativity", 1, 64},
    {"ras_entries", &OooParams::ras_entries, "entries", "return address stack entries", 1, 256},
    {"indirect_table_log2", &OooParams::indirect_table_log2, "log2 entries",
     "indirect-branch target table (indexed by PC and path history), as a power of two", 2, 20},
    {"rename_width", &OooParams::rename_width, "uops", "uops renamed and dispatched per cycle", 1,
     32},
    {"retire_width", &OooParams::retire_width, "uops", "uops retired per cycle", 1, 32},
    {"rob_entries", &OooParams::rob_entries, "uops", "reorder buffer entries", 8, 4096},
    {"scheduler_entries", &OooParams::scheduler_entries, "uops",
     "scheduler (reservation station) entries: a uop holds one from dispatch to issue", 4, 4096},
    {"lq_entries", &OooParams::lq_entries, "loads", "load queue entries (dispatch to retire)", 2,
     1024},
    {"sq_entries", &OooParams::sq_entries, "stores",
     "store queue entries (dispatch until the store is written to L1D after retire)", 2, 1024},
    {"num_ports", &OooParams::num_ports, "ports", "execution (issue) ports", 1, 16},
    {"load_ports", &OooParams::load_ports, "port mask", "ports that execute loads (bit n = port n)",
     1, 0xffff},
    {"store_ports", &OooParams::store_ports, "port mask",
     "ports that take a store's data (bit n = port n): stores per cycle", 1, 0xffff},
    {"mshrs", &OooParams::mshrs, "misses",
     "outstanding L1D misses (fill buffers / MSHRs); more misses wait for one", 1, 256},
    {"store_forward_cycles", &OooParams::store_forward_cycles, "cycles",
     "load-to-use latency of a load served from an older store in the store queue", 1, 64},
};

std::string class_key(const char* cls, const char* what) {
  return std::string("timing.ooo.") + cls + "_" + what;
}

constexpr const char* kClassNames[] = {
#define HVSIM_X(name, uops, ports, issue) #name,
    HVSIM_OOO_CLASSES(HVSIM_X)
#undef HVSIM_X
};
static_assert(sizeof(kClassNames) / sizeof(kClassNames[0]) == kNumInsnClasses,
              "HVSIM_OOO_CLASSES must list every timing class of HVSIM_INSN_CLASSES");

}  // namespace

OooParams::OooParams() {
  Latencies lat;
  unsigned i = 0;
#define HVSIM_X(name, def, desc) lat.cls[i++] = def;
  HVSIM_INSN_CLASSES(HVSIM_X)
#undef HVSIM_X
  i = 0;
#define HVSIM_X(name, u, p, iss)               \
  cls[i] = ClassParams{lat.cls[i], u, p, iss}; \
  ++i;
  HVSIM_OOO_CLASSES(HVSIM_X)
#undef HVSIM_X
}

void OooParams::declare_params(base::ParamRegistry& reg) {
  reg.add_string("timing.model", "simple",
                 "core timing model: simple (serial in-order sum of latencies, IPC <= 1) or ooo "
                 "(out-of-order superscalar core, timing.ooo.*)",
                 {"simple", "ooo"});
  const OooParams d;
  for (const Key& k : kKeys)
    reg.add_uint(std::string("timing.ooo.") + k.name, d.*k.field, k.unit, k.desc, k.min, k.max);
  for (unsigned c = 0; c < kNumInsnClasses; ++c) {
    const char* n = kClassNames[c];
    reg.add_uint(class_key(n, "uops"), d.cls[c].uops, "uops",
                 std::string("uops of a ") + n + " instruction's computation (memory uops apart)",
                 1, 256);
    reg.add_uint(class_key(n, "ports"), d.cls[c].ports, "port mask",
                 std::string("issue ports of a ") + n + " uop (bit n = port n; 0: no port)", 0,
                 0xffff);
    reg.add_uint(class_key(n, "issue_cycles"), d.cls[c].issue_cycles, "cycles",
                 std::string("cycles a ") + n +
                     " uop holds its port (reciprocal throughput per port; 1: pipelined)",
                 1, 1000);
  }
}

OooParams OooParams::from_config(const base::Config& cfg) {
  OooParams p;
  for (const Key& k : kKeys)
    p.*k.field = static_cast<uint32_t>(cfg.get_uint(std::string("timing.ooo.") + k.name));
  const Latencies lat = Latencies::from_config(cfg);
  for (unsigned c = 0; c < kNumInsnClasses; ++c) {
    const char* n = kClassNames[c];
    p.cls[c].latency = lat.cls[c];
    p.cls[c].uops = static_cast<uint32_t>(cfg.get_uint(class_key(n, "uops")));
    p.cls[c].ports = static_cast<uint32_t>(cfg.get_uint(class_key(n, "ports")));
    p.cls[c].issue_cycles = static_cast<uint32_t>(cfg.get_uint(class_key(n, "issue_cycles")));
  }
  p.l1d_hit_cycles = static_cast<uint32_t>(cfg.get_uint("cache.l1d.hit_cycles"));
  p.l2_hit_cycles = static_cast<uint32_t>(cfg.get_uint("cache.l2.hit_cycles"));
  p.llc_hit_cycles = static_cast<uint32_t>(cfg.get_uint("cache.llc.hit_cycles"));
  const uint32_t all = (1u << p.num_ports) - 1;
  auto check_mask = [&](uint32_t m, const std::string& key) {
    if ((m & ~all) != 0)
      throw base::ConfigError(key + " names a port at or above timing.ooo.num_ports");
  };
  check_mask(p.load_ports, "timing.ooo.load_ports");
  check_mask(p.store_ports, "timing.ooo.store_ports");
  for (unsigned c = 0; c < kNumInsnClasses; ++c)
    check_mask(p.cls[c].ports, class_key(kClassNames[c], "ports"));
  return p;
}

}  // namespace hvsim::timing::ooo
