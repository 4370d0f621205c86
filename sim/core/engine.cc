#include "sim/core/engine.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "sim/core/decoder.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {

namespace {

constexpr uint64_t kPageMask = ~0xfffull;

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

bool canonical(uint64_t la, unsigned bits) {
  int64_t s = static_cast<int64_t>(la << (64 - bits)) >> (64 - bits);
  return static_cast<uint64_t>(s) == la;
}

}  // namespace

void Engine::declare_params(hvsim::base::ParamRegistry& reg) {
  timing::Latencies::declare_params(reg);
  CpuidModel::declare_params(reg);
  mmu::MmuParams::declare_params(reg);
  reg.add_bool("cache.stores_block",
               false,
               "a store waits for its cache miss; false: stores retire into a store buffer and "
               "cost at most an L1 hit (the line is still allocated)");
}

Engine::Engine(Bus& bus, const hvsim::base::Config& cfg)
    : bus_(bus), lat_(timing::Latencies::from_config(cfg)), mmu_(mmu::MmuParams::from_config(cfg)) {
  cpuid_.configure(cfg);
  rdrand_rng.reseed(cpuid_.rdrand_seed());
  rdseed_rng.reseed(~cpuid_.rdrand_seed());
  decoder_ = std::make_unique<Decoder>(lat_);
  line_mask_ = cfg.get_uint("cache.line_bytes") - 1;
  if (!cfg.get_bool("cache.stores_block"))
    store_cap_ = static_cast<uint32_t>(cfg.get_uint("cache.l1d.hit_cycles"));
  tlb_hits_ = &mmu_.tlbs().hits[0][0];
  // The host-pointer TLB may only hold what the L1 TLBs hold, so that a hit
  // in it is an L1 TLB hit: an L1 eviction removes the host entries too.
  mmu_.tlbs().dtlb().set_evict_listener(&Engine::on_tlb_evict, this);
  mmu_.tlbs().itlb().set_evict_listener(&Engine::on_tlb_evict, this);
  update_mode();
}

void Engine::on_tlb_evict(void* ctx, uint64_t la_page, uint64_t size) {
  Engine* e = static_cast<Engine*>(ctx);
  if (size == 4096)
    e->flush_tlb_page(la_page);
  else
    e->flush_tlb();
}

Engine::~Engine() = default;

void Engine::set_virt_unit(std::unique_ptr<virt::VirtUnit> u) { virt_unit_ = std::move(u); }

void Engine::set_guest(virt::GuestHooks* g) {
  guest_ = g;
  if (!g) {
    guest_poll_ = guest_step_ = false;
    tlb_tag_ = 0;
    tlb_ctx_ = 0;
    set_stage2(nullptr);
  }
  flush_tlb();  // the host-pointer TLB is untagged
  events_ |= kEvBreak;
}

void Engine::extend_isa(void (*reg)(isa::BinderTable&)) {
  decoder_->extend(reg);
  for (auto& kv : blocks_) graveyard_.push_back(std::move(kv.second));
  blocks_.clear();
  code_pages_.clear();
  for (Block*& slot : jump_cache_) slot = nullptr;
}

void Engine::take_guest_exit(const virt::GuestExit& x) {
  if (!x.trap) s.rip = insn_rip_;
  halted_ = false;
  if (guest_) guest_->perform_exit(x);
  events_ |= kEvBreak;
}

void Engine::fault_at_boundary(const Fault& f) {
  try {
    deliver_fault(f);
  } catch (const virt::GuestExit& x) {
    take_guest_exit(x);
  }
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
  long64_ = m == Mode::kLong64;
  decode_mode_ = decode_mode_for(m);
  if (long64_)
    stack_size_ = 8;
  else if (m != Mode::kReal && m != Mode::kVm86 && s.seg[SS].db())
    stack_size_ = 4;
  else
    stack_size_ = 2;
  user_ = s.cpl == 3 ? 1 : 0;
  events_ |= kEvBreak;
}

void Engine::flush_tlb() {
  for (auto* t : {rtlb_, wtlb_, xtlb_})
    for (unsigned i = 0; i <= kTlbMask; ++i) t[i] = HostTlbEntry{};
  host_has_large_ = false;
}

