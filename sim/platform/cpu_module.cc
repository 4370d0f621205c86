#include "sim/platform/cpu_module.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "sim/base/exit_status.h"
#include "sim/platform/stop_signal.h"

namespace hvsim::platform {

using core::RunExit;

Cpu::Cpu(sc_core::sc_module_name name, const base::Config& cfg, const CpuParams& p)
    : sc_module(name), mem_socket("mem_socket"), io_socket("io_socket"), p_(p) {
  core_ = std::make_unique<core::Core>(*this, cfg);
  // Here, not in the thread: a restore (before sc_start) loads the REP
  // iterations counted so far, which setting the limit resets.
  core_->set_insn_limit(p_.max_insns);
  cycle_ = sc_core::sc_time(1e3 / double(p.mhz), sc_core::SC_NS);
  tlm_utils::tlm_quantumkeeper::set_global_quantum(cycle_ * double(p.quantum_cycles));
  qk_.reset();
  mem_socket.register_invalidate_direct_mem_ptr(this, &Cpu::invalidate_dmi);
  io_socket.register_invalidate_direct_mem_ptr(this, &Cpu::invalidate_dmi);
  SC_THREAD(run_thread);
  set_stack_size(kThreadStack);
}

Cpu::~Cpu() = default;

// Device latencies are charged to the core (Core::add_cycles), so the core's
// count is the whole story.
uint64_t Cpu::total_cycles() const { return core_->cycles(); }

uint64_t Cpu::kernel_cycles() const {
  // Rounded up: a wake-up between two cycle edges is seen at the next one.
  const uint64_t step = cycle_.value();
  return (base_->now_ps() + step - 1) / step;
}

uint64_t Cpu::now_cycles() const { return std::max(core_->cycles(), kernel_cycles()); }

uint64_t CpuGroup::sender_now() const {
  if (running >= 0) return cpus[size_t(running)]->now_cycles();
  return cpus.empty() ? 0 : cpus[0]->kernel_cycles();
}

void Cpu::join(CpuGroup* group, unsigned index) {
  group_ = group;
  index_ = index;
  end_ = &group->end;
}

void Cpu::attach_interrupts(core::InterruptSource* src, core::ApicRegisters* regs,
                            std::function<uint64_t()> next_deadline) {
  core_->attach_interrupt_controller(src, regs);
  next_deadline_ = std::move(next_deadline);
  has_wake_sources_ = src != nullptr;
}

void Cpu::deadline_moved(uint64_t deadline_cycle) {
  if (!in_run_ || deadline_cycle >= run_limit_ || requantum_) return;
  requantum_ = true;
  core_->request_stop();
}

void Cpu::wake() {
  // Another CPU's message wakes a halted one no earlier than it was sent.
  if (group_ && group_->multi()) wake_at_ = std::max(wake_at_, group_->sender_now());
  core_->notify_interrupt();
  wake_pending_ = true;
  wake_.notify();  // immediate: a thread waiting in HLT runs in this evaluation phase
}

void Cpu::register_stats(base::StatRegistry& s) {
  core_->register_stats(s);
  s.add_counter("platform.cpu.stall_cycles", &stall_cycles, "cycles",
                "cycles devices added to accesses (e.g. port 0x80)");
  s.add_counter("platform.cpu.io_reads", &io_reads, "count", "port reads (IN, INS)");
  s.add_counter("platform.cpu.io_writes", &io_writes, "count", "port writes (OUT, OUTS)");
  s.add_counter("platform.cpu.io_unmapped", &io_unmapped, "count",
                "port accesses no device answered (read as all-ones)");
  s.add_counter("platform.cpu.mmio_reads", &mmio_reads, "count",
                "memory reads through b_transport");
  s.add_counter("platform.cpu.mmio_writes", &mmio_writes, "count",
                "memory writes through b_transport");
  s.add_counter("platform.cpu.mem_unmapped", &mem_unmapped, "count",
                "memory accesses no target answered");
  s.add_counter("platform.cpu.dmi_grants", &dmi_grants, "count", "DMI ranges granted by the bus");
  s.add_counter("platform.cpu.halts", &halts, "count",
                "times the CPU waited in HLT for an interrupt");
  s.add_counter("platform.cpu.halted_cycles", &halted_cycles, "cycles",
                "cycles the CPU spent halted, waiting for an interrupt");
}

void Cpu::end_run(int exit_status, const std::string& reason, bool with_register_dump) {
  if (end_->ended) return;
  end_->ended = true;
  end_->exit_status = exit_status;
  end_->reason = reason;
  if (group_ && group_->multi()) end_->reason = "cpu" + std::to_string(index_) + ": " + reason;
  if (with_register_dump) end_->register_dump = core_->dump_registers();
  if (group_)
    for (Cpu* c : group_->cpus) c->core_->request_stop();
  else
    core_->request_stop();
  sc_core::sc_stop();
  if (rc_) rc_->run_ended(exit_status, reason);
}

bool Cpu::end_on_signal() {
  const int sig = pending_stop_signal();
  if (!sig || end_->ended) return false;
  const bool term = sig == SIGTERM;
  end_run(term ? base::kExitTerminated : base::kExitInterrupted,
          std::string(term ? "stopped by SIGTERM" : "interrupted by SIGINT (Ctrl-C)") +
              " at cycle " + std::to_string(core_->cycles()) +
              "; statistics cover the run so far",
          false);
  return true;
}

void Cpu::run_thread() {
  try {
    run_loop();
  } catch (const std::exception& e) {  // a bug in hvsim: report it as a run end
    end_run(base::kExitInternal, std::string("internal error: ") + e.what(), true);
  }
}

void Cpu::run_loop() {
  if (at_ != At::kRun) {
    if (resume()) return;
  } else {
    synced_cycles_ = total_cycles();
  }
  for (;;) {
    if (end_on_signal()) return;
    if (progress_ && g_progress_due.load(std::memory_order_relaxed)) {
      g_progress_due.store(false, std::memory_order_relaxed);
      progress_();
    }
    uint64_t limit = core_->cycles() + p_.quantum_cycles;
    if (p_.max_cycles) limit = std::min(limit, p_.max_cycles);
    // A timer interrupt is due: end the quantum there, so the kernel reaches
    // that time, the timer fires and the core sees its interrupt on time.
    if (next_deadline_) limit = std::min(limit, next_deadline_());
    run_limit_ = limit;
    in_run_ = true;
    if (group_) group_->running = int(index_);
    const RunExit e = rc_ ? rc_->run(limit) : core_->run(limit);
    if (group_) group_->running = -1;
    in_run_ = false;
    // Wakes during the run were seen by the core itself (notify_interrupt);
    // from here on they matter to a halted core.
    wake_pending_ = false;
    if (e == RunExit::kStopRequested && requantum_ && !end_->ended) {
      requantum_ = false;
      continue;  // a quantum ending at the new deadline
    }
    requantum_ = false;
    if (e == RunExit::kHalted && has_wake_sources_) {
      if (wait_in_halt()) return;
      continue;
    }
    if (e == RunExit::kWaitForSipi && sipi_latched_) {
      sipi_latched_ = false;
      core_->start_at_sipi(sipi_vector_);
      continue;
    }
    if (group_ && group_->multi() && has_wake_sources_ &&
        (e == RunExit::kWaitForSipi || (e == RunExit::kHaltedForever && index_ != 0))) {
      // Another CPU may send the SIPI, INIT or NMI: an AP parks in HLT with
      // IF = 0 (only INIT, NMI or SMI wake it, SDM Vol. 3 9.10.2 / HLT).
      if (e == RunExit::kHaltedForever) core_->park();
      if (wait_in_halt()) return;
      continue;
    }
    if (handle_exit(e)) return;
    sync_time(At::kQuantumSync);
    if (boundary_) boundary_();
  }
}

void Cpu::sync_time(At where) {
  const uint64_t now = total_cycles();
  qk_.inc(cycle_ * double(now - synced_cycles_));
  synced_cycles_ = now;
  at_ = where;  // tlm_quantumkeeper::sync waits its local time
  wait_until_ps_ = base_->now_ps() + qk_.get_local_time().value();
  qk_.sync();
  at_ = At::kRun;
}

// A checkpoint of a multiprocessor finds every CPU but the one writing it
// inside a wait (sync_time, wait_in_halt); the restored thread waits until
// the same absolute time and goes on from there. A CPU whose wait ended at
// the checkpoint's very time had not run yet: it runs after the CPU that
// wrote the checkpoint, as in the run that wrote it (one delta later).
bool Cpu::resume() {
  const At at = at_;
  at_ = At::kRun;
  const uint64_t now = base_->now_ps();
  if (at == At::kQuantumSync || at == At::kHaltSync) {
    sc_core::wait(wait_until_ps_ > now ? sc_core::sc_time::from_value(wait_until_ps_ - now)
                                       : sc_core::SC_ZERO_TIME);
    qk_.reset();
    if (at == At::kQuantumSync) {
      if (boundary_) boundary_();
      return false;
    }
  } else {
    sc_core::wait(sc_core::SC_ZERO_TIME);
  }
  if (halt_wait()) return true;
  return false;
}

bool Cpu::wait_in_halt() {
  ++halts;
  wake_at_ = 0;
  halted_at_ = core_->cycles();
  sync_time(At::kHaltSync);  // a device may wake the core while the kernel catches up
  return halt_wait();
}

bool Cpu::halt_wait() {
  halt_waiting_ = true;
  at_ = At::kHalted;
  // A halted guest may have its own deadline (the VMX-preemption timer).
  const uint64_t guest_deadline = core_->guest_wake_deadline();
  const uint64_t until = std::min<uint64_t>(guest_deadline, p_.max_cycles ? p_.max_cycles : ~0ull);
  while (!wake_pending_) {
    if (end_on_signal()) {
      halt_waiting_ = false;
      at_ = At::kRun;
      return true;
    }
    const uint64_t now = now_cycles();
    if (now >= until) break;
    // Nothing scheduled anywhere: only this thread could make something
    // happen, and it is halted. Waiting on wake_ alone lets sc_start return;
    // run_simulation then reports "halted with nothing to wake it"
    // (waiting_in_halt()), with or without a cycle limit.
    if (until == ~0ull || (guest_deadline == ~0ull && !sc_core::sc_pending_activity())) {
      sc_core::wait(wake_);
      continue;
    }
    // Otherwise wake at the next activity (it may be the last), the guest's
    // deadline or the limit.
    sc_core::sc_time limit = cycle_ * double(until - now);
    // Two halted CPUs must not wake each other at zero time forever: on a
    // multiprocessor only activity later than now bounds the wait.
    const bool multi = group_ && group_->multi();
    if (sc_core::sc_pending_activity() &&
        (!multi || sc_core::sc_time_to_pending_activity() > sc_core::SC_ZERO_TIME))
      limit = std::min(limit, sc_core::sc_time_to_pending_activity());
    sc_core::wait(limit, wake_);
  }
  halt_waiting_ = false;
  at_ = At::kRun;
  // The core slept until now: its clock (and so RDTSC) moves to the kernel's time.
  uint64_t now = now_cycles();
  if (group_ && group_->multi()) now = std::max(now, wake_at_);
  if (now > core_->cycles()) core_->add_cycles(now - core_->cycles());
  halted_cycles += core_->cycles() - halted_at_;
  // Woken by a CPU ahead of the kernel: the next sync waits for the gap too.
  synced_cycles_ = group_ && group_->multi() ? std::min(total_cycles(), kernel_cycles())
                                             : total_cycles();
  qk_.reset();
  if (!wake_pending_ && p_.max_cycles && core_->cycles() >= p_.max_cycles) {
    end_run(base::kExitCycleLimit,
            "cycle limit of " + std::to_string(p_.max_cycles) + " reached (CPU halted)", false);
    return true;
  }
  return false;
}

bool Cpu::handle_exit(RunExit e) {
  switch (e) {
    case RunExit::kBudget:
      if (p_.max_cycles && core_->cycles() >= p_.max_cycles) {
        end_run(base::kExitCycleLimit,
                "cycle limit of " + std::to_string(p_.max_cycles) + " reached", false);
        return true;
      }
      return false;
    case RunExit::kStopRequested:
      if (!end_->ended) end_run(base::kExitInternal, "core stopped without a reason", true);
      return true;
    case RunExit::kHalted:
      // With interrupt sources the run loop waits (wait_in_halt) instead.
      end_run(base::kExitHalted, "CPU halted (HLT) and no device can raise an interrupt", false);
      return true;
    case RunExit::kHaltedForever:
      end_run(base::kExitHalted, "CPU halted forever: " + core_->last_error(), true);
      return true;
    case RunExit::kTripleFault:
      end_run(base::kExitTripleFault, "triple fault: " + core_->last_error(), true);
      return true;
    case RunExit::kWaitForSipi:  // one CPU: nothing can send the SIPI now
      end_run(base::kExitHalted, "CPU waiting for SIPI after INIT", false);
      return true;
    case RunExit::kInsnLimit:
      end_run(base::kExitInsnLimit,
              "instruction limit of " + std::to_string(p_.max_insns) + " reached", false);
      return true;
  }
  return false;
}

tlm::tlm_response_status Cpu::transport(tlm_utils::simple_initiator_socket<Cpu>& socket,
                                        tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                                        unsigned len) {
  // One payload for every access: constructing one allocates its extension
  // array. A device that makes an access while serving one (none does yet)
  // gets a payload of its own.
  if (tx_busy_) {
    tlm::tlm_generic_payload nested;
    return transport_with(nested, socket, cmd, addr, data, len);
  }
  tx_busy_ = true;
  const tlm::tlm_response_status r = transport_with(tx_, socket, cmd, addr, data, len);
  tx_busy_ = false;
  return r;
}

tlm::tlm_response_status Cpu::transport_with(tlm::tlm_generic_payload& tx,
                                             tlm_utils::simple_initiator_socket<Cpu>& socket,
                                             tlm::tlm_command cmd, uint64_t addr, uint8_t* data,
                                             unsigned len) {
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(data);
  tx.set_data_length(len);
  tx.set_streaming_width(len);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // The access happens at the core's local time: cycles since the last sync.
  const sc_core::sc_time offset = cycle_ * double(total_cycles() - synced_cycles_);
  sc_core::sc_time delay = offset;
  socket->b_transport(tx, delay);
  if (delay > offset) {
    const uint64_t stall = uint64_t((delay - offset) / cycle_ + 0.5);
    stall_cycles += stall;
    core_->add_cycles(stall);
  }
  return tx.get_response_status();
}

bool Cpu::unbacked(uint64_t pa, unsigned len) const {
  const uint64_t last = pa + (len ? len - 1 : 0);
  for (const auto& r : unbacked_)
    if (pa >= r.start && last <= r.end && last >= pa) return true;
  return false;
}

void Cpu::learn_unbacked(uint64_t pa) {
  core::DmiRegion r;
  if (memory_map_ && memory_map_->gap(pa, &r.start, &r.end)) unbacked_.push_back(r);
}

bool Cpu::mem_read(uint64_t pa, void* data, unsigned len) {
  ++mmio_reads;
  auto* p = static_cast<uint8_t*>(data);
  if (!unbacked(pa, len)) {
    const tlm::tlm_response_status r = transport(mem_socket, tlm::TLM_READ_COMMAND, pa, p, len);
    if (r == tlm::TLM_OK_RESPONSE) return true;
    if (r == tlm::TLM_ADDRESS_ERROR_RESPONSE) learn_unbacked(pa);
  }
  ++mem_unmapped;
  std::memset(p, 0xff, len);
  return false;
}

bool Cpu::mem_write(uint64_t pa, const void* data, unsigned len) {
  ++mmio_writes;
  if (!unbacked(pa, len)) {
    uint8_t buf[64];
    std::vector<uint8_t> big;
    uint8_t* p = buf;
    if (len > sizeof buf) p = (big.assign(len, 0), big.data());
    std::memcpy(p, data, len);
    const tlm::tlm_response_status r = transport(mem_socket, tlm::TLM_WRITE_COMMAND, pa, p, len);
    if (r == tlm::TLM_OK_RESPONSE) return true;
    if (r == tlm::TLM_ADDRESS_ERROR_RESPONSE) learn_unbacked(pa);
  }
  ++mem_unmapped;
  return false;
}

uint32_t Cpu::io_in(uint16_t port, unsigned len) {
  ++io_reads;
  uint32_t v = 0;
  if (transport(io_socket, tlm::TLM_READ_COMMAND, port, reinterpret_cast<uint8_t*>(&v), len) ==
      tlm::TLM_OK_RESPONSE)
    return v;
  ++io_unmapped;  // nothing drives the ISA data lines: all ones
  return len >= 4 ? ~0u : (1u << (8 * len)) - 1;
}

void Cpu::io_out(uint16_t port, uint32_t value, unsigned len) {
  ++io_writes;
  if (transport(io_socket, tlm::TLM_WRITE_COMMAND, port, reinterpret_cast<uint8_t*>(&value), len) !=
      tlm::TLM_OK_RESPONSE)
    ++io_unmapped;  // dropped
}

bool Cpu::get_dmi(uint64_t pa, core::DmiRegion& out) {
  for (const auto& r : dmi_) {
    if (pa >= r.start && pa <= r.end) return out = r, true;
  }
  for (const auto& r : no_dmi_) {
    if (pa >= r.start && pa <= r.end) return false;
  }
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(pa);
  tlm::tlm_dmi dmi;
  const bool ok = mem_socket->get_direct_mem_ptr(tx, dmi) && dmi.is_read_write_allowed();
  core::DmiRegion r{dmi.get_start_address(), dmi.get_end_address(), nullptr};
  if (!ok || pa < r.start || pa > r.end) {
    if (pa >= r.start && pa <= r.end) no_dmi_.push_back(r);
    return false;
  }
  r.host = dmi.get_dmi_ptr();
  r.read_cycles = static_cast<uint32_t>(dmi.get_read_latency() / cycle_ + 0.5);
  dmi_.push_back(r);
  ++dmi_grants;
  out = r;
  return true;
}

// A target revoked DMI (IEEE 1666-2011 11.2.9): forget every overlapping range.
// The core keeps its own copies; it asks again only through get_dmi.
void Cpu::invalidate_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  auto overlaps = [&](const core::DmiRegion& r) { return r.start <= end && start <= r.end; };
  std::erase_if(dmi_, overlaps);
  std::erase_if(no_dmi_, overlaps);
}

}  // namespace hvsim::platform
