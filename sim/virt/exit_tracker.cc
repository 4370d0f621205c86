// ExitTracker: exit/entry accounting, per-reason aggregation, the trace sinks
// and the statistics. The cycle conventions are in exit_tracker.h.
#include "sim/virt/exit_tracker.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "sim/base/log.h"
#include "sim/base/params.h"
#include "sim/virt/exit_sinks.h"
#include "sim/virt/exit_summary.h"
#include "sim/virt/trace_format.h"

namespace hvsim::virt {

namespace {

uint64_t minus(uint64_t a, uint64_t b) { return a >= b ? a - b : 0; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string fallback_name(Arch arch, uint32_t reason) {
  char buf[32];
  if (arch == Arch::kSvm)
    std::snprintf(buf, sizeof buf, "svm_0x%" PRIx32, reason);
  else if (arch == Arch::kPv)
    std::snprintf(buf, sizeof buf, "pv_%" PRIu32, reason);
  else
    std::snprintf(buf, sizeof buf, "vmx_%" PRIu32, reason);
  return buf;
}

std::string stat_token(const std::string& name) {
  std::string t = name;
  for (char& c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  }
  return t;
}

}  // namespace

struct ExitTracker::Impl {
  struct Agg {
    std::string name;
    uint64_t exits = 0;       // virt.exits.<NAME>
    uint64_t total_time = 0;  // virt.exit_time.<NAME>
    uint64_t timed = 0;
    uint64_t min_time = std::numeric_limits<uint64_t>::max();
    uint64_t max_time = 0;
    uint64_t exit_cost = 0;   // world-switch cycles charged, over every exit
    double mean = 0, m2 = 0;  // of the times (Welford), for the spread
    bool registered = false;
  };
  // I/O exits by (port, OUT), MSR exits by (MSR, write).
  std::map<std::pair<uint32_t, bool>, DetailSummary> io, msr;

  // Statistics (the registry holds pointers to these).
  uint64_t exits = 0, entries = 0, guest = 0, host = 0, world_switch = 0;

  std::map<std::pair<Arch, uint32_t>, Agg> by_reason;  // node-stable for the registry
  base::StatRegistry* stats = nullptr;

  bool pending = false;
  ExitRecord pending_rec;
  std::string pending_name;
  Agg* pending_agg = nullptr;

  bool in_guest = false;
  uint64_t guest_since = 0;
  uint32_t last_vcpu = 0;
  uint32_t vcpu = 0;  // set_vcpu: stamped on every record
  bool vcpu_set = false;
  bool finished = false;

  std::vector<std::unique_ptr<ExitSink>> sinks;
  std::map<std::string, bool> filter;  // lower-case name -> matched an exit

  void check_running(const char* what) const {
    if (finished) throw std::logic_error(std::string("ExitTracker::") + what + " after finish()");
  }

  void register_reason(Agg& a) {
    if (stats == nullptr || a.registered) return;
    std::string token = stat_token(a.name);
    if (used_tokens.count(token)) {  // two (arch, reason) keys with one name: keep them apart
      const std::string base = token;
      for (int i = 2; used_tokens.count(token = base + "_" + std::to_string(i)); ++i) {
      }
    }
    used_tokens.insert(token);
    a.registered = true;
    stats->add_counter("virt.exits." + token, &a.exits, "count", "VM exits for " + a.name);
    stats->add_counter("virt.exit_time." + token, &a.total_time, "cycles",
                       "cycles from " + a.name + " exits to the next entry");
  }
  std::set<std::string> used_tokens;

  bool passes_filter(const std::string& name) {
    if (filter.empty()) return true;
    auto it = filter.find(lower(name));
    if (it == filter.end()) return false;
    it->second = true;
    return true;
  }

  // The pending exit ends `host_cycles` after it was taken.
  void complete(uint64_t host_cycles, uint64_t entry_cost) {
    pending = false;
    ExitRecord r = pending_rec;
    r.reason_name = pending_name.c_str();
    r.host_cycles = host_cycles;
    r.entry_cost = entry_cost;
    host += minus(host_cycles, r.exit_cost + entry_cost);
    Agg& a = *pending_agg;
    a.timed++;
    a.total_time += host_cycles;
    a.min_time = std::min(a.min_time, host_cycles);
    a.max_time = std::max(a.max_time, host_cycles);
    const double x = static_cast<double>(host_cycles), d = x - a.mean;
    a.mean += d / static_cast<double>(a.timed);
    a.m2 += d * (x - a.mean);
    add_detail(r, host_cycles);
    if (!sinks.empty() && passes_filter(pending_name)) {
      for (auto& s : sinks) s->record(r);
    }
  }

