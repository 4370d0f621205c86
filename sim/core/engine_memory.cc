// The engine's memory: translation through the MMU, the host-pointer TLB's
// fills, the slow path of every access the TLB does not serve (page-crossing,
// MMIO, unbacked, first touch), probes, and physical accesses.
#include <cstring>

#include "sim/core/coherence.h"
#include "sim/core/engine.h"

namespace hvsim::core {

namespace {

constexpr uint64_t kPageMask = ~0xfffull;

// GuestHooks::apic_access's kind: 0 read, 1 write, 2 fetch.
unsigned apic_access_kind(mmu::Access acc) {
  return acc == mmu::Access::kWrite ? 1 : acc == mmu::Access::kExec ? 2 : 0;
}

}  // namespace

void Engine::on_tlb_evict(void* ctx, uint64_t la_page, uint64_t size) {
  Engine* e = static_cast<Engine*>(ctx);
  if (size == 4096)
    e->flush_tlb_page(la_page);
  else
    e->flush_tlb();
}

uint8_t* Engine::host_ptr(uint64_t pa) {
  for (const DmiRegion& r : dmi_)
    if (pa >= r.start && pa <= r.end) return r.host + (pa - r.start);
  DmiRegion r;
  if (bus_.get_dmi(pa, r) && r.host && pa >= r.start && pa <= r.end) {
    dmi_.push_back(r);
    // The RAM's read latency (memory.read_latency_cycles, in its DMI grant)
    // is what a DRAM access costs beyond cache.memory_cycles.
    if (r.read_cycles) mmu_.cache().set_dram_extra(r.read_cycles);
    return r.host + (pa - r.start);
  }
  return nullptr;
}

uint64_t Engine::translate(uint64_t la, mmu::Access acc, bool user) {
  last_walk_ = 0;
  if (!(s.cr0 & CR0_PG)) {
    if (HVSIM_LIKELY(!virt_.stage2)) return la;
    // A guest without paging (unrestricted guest): only stage 2 translates.
    uint64_t hpa = la;
    if (!virt_.stage2->translate(la, acc, false, &hpa)) virt_.hooks->stage2_fault(la, true);
    last_fill_ok_ = true;
    if (HVSIM_UNLIKELY((hpa & kPageMask) == virt_.apic_access_page)) {
      last_fill_ok_ = false;  // never cached: the hooks decide each access
      return virt_.hooks->apic_access(hpa, apic_access_kind(acc));
    }
    return hpa;
  }
  const mmu::PagingRegs regs = paging_regs();
  mmu::AccessCtx ctx{acc, user, (s.rflags & AC) != 0};
  mmu::Translation t;
  uint32_t err = 0;
  mmu::WalkStatus st = mmu_.translate(la, ctx, regs, *this, &t, &err);
  // The walk's cost is the caller's to place: a load's latency, a store's or
  // probe's flat cost, the next fetch's stall. A faulting walk is a flat cost.
  last_walk_ = static_cast<uint32_t>(mmu_.last_cycles());
  if (HVSIM_UNLIKELY(st != mmu::WalkStatus::kOk)) add_cycles(take_walk());
  if (HVSIM_UNLIKELY(st == mmu::WalkStatus::kStage2Fault)) {
    flush_tlb_page(la);
    virt_.hooks->stage2_fault(la, true);
  }
  if (st != mmu::WalkStatus::kOk) {
    flush_tlb_page(la);  // the MMU dropped this page's entries (SDM Vol. 3 4.10.4.1)
    raise_pf(la, err);
  }
  if (t.page_size > 4096) htlb_.note_large_page();
  // SMAP depends on RFLAGS.AC, which the host TLB does not tag: never cache
  // a supervisor access to a user page while SMAP is on.
  last_fill_ok_ = !(t.user && !user && (s.cr4 & CR4_SMAP));
  if (HVSIM_UNLIKELY((t.pa & kPageMask) == virt_.apic_access_page)) {
    last_fill_ok_ = false;  // never cached: the hooks decide each access
    return virt_.hooks->apic_access(t.pa, apic_access_kind(acc));
  }
  return t.pa;
}

void Engine::fill_tlb(HostTlb::Kind kind, uint64_t la, uint64_t pa, bool user) {
  uint8_t* h = host_ptr(pa & kPageMask);
  if (!h || !last_fill_ok_) return;
  // A page under another core's armed monitor keeps its stores on the slow
  // path, which triggers the monitor (coherence.h).
  if (coherence_ && kind == HostTlb::kWrite && !coherence_->write_shortcut_ok(pa >> 12)) return;
  // A page holding an armed data breakpoint is only reached by the slow
  // path, which matches the breakpoints (engine_debug.cc).
  if (HVSIM_UNLIKELY(dbg_.data_mask) && kind != HostTlb::kExec && debug_watched_page(la)) return;
  htlb_.fill(kind, la, pa & kPageMask, h, user);
  ++stat_tlb_fills;
}

uint64_t Engine::fetch_translate(uint64_t la) {
  const HostTlbEntry& e = htlb_.entry(HostTlb::kExec, la);
  if (HostTlb::hit(e, la, user_, 1)) {
    mmu_.tlbs().count_l1_hit(mmu::Access::kExec);  // once per block, not per instruction
    return e.pa | (la & 0xfff);
  }
  last_fill_ok_ = true;
  uint64_t pa = translate(la, mmu::Access::kExec, user_);
  fetch_walk_ += take_walk();  // the ITLB miss stalls the next fetch
  fill_tlb(HostTlb::kExec, la, pa, user_);
  return pa;
}

void Engine::access_slow(uint64_t la, void* buf, unsigned n, mmu::Access acc, bool user) {
  if (s.efer & EFER_LMA) {
    // A non-canonical reference through SS is #SS(0), any other #GP(0)
    // (SDM Vol. 3 6.15, interrupts 12 and 13).
    if (!canonical(la) || !canonical(la + n - 1))
      raise(access_seg_ == SS && long64_ ? kSS : kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  const bool is_write = acc == mmu::Access::kWrite;
  const HostTlb::Kind kind = is_write ? HostTlb::kWrite : HostTlb::kRead;
  unsigned off = la & 0xfff;
  unsigned n1 = off + n <= 4096 ? n : 4096 - off;
  // Translate every page the access touches before touching any: a fault
  // leaves memory unchanged (SDM Vol. 3 6.5: faults are restartable).
  last_fill_ok_ = true;
  uint64_t pa1 = translate(la, acc, user);
  const uint32_t walk1 = take_walk();
  bool fill1 = last_fill_ok_;
  uint64_t pa2 = 0, la2 = 0;
  uint32_t walk2 = 0;
  bool fill2 = false;
  if (n1 < n) {
    la2 = la + n1;
    if (!(s.efer & EFER_LMA)) la2 = static_cast<uint32_t>(la2);
    last_fill_ok_ = true;
    try {
      pa2 = translate(la2, acc, user);
    } catch (...) {
      add_cycles(walk1);  // the first page's walk happened
      throw;
    }
    walk2 = take_walk();
    fill2 = last_fill_ok_;
  }
  // A load's page walk is part of its latency (the out-of-order model
  // overlaps it); a store's is a flat cost, as the store buffer does not
  // hide it (the simple model caps a store's cache latency only).
  auto one = [&](uint64_t lpage, uint64_t pa, uint8_t* p, unsigned len, bool fill, uint32_t walk) {
    if (walk && (is_write || !host_ptr(pa))) {
      add_cycles(walk);
      walk = 0;
    }
    uint8_t* h = host_ptr(pa);
    if (h && (pa & kPageMask) == ((pa + len - 1) & kPageMask)) {
      if (is_write) {
        if (blocks_.is_code_page(pa >> 12)) invalidate_code_page(pa >> 12);
        if (coherence_) coherence_->store(pa, len);
        std::memcpy(h, p, len);
      } else {
        std::memcpy(p, h, len);
      }
      charge_data(pa, len, is_write, walk);
      last_fill_ok_ = fill;
      fill_tlb(kind, lpage, pa, user);
    } else if (is_write) {
      bus_.mem_write(pa, p, len);
    } else {
      bus_.mem_read(pa, p, len);
    }
  };
  uint8_t* b = static_cast<uint8_t*>(buf);
  one(la, pa1, b, n1, fill1, walk1);
  if (n1 < n) one(la2, pa2, b + n1, n - n1, fill2, walk2);
}

void Engine::probe_write(uint64_t la, unsigned size) {
  if (HostTlb::hit(htlb_.entry(HostTlb::kWrite, la), la, user_, size)) return;
  if (s.efer & EFER_LMA) {
    if (!canonical(la)) raise(kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  translate(la, mmu::Access::kWrite, user_);
  add_cycles(take_walk());
  if ((la & 0xfff) + size > 4096) {
    translate(la + size - 1, mmu::Access::kWrite, user_);
    add_cycles(take_walk());
  }
}

uint64_t Engine::probe_read(uint64_t la) {
  if (s.efer & EFER_LMA) {
    if (!canonical(la)) raise(kGP, 0);
  } else {
    la = static_cast<uint32_t>(la);
  }
  const uint64_t pa = translate(la, mmu::Access::kRead, user_);
  add_cycles(take_walk());
  return pa;
}

// Physical memory (PhysMem for the walker; loaders, devices, page-crossing fetches).

void Engine::phys_read(uint64_t pa, void* buf, unsigned n) {
  uint8_t* h = host_ptr(pa);
  if (h && host_ptr(pa + n - 1) == h + n - 1)
    std::memcpy(buf, h, n);
  else
    bus_.mem_read(pa, buf, n);
}

void Engine::phys_write(uint64_t pa, const void* buf, unsigned n) {
  uint8_t* h = host_ptr(pa);
  if (blocks_.is_code_page(pa >> 12)) invalidate_code_page(pa >> 12);
  if (coherence_) coherence_->store(pa, n);
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

// Out of line for charge_last (engine_access.h): the handler's tail call,
// once CacheModel::data_mru_hit has said no (or for a model that records
// its accesses).
namespace {
// charge_data itself, for the ooo model and a line-split access.
__attribute__((noinline)) void charge_recorded(Engine& e, uint64_t pa, unsigned n, bool is_write) {
  e.charge_data(pa, n, is_write);
}
}  // namespace

__attribute__((noinline)) void Engine::charge_data_ool(uint64_t pa, unsigned n, bool is_write) {
  if (!sum_accesses_ || mmu_.cache().splits(pa, n)) return charge_recorded(*this, pa, n, is_write);
  const uint32_t l = mmu_.cache().data_access_not_mru(pa, is_write);
  sum_access(l, is_write);
}

}  // namespace hvsim::core
