// Engine construction, mode, reset and INIT, segmentation, diagnostics.
#include "sim/core/coherence.h"
#include "sim/core/engine.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <type_traits>
#include <variant>

#include "sim/core/decoder.h"
#include "sim/ext/registry.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

namespace {

DecodeMode decode_mode_for(Mode m) {
  switch (m) {
    case Mode::kReal:
    case Mode::kVm86: return kDecReal16;
    case Mode::kProt16: return kDecProt16;
    case Mode::kProt32: return kDecProt32;
    case Mode::kCompat16: return kDecCompat16;
    case Mode::kCompat32: return kDecCompat32;
    case Mode::kLong64: return kDecLong64;
  }
  return kDecReal16;
}

}  // namespace

void Engine::declare_params(hvsim::base::ParamRegistry& reg) {
  timing::Latencies::declare_params(reg);
  timing::declare_core_model_params(reg);  // timing.model, timing.ooo.*
  CpuidModel::declare_params(reg);
  mmu::MmuParams::declare_params(reg);  // mmu.* and cache.*
  ext::declare_params(reg);             // ext.* (every linked extension)
}

Engine::Engine(Bus& bus, const hvsim::base::Config& cfg)
    : bus_(bus),
      lat_(timing::Latencies::from_config(cfg)),
      mmu_(mmu::MmuParams::from_config(cfg)),
      model_(timing::make_core_model(cfg, mmu_.cache().store_cap()),
             timing::SampleSchedule::from_config(cfg)),
      store_cap_(mmu_.cache().store_cap()) {
  sum_accesses_ = std::visit([](const auto& m) { return !std::decay_t<decltype(m)>::kReadsDeps; },
                             model_.detailed());
  if (const auto* simple = std::get_if<timing::SimpleCore>(&model_.detailed()))
    taken_cost_ = simple->taken_cost();
  cpuid_.configure(cfg);
  rng.seed(cpuid_.rdrand_seed());
  decoder_ = std::make_unique<Decoder>(lat_);
  exts_.create(*this, cfg);
  for (const ext::ActiveSet::Entry& x : exts_.entries()) decoder_->add_extension(x.ext.get());
  cpuid_.set_ext_features(exts_.cpuid_features(), !exts_.empty());
  // The host-pointer TLB may only hold what the L1 TLBs hold, so that a hit
  // in it is an L1 TLB hit: an L1 eviction removes the host entries too.
  mmu_.tlbs().dtlb().set_evict_listener(&Engine::on_tlb_evict, this);
  mmu_.tlbs().itlb().set_evict_listener(&Engine::on_tlb_evict, this);
  update_mode();
}

Engine::~Engine() = default;

void Engine::set_guest(virt::GuestHooks* g) {
  if (g) {
    virt_.hooks = g;
  } else {
    virt_.leave_guest();
    mmu_.walker().set_stage2(nullptr);
  }
  flush_tlb();  // the host-pointer TLB is untagged
  post_event(kEvBreak);
}

// ---------------------------------------------------------------- mode

void Engine::update_mode() {
  Mode m;
  if (!(s.cr0 & CR0_PE))
    m = Mode::kReal;
  else if (s.rflags & VM)
    m = Mode::kVm86;
  else if (s.efer & EFER_LMA)
    m = s.seg[CS].l() ? Mode::kLong64 : (s.seg[CS].db() ? Mode::kCompat32 : Mode::kCompat16);
  else
    m = s.seg[CS].db() ? Mode::kProt32 : Mode::kProt16;
  s.mode = m;
  unchain();
  long64_ = m == Mode::kLong64;
  decode_mode_ = decode_mode_for(m);
  if (long64_)
    stack_size_ = 8;
  else if (m != Mode::kReal && m != Mode::kVm86 && s.seg[SS].db())
    stack_size_ = 4;
  else
    stack_size_ = 2;
  user_ = s.cpl == 3 ? 1 : 0;
  update_alignment_check();
  post_event(kEvBreak);
}

// ---------------------------------------------------------------- reset

void Engine::reset_state() {
  // SDM Vol. 3 9.1.1 Table 9-1: processor state after power-up or reset.
  s = ArchState{};
  s.rip = 0xfff0;
  const CpuidResult id = cpuid_.query(1, 0);
  s.gpr[RDX] = id.eax;  // family, model and stepping
  for (unsigned i = 0; i < kNumSegs; ++i) s.seg[i] = Segment{0, 0, 0xffff, 0x93};
  s.seg[CS] = Segment{0xf000, 0xffff0000, 0xffff, 0x9b};
  s.tr = Segment{0, 0, 0xffff, 0x8b};
  s.ldtr = Segment{0, 0, 0xffff, 0x82};
  s.gdtr = TableReg{0, 0xffff};
  s.idtr = TableReg{0, 0xffff};
  halted_ = false;
  set_cpl(0);
  update_mode();
  flush_all_translations();
}

void Engine::start_at_sipi(uint8_t vector) {
  if (virt_.hooks && wait_sipi_) {  // a VMX guest's wait-for-SIPI: a VM exit
    virt_.sipi = vector;
    post_event(kEvBreak);
    return;
  }
  // From wait-for-SIPI the state is INIT's (SDM Vol. 3 10.4.4.x: the AP
  // starts at vector << 12); otherwise start from the reset state.
  if (!wait_sipi_) reset_state();
  wait_sipi_ = false;
  halted_ = false;
  s.seg[CS] = Segment{static_cast<uint16_t>(vector << 8), static_cast<uint64_t>(vector) << 12,
                      0xffff, 0x9b};
  s.rip = 0;
  update_mode();
}

