#include "sim/gdb/stub.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "sim/base/exit_status.h"
#include "sim/core/engine.h"
#include "sim/gdb/debug_memory.h"
#include "sim/gdb/gdb_entry.h"
#include "sim/gdb/registers.h"
#include "sim/gdb/rsp.h"

namespace hvsim::gdb {

namespace {

constexpr size_t kMaxMemoryPacket = 0x1000;  // bytes per m/M (PacketSize 0x4000 leaves room)

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

Stub::Stub(platform::Cpu& cpu, uint16_t port)
    : cpu_(cpu), e_(cpu.core().engine()), conn_(port) {}

bool Stub::debugging() const {
  if (stepping_ || !breakpoints_.empty()) return true;
  for (const Watch& w : watches_)
    if (w.kind) return true;
  return false;
}

core::RunExit Stub::run(uint64_t limit) {
  core::Core& core = cpu_.core();
  if (!started_) {
    started_ = true;
    std::fprintf(stderr,
                 "hvsim: gdb: waiting for a connection on 127.0.0.1:%u (gdb: target remote :%u)\n",
                 port(), port());
    std::fflush(stderr);
    conn_.accept_client();
    if (conn_.connected()) stop("S05");  // stopped before the first instruction
  }
  if (killed_) return core.run(limit);  // end_run asked the core to stop
  if (detached_ || !conn_.connected()) return core.run(limit);
  if (!debugging()) {
    if (conn_.poll_interrupt()) stop("S02");  // Ctrl-C in gdb: SIGINT
    if (!debugging() || killed_ || detached_) return core.run(limit);
  }
  return run_stepping(limit);
}

core::RunExit Stub::run_stepping(uint64_t limit) {
  core::Core& core = cpu_.core();
  for (uint64_t n = 1;; ++n) {
    if (killed_ || detached_ || !debugging()) return core.run(limit);
    const uint64_t pc = e_.s.rip;
    if (!skip_bp_ && std::binary_search(breakpoints_.begin(), breakpoints_.end(), pc)) {
      stepping_ = false;
      skip_bp_ = true;  // continuing from here executes this instruction first
      stop("S05");
      continue;
    }
    skip_bp_ = false;
    const uint64_t before = core.instructions();
    const core::RunExit x = core.run(std::min(limit, core.cycles() + 1));
    if (const uint8_t hits = e_.take_debugger_hits()) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(hits));
      static const char* const kKind[4] = {"", "watch", "rwatch", "awatch"};
      char reply[64];
      std::snprintf(reply, sizeof reply, "T05%s:%" PRIx64 ";", kKind[watches_[i].kind],
                    watches_[i].addr);
      stepping_ = false;
      stop(reply);
    } else if (stepping_ && (core.instructions() != before || e_.s.rip != pc)) {
      stepping_ = false;
      stop("S05");
    }
    if (x != core::RunExit::kBudget || core.cycles() >= limit) return x;
    if (n % 1024 == 0 && conn_.poll_interrupt()) stop("S02");
  }
}

void Stub::stop(const std::string& reply) {
  if (ended_) return;
  last_stop_ = reply;
  conn_.send_packet(reply);
  for (;;) {
    const std::string p = conn_.read_packet();
    if (conn_.closed()) {  // gdb went away: run on without it
      detach();
      return;
    }
    if (p == "\x03") continue;  // already stopped
    bool resume = false;
    const std::string r = handle(p, &resume);
    if (resume) return;
    conn_.send_packet(r);
    if (detached_) {
      conn_.close();
      return;
    }
  }
}

