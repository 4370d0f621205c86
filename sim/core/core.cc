#include "sim/core/core.h"

#include "sim/core/engine.h"

namespace hvsim::core {

Core::Core(Bus& bus, const hvsim::base::Config& cfg) : engine_(std::make_unique<Engine>(bus, cfg)) {}
Core::~Core() = default;

void Core::declare_params(hvsim::base::ParamRegistry& reg) { Engine::declare_params(reg); }

void Core::register_stats(hvsim::base::StatRegistry& st) {
  Engine& e = *engine_;
  st.add_counter("cpu.instructions", &e.icount_ref(), "instructions", "instructions retired");
  st.add_counter("cpu.cycles", &e.cycles_ref(), "cycles", "simulated core cycles");
  st.add_counter("cpu.exceptions", &e.stat_exceptions, "count",
                 "exceptions and interrupts delivered through the IDT");
  st.add_counter("cpu.blocks_decoded", &e.stat_blocks_decoded, "count",
                 "basic blocks decoded (decoded-block cache misses)");
  st.add_counter("cpu.smc_invalidations", &e.stat_smc_invalidations, "count",
                 "code pages invalidated because they were written");
  st.add_counter("cpu.host_tlb_fills", &e.stat_tlb_fills, "count",
                 "fills of the simulator's host-pointer TLB (not an architectural TLB)");
  st.add_counter("cpu.interrupts", &e.stat_interrupts, "count",
                 "maskable external interrupts accepted");
  st.add_counter("cpu.nmis", &e.stat_nmis, "count", "NMIs accepted");
  e.mmu().register_stats(st);
  // The core model's: timing.{cycles,instructions,ipc}; under ooo the CPI
  // stack, branch MPKI, occupancy histograms and MLP (docs/timing.md).
  std::visit([&](auto& m) { m.register_stats(st, "timing"); }, e.core_model());
  e.phases().register_stats(st, [&e] { return e.instructions(); },
                            [&e] { return e.limit_count(); });  // phase.*, sample.*
  e.extensions().register_stats(st);
}

void Core::register_core_stats(hvsim::base::StatRegistry& st, const std::string& p) {
  Engine& e = *engine_;
  st.add_counter(p + "instructions", &e.icount_ref(), "instructions", "instructions retired");
  st.add_counter(p + "cycles", &e.cycles_ref(), "cycles", "simulated core cycles");
  st.add_counter(p + "interrupts", &e.stat_interrupts, "count",
                 "maskable external interrupts accepted");
  st.add_counter(p + "nmis", &e.stat_nmis, "count", "NMIs accepted");
  st.add_counter(p + "invlpgs", &e.mmu().invlpgs, "count",
                 "INVLPGs executed (the receiving side of TLB shootdowns)");
  st.add_counter(p + "smc_invalidations", &e.stat_smc_invalidations, "count",
                 "code pages invalidated because a core wrote them (self- or cross-modifying)");
}

ArchState& Core::state() { return engine_->s; }
const ArchState& Core::state() const { return engine_->s; }

void Core::enter_multiboot(uint32_t entry, uint32_t mbi_addr) {
  // Multiboot 0.6.96 section 3.2 "Machine state": flat 32-bit protected
  // mode, paging off, EFLAGS.VM = IF = 0, EAX = magic, EBX = information.
  ArchState& s = engine_->s;
  s = ArchState{};
  s.gpr[RAX] = 0x2BADB002;
  s.gpr[RBX] = mbi_addr;
  s.rip = entry;
  s.rflags = 0x2;
  s.cr0 = CR0_PE | CR0_ET;
  Segment code{0x10, 0, 0xffffffff, 0xc09b};  // execute/read, accessed, D=1, G=1
  Segment data{0x18, 0, 0xffffffff, 0xc093};  // read/write, accessed, B=1, G=1
  for (unsigned i = 0; i < kNumSegs; ++i) s.seg[i] = data;
  s.seg[CS] = code;
  s.tr = Segment{0, 0, 0xffff, 0x8b};
  s.ldtr = Segment{0, 0, 0xffff, 0x82};
  s.gdtr = TableReg{0, 0xffff};
  s.idtr = TableReg{0, 0xffff};
  engine_->set_cpl(0);
  engine_->update_mode();
  engine_->flush_all_translations();
}

void Core::reset() { engine_->reset_state(); }
void Core::start_at_sipi(uint8_t vector) { engine_->start_at_sipi(vector); }
bool Core::waiting_for_sipi() const { return engine_->waiting_for_sipi(); }
void Core::power_up_as_ap(uint32_t apic_id) {
  engine_->cpuid_model().set_apic_id(apic_id);
  engine_->reset_state();
  engine_->perform_init();
}
void Core::park() { engine_->set_halted(true); }

RunExit Core::run(uint64_t cycle_limit) { return engine_->run(cycle_limit); }
uint64_t Core::cycles() const { return engine_->cycles(); }
uint64_t Core::instructions() const { return engine_->instructions(); }
void Core::add_cycles(uint64_t c) { engine_->add_cycles(c); }
void Core::attach_interrupt_controller(InterruptSource* src, ApicRegisters* regs) {
  engine_->attach_interrupt_controller(src, regs);
}
void Core::notify_interrupt() { engine_->notify_interrupt(); }
void Core::set_exit_tracker(virt::ExitTracker* t) { engine_->set_exit_tracker(t); }
bool Core::halted() const { return engine_->halted(); }
uint64_t Core::guest_wake_deadline() const { return engine_->guest_wake_deadline(); }
void Core::set_insn_limit(uint64_t n) { engine_->set_insn_limit(n); }
void Core::request_stop() { engine_->request_stop(); }
std::string Core::dump_registers() const { return engine_->dump_registers(); }
std::string Core::last_error() const { return engine_->last_error(); }
std::string Core::timing_summary() const {
  return engine_->phases().summary(engine_->instructions(), engine_->limit_count());
}
void Core::set_magic_ops(MagicOps* ops) { engine_->set_magic_ops(ops); }

}  // namespace hvsim::core