// SDM Vol. 3 10.1 (9.1 in older editions): "during an INIT, the internal
// caches, MSRs, MTRRs, and x87 FPU state are left unchanged (although, the
// TLBs and BTB are invalidated as with a hardware reset)"; Table 10-1 "INIT"
// column: CR0 = 60000010H with CD and NW unchanged, the rest as after RESET.
// Kept here: every MSR in ArchState except IA32_EFER (paging is off, so
// LME/LMA cannot stand; cleared), CR0.CD/NW, the TSC (cycles + offset). The
// x87/SSE/AVX register state and MXCSR are kept. XCR0 returns to 1 (Table 10-1).
// The core then waits for a STARTUP IPI.
void Engine::perform_init() {
  const ArchState old = s;
  reset_state();
  s.cr0 = (s.cr0 & ~(CR0_CD | CR0_NW)) | (old.cr0 & (CR0_CD | CR0_NW));
  s.star = old.star;
  s.lstar = old.lstar;
  s.cstar = old.cstar;
  s.sfmask = old.sfmask;
  s.kernel_gs_base = old.kernel_gs_base;
  s.sysenter_cs = old.sysenter_cs;
  s.sysenter_esp = old.sysenter_esp;
  s.sysenter_eip = old.sysenter_eip;
  s.apic_base = old.apic_base;
  s.pat = old.pat;
  s.tsc_aux = old.tsc_aux;
  s.tsc_offset = old.tsc_offset;
  s.misc_enable = old.misc_enable;
  s.mtrr_def_type = old.mtrr_def_type;
  s.x87 = old.x87;  // x87, MMX, XMM/YMM and MXCSR are left unchanged by INIT
  s.vec = old.vec;
  s.xss = old.xss;  // an MSR
  std::copy(std::begin(old.mtrr_fixed), std::end(old.mtrr_fixed), std::begin(s.mtrr_fixed));
  std::copy(std::begin(old.mtrr_var), std::end(old.mtrr_var), std::begin(s.mtrr_var));
  Coherence::disarm_monitor(*this);  // the monitor is disarmed
  monitor = AddressMonitor{};
  wait_sipi_ = true;
  post_event(kEvBreak);
}

// ---------------------------------------------------------------- segmentation

uint64_t Engine::linear_legacy(unsigned seg, uint64_t off, unsigned size, bool write) {
  const Segment& sg = s.seg[seg];
  uint8_t vec = seg == SS ? kSS : kGP;
  if (s.mode != Mode::kReal && s.mode != Mode::kVm86) {
    // SDM Vol. 3 5.4-5.5: unusable (null) segments, type checks.
    if (!sg.present()) raise(vec, 0);
    if (sg.type() & 8) {  // code: never writable, readable only with R
      if (write || !(sg.type() & 2)) raise(vec, 0);
    } else if (write && !(sg.type() & 2)) {
      raise(vec, 0);
    }
  }
  uint64_t last = off + size - 1;
  if (!(sg.type() & 8) && (sg.type() & 4) && s.mode != Mode::kReal) {
    // Expand-down data segment: valid offsets are (limit, 0xffff or 0xffffffff].
    uint64_t upper = sg.db() ? 0xffffffffull : 0xffffull;
    if (off <= sg.limit || last > upper) raise(vec, 0);
  } else if (last > sg.limit) {
    raise(vec, 0);
  }
  return static_cast<uint32_t>(sg.base + off);
}

// ---------------------------------------------------------------- diagnostics

std::string Engine::dump_registers() const {
  static const char* kNames[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                   "R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15"};
  static const char* kSegs[kNumSegs] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  static const char* kModes[] = {"real", "vm86", "prot16", "prot32", "compat16", "compat32",
                                 "long64"};
  std::string out;
  char line[160];
  for (unsigned i = 0; i < 16; i += 4) {
    std::snprintf(line, sizeof line, "%-3s=%016" PRIx64 " %-3s=%016" PRIx64 " %-3s=%016" PRIx64
                  " %-3s=%016" PRIx64 "\n",
                  kNames[i], s.gpr[i], kNames[i + 1], s.gpr[i + 1], kNames[i + 2], s.gpr[i + 2],
                  kNames[i + 3], s.gpr[i + 3]);
    out += line;
  }
  std::snprintf(line, sizeof line, "RIP=%016" PRIx64 " RFL=%08" PRIx64 " CPL=%u mode=%s\n", s.rip,
                s.rflags, s.cpl, kModes[static_cast<unsigned>(s.mode)]);
  out += line;
  for (unsigned i = 0; i < kNumSegs; ++i) {
    const Segment& g = s.seg[i];
    std::snprintf(line, sizeof line, "%s =%04x %016" PRIx64 " %08x %05x\n", kSegs[i], g.selector,
                  g.base, g.limit, g.attr);
    out += line;
  }
  std::snprintf(line, sizeof line, "TR =%04x %016" PRIx64 " %08x %05x  LDT=%04x\n", s.tr.selector,
                s.tr.base, s.tr.limit, s.tr.attr, s.ldtr.selector);
  out += line;
  std::snprintf(line, sizeof line, "GDT=%016" PRIx64 " %04x  IDT=%016" PRIx64 " %04x\n",
                s.gdtr.base, s.gdtr.limit, s.idtr.base, s.idtr.limit);
  out += line;
  std::snprintf(line, sizeof line,
                "CR0=%08" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08" PRIx64
                " EFER=%08" PRIx64 "\n",
                s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
  out += line;
  std::snprintf(line, sizeof line, "cycles=%" PRIu64 " instructions=%" PRIu64 "\n", cycles(),
                icount_);
  out += line;
  return out;
}

}  // namespace hvsim::core