std::string Stub::handle(const std::string& p, bool* resume) {
  if (p.empty()) return "";
  switch (p[0]) {
    case '?':
      return last_stop_;
    case 'g':
      return read_registers();
    case 'G':
      return write_registers(p.substr(1));
    case 'p': {
      const auto n = parse_hex(p.substr(1));
      if (!n || *n >= kNumRegs) return "E01";
      const auto v = read_reg(reg_engine().s, static_cast<unsigned>(*n));
      return to_hex(v.data(), v.size());
    }
    case 'P': {
      const size_t eq = p.find('=');
      const auto n = parse_hex(p.substr(1, eq == std::string::npos ? 0 : eq - 1));
      if (!n || *n >= kNumRegs) return "E01";
      const auto bytes = from_hex(p.substr(eq + 1));
      if (!bytes || bytes->size() != reg_size(static_cast<unsigned>(*n))) return "E01";
      if (!write_reg(reg_engine().s, static_cast<unsigned>(*n), bytes->data())) return "E01";
      reg_engine().update_alignment_check();  // RFLAGS.AC may have changed
      return "OK";
    }
    case 'm':
      return read_memory(p.substr(1));
    case 'M':
      return write_memory(p.substr(1));
    case 'Z':
    case 'z':
      return breakpoint(p, p[0] == 'Z');
    case 'c':
    case 's':
      if (p.size() > 1) {
        const auto a = parse_hex(p.substr(1));
        if (!a) return "E01";
        e_.s.rip = *a;
      }
      stepping_ = p[0] == 's';
      *resume = true;
      return "";
    case 'k':
      kill();
      *resume = true;
      return "";
    case 'D':
      detach();
      return "OK";
    case 'H':
    case 'T':
      return select_thread(p);
    default:
      break;
  }
  if (starts_with(p, "qSupported")) return "PacketSize=4000;qXfer:features:read+";
  if (starts_with(p, "qXfer:features:read:")) return features(p.substr(20));
  if (p == "qAttached") return "1";
  if (p == "qC") return "QC1";
  if (p == "qfThreadInfo") {
    std::string r = "m1";
    char id[24];
    for (size_t i = 2; i <= threads(); ++i) {
      std::snprintf(id, sizeof id, ",%zx", i);  // thread ids are hex
      r += id;
    }
    return r;
  }
  if (starts_with(p, "qThreadExtraInfo,")) return thread_extra_info(p.substr(17));
  if (p == "qsThreadInfo") return "l";
  if (starts_with(p, "vKill")) {
    kill();
    *resume = true;
    conn_.send_packet("OK");
    return "";
  }
  return "";  // not supported (vCont?, qOffsets, X, ...): gdb falls back
}

std::string Stub::read_registers() {
  std::string out;
  for (unsigned n = 0; n < kNumRegs; ++n) {
    const auto v = read_reg(reg_engine().s, n);
    out += to_hex(v.data(), v.size());
  }
  return out;
}

std::string Stub::write_registers(const std::string& hex) {
  const auto bytes = from_hex(hex);
  if (!bytes) return "E01";
  size_t off = 0;
  bool ok = true;
  core::Engine& e = reg_engine();
  for (unsigned n = 0; n < kNumRegs && off + reg_size(n) <= bytes->size(); ++n) {
    ok &= write_reg(e.s, n, bytes->data() + off);
    off += reg_size(n);
  }
  e.update_alignment_check();
  return ok ? "OK" : "E01";
}

std::string Stub::read_memory(const std::string& args) {
  const auto parts = split(args, ",");
  if (parts.size() != 2) return "E01";
  const auto addr = parse_hex(parts[0]), len = parse_hex(parts[1]);
  if (!addr || !len) return "E01";
  std::vector<uint8_t> buf(std::min<uint64_t>(*len, kMaxMemoryPacket));
  const size_t n = debug_read(reg_engine(), *addr, buf.data(), buf.size());
  if (n == 0 && !buf.empty()) return "E14";  // EFAULT: not mapped
  return to_hex(buf.data(), n);
}

std::string Stub::write_memory(const std::string& args) {
  const auto parts = split(args, ",:");
  if (parts.size() != 3) return "E01";
  const auto addr = parse_hex(parts[0]), len = parse_hex(parts[1]);
  const auto bytes = from_hex(parts[2]);
  if (!addr || !len || !bytes || bytes->size() != *len) return "E01";
  return debug_write(reg_engine(), *addr, bytes->data(), bytes->size()) == bytes->size() ? "OK"
                                                                                      : "E14";
}

size_t Stub::threads() const {
  const platform::CpuGroup* g = cpu_.group();
  return g && g->cpus.size() > 1 ? g->cpus.size() : 1;
}

core::Engine& Stub::reg_engine() {
  if (gthread_ == 0 || gthread_ >= threads()) return e_;
  return cpu_.group()->cpus[gthread_]->core().engine();
}

