#include "sim/gdb/debug_memory.h"

#include <algorithm>

#include "sim/mmu/walker.h"

namespace hvsim::gdb {

namespace {

// The walker's view of physical memory for a debugger walk: entries are read
// from the machine, accessed/dirty updates are dropped.
class ReadOnlyPhys : public mmu::PhysMem {
 public:
  explicit ReadOnlyPhys(core::Engine& e) : e_(e) {}
  uint64_t read_phys(uint64_t pa, unsigned size) override { return e_.read_phys(pa, size); }
  void write_phys(uint64_t, uint64_t, unsigned) override {}

 private:
  core::Engine& e_;
};

}  // namespace

std::optional<uint64_t> debug_translate(core::Engine& e, uint64_t la) {
  // A copy of the engine's walker keeps its stage-2 hook (EPT/NPT in guest
  // mode) but none of its caches, cost model or counters.
  mmu::Walker w = e.walker();
  w.set_walk_cache(nullptr);
  w.set_cache(nullptr);
  w.set_ref_cycles(0);
  ReadOnlyPhys mem(e);
  // A supervisor read with RFLAGS.AC set: SMAP does not hide user pages
  // from the debugger (SDM Vol. 3 4.6); protection keys are not modelled.
  const mmu::AccessCtx ctx{mmu::Access::kRead, false, true};
  mmu::Translation t;
  if (w.walk(la, ctx, e.paging_regs(), mem, &t, nullptr) != mmu::WalkStatus::kOk)
    return std::nullopt;
  return t.pa;
}

namespace {

template <typename Op>
size_t page_by_page(core::Engine& e, uint64_t la, size_t n, Op op) {
  // Outside 64-bit mode linear addresses are 32 bits wide.
  const bool wide = e.long64() || (e.s.efer & core::EFER_LMA);
  size_t done = 0;
  while (done < n) {
    const uint64_t a = wide ? la + done : static_cast<uint32_t>(la + done);
    const size_t chunk = std::min<size_t>(n - done, 4096 - (a & 0xfff));
    const std::optional<uint64_t> pa = debug_translate(e, a);
    if (!pa) break;
    op(*pa, done, chunk);
    done += chunk;
  }
  return done;
}

}  // namespace

size_t debug_read(core::Engine& e, uint64_t la, uint8_t* out, size_t n) {
  return page_by_page(e, la, n, [&](uint64_t pa, size_t off, size_t len) {
    e.phys_read(pa, out + off, static_cast<unsigned>(len));
  });
}

size_t debug_write(core::Engine& e, uint64_t la, const uint8_t* in, size_t n) {
  return page_by_page(e, la, n, [&](uint64_t pa, size_t off, size_t len) {
    e.phys_write(pa, in + off, static_cast<unsigned>(len));
  });
}

}  // namespace hvsim::gdb