  // The breakdowns: VMX I/O qualification bits 31:16 port, bit 3 IN (SDM
  // Vol. 3 Table 28-5); SVM IOIO EXITINFO1 bits 31:16 port, bit 0 IN (APM
  // Vol. 2 15.10.2); VMX MSR_WRITE is reason 32, SVM VMEXIT_MSR EXITINFO1 = 1
  // for WRMSR (15.11).
  void add_detail(const ExitRecord& r, uint64_t host_cycles) {
    DetailSummary* d = nullptr;
    if (is_io_exit(r.arch, r.reason)) {
      const uint32_t port = static_cast<uint32_t>(r.qualification >> 16) & 0xffff;
      const bool in = r.arch == Arch::kVmx ? (r.qualification >> 3) & 1 : r.qualification & 1;
      d = &io[{port, !in}];
      d->key = port;
      d->write = !in;
    } else if (r.has_msr) {
      const bool write = r.arch == Arch::kVmx ? r.reason == 32 : (r.qualification & 1) != 0;
      d = &msr[{r.msr, write}];
      d->key = r.msr;
      d->write = write;
    }
    if (!d) return;
    d->samples++;
    d->timed++;
    d->total_time += host_cycles;
  }

  void end_guest_phase(uint32_t vcpu, uint64_t cycle) {
    if (!in_guest) return;
    in_guest = false;
    guest += minus(cycle, guest_since);
    for (auto& s : sinks) s->guest_phase(vcpu, guest_since, std::max(cycle, guest_since));
  }
};

ExitTracker::ExitTracker() : impl_(std::make_unique<Impl>()) {}

ExitTracker::~ExitTracker() {
  // Close the files even if finish() was never reached.
  for (auto& s : impl_->sinks) s->finish();
}

void ExitTracker::set_vcpu(uint32_t vcpu) {
  impl_->vcpu = vcpu;
  impl_->vcpu_set = true;
}

void ExitTracker::on_exit(const ExitRecord& rec) {
  Impl& m = *impl_;
  ExitRecord r = rec;
  if (m.vcpu_set) r.vcpu = m.vcpu;
  m.check_running("on_exit");
  if (m.pending) m.complete(minus(r.cycle, m.pending_rec.cycle), 0);
  m.end_guest_phase(r.vcpu, r.cycle);
  m.exits++;
  m.world_switch += r.exit_cost;
  m.last_vcpu = r.vcpu;

  auto [it, added] = m.by_reason.try_emplace({r.arch, r.reason});
  Impl::Agg& a = it->second;
  if (added) {
    a.name = r.reason_name != nullptr && r.reason_name[0] != '\0' ? std::string(r.reason_name)
                                                                  : fallback_name(r.arch, r.reason);
    m.register_reason(a);
  }
  a.exits++;
  a.exit_cost += r.exit_cost;

  m.pending = true;
  m.pending_rec = r;
  m.pending_name = a.name;
  m.pending_agg = &a;
}

void ExitTracker::on_entry(uint64_t cycle, uint64_t entry_cost) {
  Impl& m = *impl_;
  m.check_running("on_entry");
  m.entries++;
  m.world_switch += entry_cost;
  if (m.pending) m.complete(minus(cycle, m.pending_rec.cycle), entry_cost);
  if (m.in_guest) m.end_guest_phase(m.last_vcpu, cycle);  // entry without an exit between
  m.in_guest = true;
  m.guest_since = cycle;
}

void ExitTracker::open_trace(const std::string& path, uint64_t cpu_mhz) {
  const auto format = trace_format_for_path(path);
  if (!format) {
    throw base::ConfigError("--trace-exits " + path + ": unknown trace format (expected " +
                            kTraceFormatsHint + ")");
  }
  add_sink(make_trace_sink(*format, path, cpu_mhz));
}

void ExitTracker::add_sink(std::unique_ptr<ExitSink> sink) {
  if (sink) impl_->sinks.push_back(std::move(sink));
}

void ExitTracker::set_filter(const std::vector<std::string>& reason_names) {
  impl_->filter.clear();
  for (const auto& n : reason_names) impl_->filter.emplace(lower(n), false);
}

void ExitTracker::finish(uint64_t end_cycle) {
  Impl& m = *impl_;
  if (m.finished) return;
  if (m.pending) m.complete(minus(end_cycle, m.pending_rec.cycle), 0);
  m.end_guest_phase(m.last_vcpu, end_cycle);
  for (auto& s : m.sinks) s->finish();
  if (!m.sinks.empty()) {
    for (const auto& [name, matched] : m.filter) {
      if (!matched)
        base::log(base::Component::virt).warn("--trace-filter {}: no exit had that reason", name);
    }
  }
  m.finished = true;
}

std::string ExitTracker::summary_text() const {
  std::vector<ReasonSummary> rows;
  for (const auto& [key, a] : impl_->by_reason) {
    ReasonSummary r;
    r.arch = key.first;
    r.reason = key.second;
    r.name = a.name;
    r.samples = a.exits;
    r.timed = a.timed;
    r.total_time = a.total_time;
    r.min_time = a.timed ? a.min_time : 0;
    r.max_time = a.max_time;
    r.exit_cost = a.exit_cost;
    r.time_m2 = a.m2;
    rows.push_back(std::move(r));
  }
  std::vector<DetailSummary> io, msr;
  for (const auto& [key, d] : impl_->io) io.push_back(d);
  for (const auto& [key, d] : impl_->msr) msr.push_back(d);
  return format_exit_summary(std::move(rows), std::move(io), std::move(msr));
}

void ExitTracker::register_stats(base::StatRegistry& stats) {
  Impl& m = *impl_;
  m.stats = &stats;
  stats.add_counter("virt.exits", &m.exits, "count", "VM exits (every reason)");
  stats.add_counter("virt.entries", &m.entries, "count",
                    "VM entries (VMLAUNCH/VMRESUME/VMRUN that entered the guest)");
  stats.add_counter("virt.cycles_in_guest", &m.guest, "cycles",
                    "cycles from each entry's end to the next exit");
  stats.add_counter("virt.cycles_in_host", &m.host, "cycles",
                    "cycles from exits to the next entries, less the world-switch costs");
  stats.add_counter("virt.world_switch_cycles", &m.world_switch, "cycles",
                    "exit_cost of every exit plus entry_cost of every entry");
  for (auto& [key, a] : m.by_reason) m.register_reason(a);
}

ExitTracker::State ExitTracker::state() const {
  const Impl& m = *impl_;
  State st;
  // Registration order: as the statistics registry lists them.
  std::vector<const Impl::Agg*> order;
  if (m.stats)
    for (const auto& spec : m.stats->all())
      for (const auto& [key, a] : m.by_reason)
        if (spec.counter == &a.exits) order.push_back(&a);
  for (const auto& [key, a] : m.by_reason)
    if (std::find(order.begin(), order.end(), &a) == order.end()) order.push_back(&a);
  for (const Impl::Agg* a : order) {
    for (const auto& [key, b] : m.by_reason)
      if (&b == a)
        st.reasons.push_back({key.first, key.second, a->name, a->exits, a->total_time, a->timed,
                              a->min_time, a->max_time, a->exit_cost, a->mean, a->m2});
  }
  for (const auto& [key, d] : m.io) st.io.push_back(d);
  for (const auto& [key, d] : m.msr) st.msr.push_back(d);
  st.exits = m.exits;
  st.entries = m.entries;
  st.guest = m.guest;
  st.host = m.host;
  st.world_switch = m.world_switch;
  st.pending = m.pending;
  st.pending_rec = m.pending_rec;
  st.pending_name = m.pending_name;
  st.in_guest = m.in_guest;
  st.guest_since = m.guest_since;
  st.last_vcpu = m.last_vcpu;
  return st;
}

void ExitTracker::set_state(const State& st) {
  Impl& m = *impl_;
  for (const auto& r : st.reasons) {
    auto [it, added] = m.by_reason.try_emplace({r.arch, r.reason});
    Impl::Agg& a = it->second;
    a.name = r.name;
    a.exits = r.exits;
    a.total_time = r.total_time;
    a.timed = r.timed;
    a.min_time = r.min_time;
    a.max_time = r.max_time;
    a.exit_cost = r.exit_cost;
    a.mean = r.mean;
    a.m2 = r.m2;
    m.register_reason(a);
  }
  for (const auto& d : st.io) m.io[{d.key, d.write}] = d;
  for (const auto& d : st.msr) m.msr[{d.key, d.write}] = d;
  m.exits = st.exits;
  m.entries = st.entries;
  m.guest = st.guest;
  m.host = st.host;
  m.world_switch = st.world_switch;
  m.pending = st.pending;
  m.pending_rec = st.pending_rec;
  m.pending_name = st.pending_name;
  m.pending_rec.reason_name = m.pending_name.c_str();
  const auto it = m.by_reason.find({m.pending_rec.arch, m.pending_rec.reason});
  m.pending_agg = it == m.by_reason.end() ? nullptr : &it->second;
  if (m.pending && !m.pending_agg) m.pending = false;
  m.in_guest = st.in_guest;
  m.guest_since = st.guest_since;
  m.last_vcpu = st.last_vcpu;
}

uint64_t ExitTracker::exits() const { return impl_->exits; }
uint64_t ExitTracker::entries() const { return impl_->entries; }
uint64_t ExitTracker::cycles_in_guest() const { return impl_->guest; }
uint64_t ExitTracker::cycles_in_host() const { return impl_->host; }
uint64_t ExitTracker::world_switch_cycles() const { return impl_->world_switch; }

}  // namespace hvsim::virt