// Hg/Hc ID and T ID (thread ids in hex; -1 all, 0 any). Only Hg changes
// anything: the core the register and memory packets use.
std::string Stub::select_thread(const std::string& p) {
  const bool alive_query = p[0] == 'T';
  const std::string id = p.substr(alive_query ? 1 : 2);
  if (!alive_query && (id == "-1" || id == "0")) {
    if (p[1] == 'g') gthread_ = 0;
    return "OK";
  }
  const auto n = parse_hex(id);
  if (!n || *n == 0 || *n > threads()) return "E01";
  if (!alive_query && p[1] == 'g') gthread_ = static_cast<size_t>(*n - 1);
  return "OK";
}

// "cpuN" and its state, hex-encoded (gdb's `info threads`).
std::string Stub::thread_extra_info(const std::string& id_hex) {
  const auto n = parse_hex(id_hex);
  if (!n || *n == 0 || *n > threads()) return "E01";
  core::Core& c = *n == 1 ? cpu_.core() : cpu_.group()->cpus[*n - 1]->core();
  const char* state = c.waiting_for_sipi() ? "waiting for SIPI" : c.halted() ? "halted" : "running";
  const std::string text = "cpu" + std::to_string(*n - 1) + ", " + state;
  return to_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

// Z/z TYPE,ADDR,KIND: 0 software and 1 hardware breakpoints (both kept
// here, guest memory untouched), 2 write, 3 read, 4 access watchpoints.
std::string Stub::breakpoint(const std::string& p, bool insert) {
  const auto parts = split(std::string_view(p).substr(1), ",;");
  if (parts.size() < 3) return "E01";
  const auto type = parse_hex(parts[0]), addr = parse_hex(parts[1]), kind = parse_hex(parts[2]);
  if (!type || !addr || !kind) return "E01";
  if (*type <= 1) {
    auto it = std::lower_bound(breakpoints_.begin(), breakpoints_.end(), *addr);
    const bool present = it != breakpoints_.end() && *it == *addr;
    if (insert && !present) breakpoints_.insert(it, *addr);
    if (!insert && present) breakpoints_.erase(it);
    return "OK";
  }
  if (*type > 4 || *kind == 0) return "E01";
  const uint8_t wkind = *type == 2 ? 1 : *type == 3 ? 2 : 3;
  for (unsigned i = 0; i < 4; ++i) {
    Watch& w = watches_[i];
    if (insert ? w.kind != 0 : (w.kind != wkind || w.addr != *addr || w.len != *kind)) continue;
    w = insert ? Watch{*addr, static_cast<uint32_t>(*kind), wkind} : Watch{};
    e_.set_debugger_watch(i, w.addr, w.len, w.kind);
    return "OK";
  }
  return insert ? "E28" : "OK";  // ENOSPC: gdb falls back to software watchpoints
}

// qXfer:features:read:ANNEX:OFFSET,LENGTH
std::string Stub::features(const std::string& args) {
  const size_t colon = args.find(':');
  if (colon == std::string::npos || args.substr(0, colon) != "target.xml") return "E00";
  const auto parts = split(std::string_view(args).substr(colon + 1), ",");
  if (parts.size() != 2) return "E01";
  const auto off = parse_hex(parts[0]), len = parse_hex(parts[1]);
  if (!off || !len) return "E01";
  const std::string& xml = target_xml();
  if (*off >= xml.size()) return "l";
  const std::string chunk = xml.substr(*off, *len);
  return (*off + chunk.size() >= xml.size() ? "l" : "m") + escape_binary(chunk);
}

void Stub::detach() {
  detached_ = true;
  stepping_ = false;
  breakpoints_.clear();
  for (unsigned i = 0; i < 4; ++i) {
    if (watches_[i].kind) e_.set_debugger_watch(i, 0, 0, 0);
    watches_[i] = Watch{};
  }
}

void Stub::kill() {
  killed_ = true;
  detach();
  cpu_.end_run(base::kExitDebuggerKill, "killed by the debugger (gdb)", false);
  conn_.close();
}

void Stub::run_ended(int exit_status, const std::string&) {
  if (ended_) return;
  ended_ = true;
  if (killed_ || detached_ || !conn_.connected()) return;
  char reply[8];
  std::snprintf(reply, sizeof reply, "W%02x", exit_status & 0xff);
  conn_.send_packet(reply);
  conn_.close();
}

}  // namespace hvsim::gdb

namespace hvsim::gdb {

decltype(platform::RunSpec::run_control) make_run_control(uint16_t port) {
  return [port](platform::Cpu& cpu) -> std::unique_ptr<platform::RunControl> {
    return std::make_unique<Stub>(cpu, port);
  };
}

}  // namespace hvsim::gdb