void Engine::flush_tlb_page(uint64_t la) {
  unsigned i = (la >> 12) & kTlbMask;
  for (auto* t : {rtlb_, wtlb_, xtlb_})
    if ((t[i].tag & kPageMask) == (la & kPageMask)) t[i] = HostTlbEntry{};
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
  monitor = AddressMonitor{};
  wait_sipi_ = true;
  events_ |= kEvBreak;
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

// ---------------------------------------------------------------- translation

uint8_t* Engine::host_ptr(uint64_t pa) {
  for (const DmiRegion& r : dmi_)
    if (pa >= r.start && pa <= r.end) return r.host + (pa - r.start);
  DmiRegion r;
  if (bus_.get_dmi(pa, r) && r.host && pa >= r.start && pa <= r.end) {
    dmi_.push_back(r);
    return r.host + (pa - r.start);
  }
  return nullptr;
}

uint64_t Engine::translate(uint64_t la, mmu::Access acc, bool user) {
  if (!(s.cr0 & CR0_PG)) {
    if (HVSIM_LIKELY(!stage2_)) return la;
    // A guest without paging (unrestricted guest): only stage 2 translates.
    uint64_t hpa = la;
    if (!stage2_->translate(la, acc, false, &hpa)) guest_->stage2_fault(la, true);
    last_fill_ok_ = true;
    return hpa;
  }
  const mmu::PagingRegs regs = paging_regs();
  mmu::AccessCtx ctx{acc, user, (s.rflags & AC) != 0};
  mmu::Translation t;
  uint32_t err = 0;
  mmu::WalkStatus st = mmu_.translate(la, ctx, regs, *this, &t, &err);
  cycles_ += mmu_.last_cycles();
  if (HVSIM_UNLIKELY(st == mmu::WalkStatus::kStage2Fault)) {
    flush_tlb_page(la);
    guest_->stage2_fault(la, true);
  }
  if (st != mmu::WalkStatus::kOk) {
    flush_tlb_page(la);  // the MMU dropped this page's entries (SDM Vol. 3 4.10.4.1)
    raise_pf(la, err);
  }
  if (t.page_size > 4096) host_has_large_ = true;
  // SMAP depends on RFLAGS.AC, which the host TLB does not tag: never cache
  // a supervisor access to a user page while SMAP is on.
  last_fill_ok_ = !(t.user && !user && (s.cr4 & CR4_SMAP));
  return t.pa;
}

void Engine::fill_tlb(HostTlbEntry* tlb, uint64_t la, uint64_t pa, bool user) {
  uint8_t* h = host_ptr(pa & kPageMask);
  if (!h || !last_fill_ok_) return;
  HostTlbEntry& e = tlb[(la >> 12) & kTlbMask];
  e.tag = (la & kPageMask) | (user ? 1 : 0);
  e.host = h;
  e.pa = pa & kPageMask;
  ++stat_tlb_fills;
}

uint64_t Engine::fetch_translate(uint64_t la) {
  const HostTlbEntry& e = xtlb_[(la >> 12) & kTlbMask];
  if (e.tag == ((la & kPageMask) | user_)) {
    ++tlb_hits_[kHitFetch];  // counted once per block, not per instruction
    return e.pa | (la & 0xfff);
  }
  last_fill_ok_ = true;
  uint64_t pa = translate(la, mmu::Access::kExec, user_);
  fill_tlb(xtlb_, la, pa, user_);
  return pa;
}

void Engine::access_slow(uint64_t la, void* buf, unsigned n, mmu::Access acc, bool user) {
  if (s.efer & EFER_LMA) {
    if (!canonical(la, cpuid_.linear_bits()) ||
        !canonical(la + n - 1, cpuid_.linear_bits()))
      raise(kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  const bool is_write = acc == mmu::Access::kWrite;
  HostTlbEntry* tlb = is_write ? wtlb_ : rtlb_;
  unsigned off = la & 0xfff;
  unsigned n1 = off + n <= 4096 ? n : 4096 - off;
  // Translate every page the access touches before touching any: a fault
  // leaves memory unchanged (SDM Vol. 3 6.5: faults are restartable).
  last_fill_ok_ = true;
  uint64_t pa1 = translate(la, acc, user);
  bool fill1 = last_fill_ok_;
  uint64_t pa2 = 0, la2 = 0;
  bool fill2 = false;
  if (n1 < n) {
    la2 = la + n1;
    if (!(s.efer & EFER_LMA)) la2 = static_cast<uint32_t>(la2);
    last_fill_ok_ = true;
    pa2 = translate(la2, acc, user);
    fill2 = last_fill_ok_;
  }
  auto one = [&](uint64_t lpage, uint64_t pa, uint8_t* p, unsigned len, bool fill) {
    uint8_t* h = host_ptr(pa);
    if (h && (pa & kPageMask) == ((pa + len - 1) & kPageMask)) {
      if (is_write) {
        if (code_pages_.count(pa >> 12)) invalidate_code_page(pa >> 12);
        std::memcpy(h, p, len);
      } else {
        std::memcpy(p, h, len);
      }
      charge_data(pa, len, is_write);
      last_fill_ok_ = fill;
      fill_tlb(tlb, lpage, pa, user);
    } else if (is_write) {
      bus_.mem_write(pa, p, len);
    } else {
      bus_.mem_read(pa, p, len);
    }
  };
  uint8_t* b = static_cast<uint8_t*>(buf);
  one(la, pa1, b, n1, fill1);
  if (n1 < n) one(la2, pa2, b + n1, n - n1, fill2);
}

void Engine::probe_write(uint64_t la, unsigned size) {
  const HostTlbEntry& e = wtlb_[(la >> 12) & kTlbMask];
  if (e.tag == ((la & kPageMask) | user_) && (la & 0xfff) <= 4096 - size) return;
  if (s.efer & EFER_LMA) {
    if (!canonical(la, cpuid_.linear_bits())) raise(kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  translate(la, mmu::Access::kWrite, user_);
  if ((la & 0xfff) + size > 4096) translate(la + size - 1, mmu::Access::kWrite, user_);
}

uint64_t Engine::probe_read(uint64_t la) {
  if (s.efer & EFER_LMA) {
    if (!canonical(la, cpuid_.linear_bits())) raise(kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  return translate(la, mmu::Access::kRead, user_);
}

// ---------------------------------------------------------------- physical memory

void Engine::phys_read(uint64_t pa, void* buf, unsigned n) {
  uint8_t* h = host_ptr(pa);
  if (h && host_ptr(pa + n - 1) == h + n - 1)
    std::memcpy(buf, h, n);
  else
    bus_.mem_read(pa, buf, n);
}

void Engine::phys_write(uint64_t pa, const void* buf, unsigned n) {
  uint8_t* h = host_ptr(pa);
  if (code_pages_.count(pa >> 12)) invalidate_code_page(pa >> 12);
  if (h && host_ptr(pa + n - 1) == h + n - 1)
    std::memcpy(h, buf, n);
  else
    bus_.mem_write(pa, buf, n);
}

uint64_t Engine::read_phys(uint64_t pa, unsigned size) {
  uint64_t v = 0;
  phys_read(pa, &v, size);
  return v;
}

void Engine::write_phys(uint64_t pa, uint64_t value, unsigned size) { phys_write(pa, &value, size); }

// ---------------------------------------------------------------- code cache

void Engine::mark_code_page(uint64_t page, uint64_t key) {
  auto& keys = code_pages_[page];
  if (keys.empty()) {
    // Writes to this page must now take the slow path, which invalidates.
    for (unsigned i = 0; i <= kTlbMask; ++i)
      if (wtlb_[i].host && wtlb_[i].pa == (page << 12)) wtlb_[i] = HostTlbEntry{};
  }
  keys.push_back(key);
}

void Engine::invalidate_code_page(uint64_t page) {
  auto it = code_pages_.find(page);
  if (it == code_pages_.end()) return;
  for (uint64_t key : it->second) {
    auto b = blocks_.find(key);
    if (b == blocks_.end()) continue;
    Block*& slot = jump_cache_[jump_hash(key)];
    if (slot == b->second.get()) slot = nullptr;
    graveyard_.push_back(std::move(b->second));  // may be executing right now
    blocks_.erase(b);
  }
  code_pages_.erase(it);
  ++stat_smc_invalidations;
  events_ |= kEvBreak;
}

Block* Engine::decode_block(uint64_t la, uint64_t pa, uint64_t key) {
  auto blk = std::make_unique<Block>();
  blk->key = key;
  const DecodeMode mode = static_cast<DecodeMode>(decode_mode_);
  uint8_t* page = host_ptr(pa & kPageMask);
  uint64_t cur = pa;
  bool cacheable = page != nullptr;
  uint8_t buf[32];
  while (blk->insns.size() < kMaxBlockInsns) {
    unsigned off = cur & 0xfff;
    unsigned avail = 4096 - off < 15 ? 4096 - off : 15;
    const uint8_t* bytes;
    if (page) {
      bytes = page + off;
    } else {
      bus_.mem_read(cur, buf, avail);
      bytes = buf;
    }
    DecodedInsn d;
    if (decoder_->decode(bytes, avail, mode, d) == DecodeStatus::kNeedMoreBytes) {
      if (!blk->insns.empty()) break;  // end the block before the page-crossing instruction
      // A lone instruction that crosses into the next page: fetch the rest
      // (which may #PF) and run it uncached.
      std::memcpy(buf, bytes, avail);
      uint64_t la_next = la + avail;
      if (!long64_) la_next = static_cast<uint32_t>(la_next);
      uint64_t pa_next = fetch_translate(la_next);
      phys_read(pa_next, buf + avail, 15 - avail);
      decoder_->decode(buf, 15, mode, d);
      blk->insns.push_back(d);
      cacheable = false;
      break;
    }
    blk->insns.push_back(d);
    cur += d.len;
    la += d.len;
    if ((d.flags & kEndsBlock) || (cur & 0xfff) == 0 || (cur & kPageMask) != (pa & kPageMask))
      break;
  }
  ++stat_blocks_decoded;
  if (!cacheable) {
    scratch_ = std::move(blk);
    return scratch_.get();
  }
  Block* b = blk.get();
  blocks_.emplace(key, std::move(blk));
  mark_code_page(pa >> 12, key);
  return b;
}

Block* Engine::lookup_block() {
  uint64_t la;
  if (long64_) {
    la = s.rip;
    if (!canonical(la, cpuid_.linear_bits())) raise(kGP, 0);
  } else {
    // SDM Vol. 3 5.3: the fetch must lie within CS's limit.
    if (s.mode != Mode::kReal && s.rip > s.seg[CS].limit) raise(kGP, 0);
    la = static_cast<uint32_t>(s.seg[CS].base + s.rip);
  }
  uint64_t pa = fetch_translate(la);
  uint64_t key = (pa << 3) | decode_mode_;
  Block*& slot = jump_cache_[jump_hash(key)];
  if (HVSIM_LIKELY(slot && slot->key == key)) return slot;
  auto it = blocks_.find(key);
  if (it != blocks_.end()) {
    slot = it->second.get();
    return slot;
  }
  Block* b = decode_block(la, pa, key);
  if (b != scratch_.get()) slot = b;
  return b;
}

// ---------------------------------------------------------------- run loop

void Engine::exec_block(const Block& b, size_t max_insns) {
  const DecodedInsn* i = b.insns.data();
  size_t n = b.insns.size() < max_insns ? b.insns.size() : max_insns;
  if (insn_limit_ && insn_limit_ - icount_ < n) n = insn_limit_ - icount_;
  const DecodedInsn* end = i + n;
  for (; i != end; ++i) {
    insn_rip_ = s.rip;
    s.rip += i->len;
    i->exec(*this, *i);
    cycles_ += i->cycles;
    ++icount_;
    // The budget ends exactly where a timer is due (the platform sets it).
    if (HVSIM_UNLIKELY(events_ != 0 || cycles_ >= cycle_limit_)) break;
  }
}

// INIT at an instruction boundary: above NMI and INTR (SDM Vol. 3 6.9
// Table 6-2 "Priority Among Simultaneous Exceptions and Interrupts",
// 7.9 Table 7-2 in newer editions: INIT is with the "hardware
// interventions", priority 3; NMI 5; maskable interrupts 6). GIF = 0 holds
// it (APM Vol. 2 15.17); in guest mode the hooks decide (VMX: always a VM
// exit; SVM: the INIT intercept); VMX root operation blocks it (SDM Vol. 3
// 25.2). A halted core wakes for it. Returns true when INIT was performed.
bool Engine::try_init() {
  if (!intc_->init_pending() || !s.gif) return false;
  if (guest_) {
    guest_->init_signal();  // may throw GuestExit
    return false;           // not taken inside guest mode: stays pending
  }
  if (virt_unit_ && virt_unit_->blocks_init()) return false;
  intc_->take_init();
  perform_init();
  return true;
}

// Accepts a pending NMI or maskable interrupt at this instruction boundary
// (SDM Vol. 3 6.8.1, 6.9: NMI before INTR; INTR needs IF = 1 and no
// STI/MOV SS shadow). Returns true when one was delivered.
bool Engine::try_interrupt() {
  if (!intc_ || wait_sipi_) return false;
  if (try_init()) return true;
  if (s.interrupt_shadow || !s.gif) return false;  // GIF = 0: held (APM 15.17)
  if (intc_->nmi_pending() && !s.nmi_blocked) {
    if (guest_ && !guest_->nmi()) return false;  // may exit instead (NMI exiting)
    intc_->take_nmi();
    s.nmi_blocked = 1;  // until the next IRET (SDM Vol. 3 6.7.1)
    halted_ = false;
    ++stat_nmis;
    deliver_event(kNMI, false, 0, false, virt::EventType::kNmi);
    return true;
  }
  if (guest_ && intc_->pending_vector() >= 0 && !guest_->external_interrupt()) return false;
  if (!(s.rflags & IF)) return false;  // stays pending: IF-setting instructions look again
  if (intc_->pending_vector() < 0) {
    if (!intc_->init_pending()) intr_check_ = false;  // a blocked INIT: look again
    return false;
  }
  const int v = intc_->acknowledge();
  halted_ = false;
  ++stat_interrupts;
  deliver_event(static_cast<uint8_t>(v), false, 0, false, virt::EventType::kExternal);
  return true;
}

bool Engine::handle_events(RunExit* out) {
  if (events_ & kEvShutdown) {
    events_ &= ~kEvShutdown;
    *out = RunExit::kTripleFault;
    return true;
  }
  if (events_ & kEvStop) {
    events_ &= ~kEvStop;
    *out = RunExit::kStopRequested;
    return true;
  }
  if (events_ & kEvHalt) {
    events_ &= ~kEvHalt;
    // HLT with IF = 0 is the conventional "stop here" of a kernel: only an
    // NMI could wake it, so unless one is already pending the run is over.
    if (!(s.rflags & IF) && !guest_ && !(intc_ && intc_->nmi_pending() && !s.nmi_blocked) &&
        !(intc_ && intc_->init_pending())) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "HLT with interrupts disabled at RIP=%#" PRIx64, insn_rip_);
      last_error_ = msg;
      *out = RunExit::kHaltedForever;
      return true;
    }
    halted_ = true;
  }
  events_ = 0;
  if (guest_poll_) guest_->boundary();
  if (intr_check_) try_interrupt();
  if (wait_sipi_) {
    last_error_ = "CPU waiting for SIPI after INIT";
    *out = RunExit::kWaitForSipi;
    return true;
  }
  if (halted_) {
    *out = RunExit::kHalted;
    return true;
  }
  return false;
}

RunExit Engine::run(uint64_t cycle_limit) {
  RunExit exit;
  cycle_limit_ = cycle_limit;
  if (halted_ || wait_sipi_) events_ |= kEvBreak;  // a wake-up: look for the interrupt first
  for (;;) {
    // A maskable interrupt held back by IF = 0 is looked at again as soon as
    // any instruction sets IF (STI, POPF, IRET, SYSRET, ...).
    if (HVSIM_UNLIKELY(events_ != 0 || guest_poll_ || (intr_check_ && (s.rflags & IF)))) {
      try {
        if (handle_events(&exit)) return exit;
      } catch (const Fault& f) {  // cannot happen: delivery handles its own faults
        fault_at_boundary(f);
      } catch (const virt::GuestExit& x) {  // an event made the guest exit
        virt::GuestExit at_boundary = x;
        at_boundary.trap = true;  // no instruction to roll back: RIP is the boundary's
        take_guest_exit(at_boundary);
        continue;
      }
    }
    if (cycles_ >= cycle_limit) return RunExit::kBudget;
    if (insn_limit_ && icount_ >= insn_limit_) return RunExit::kInsnLimit;
    try {
      insn_rip_ = s.rip;
      if (HVSIM_UNLIKELY(s.interrupt_shadow || guest_step_)) {
        // The instruction after STI / MOV SS runs alone; the shadow ends with it.
        const bool shadow = s.interrupt_shadow;
        exec_block(*lookup_block(), 1);
        if (shadow) s.interrupt_shadow = 0;
      } else {
        exec_block(*lookup_block(), kMaxBlockInsns);
      }
    } catch (const Fault& f) {
      s.rip = insn_rip_;
      fault_at_boundary(f);
    } catch (const virt::GuestExit& x) {
      take_guest_exit(x);
    }
    graveyard_.clear();
  }
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
  std::snprintf(line, sizeof line, "cycles=%" PRIu64 " instructions=%" PRIu64 "\n", cycles_,
                icount_);
  out += line;
  return out;
}

}  // namespace hvsim::core
