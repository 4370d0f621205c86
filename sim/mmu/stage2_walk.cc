// The stage-2 walk loop (see stage2_walk.h).
#include "sim/mmu/stage2_walk.h"

#include "sim/cache/cache_model.h"

namespace hvsim::mmu {

namespace {
constexpr unsigned kLevels = 4;

uint64_t address_mask(uint32_t maxpa) {
  return ((maxpa >= 64 ? ~0ull : (1ull << maxpa) - 1)) & ~0xfffull;
}
}  // namespace

Stage2Walk stage2_walk(const Stage2Format& f, uint64_t gpa, Access access, bool is_walk,
                       PhysMem& mem, CacheModel& cache) {
  Stage2Walk w;
  w.needs = f.needs(access, is_walk);
  const uint64_t addr_bits = address_mask(f.maxpa);
  uint64_t table = f.root;
  uint64_t used[kLevels];
  unsigned n = 0;
  uint8_t rights = kS2All;
  for (unsigned level = kLevels;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t addr = table + ((gpa >> shift) & 0x1ff) * 8;
    const uint64_t ent = mem.read_phys(addr, 8);
    ++w.refs;
    w.cycles += cache.access(addr, false, CacheSource::kWalk);
    const Stage2Entry e = f.decode(ent, level);
    if (!e.present) {
      w.status = Stage2Status::kNotPresent;
      return w;
    }
    if (e.reserved) {
      w.status = Stage2Status::kReserved;
      return w;
    }
    rights &= e.rights;
    used[n++] = addr;
    if (!e.leaf) {
      table = ent & addr_bits;
      continue;
    }
    w.rights = rights;
    if ((rights & w.needs) != w.needs) {
      w.status = Stage2Status::kDenied;
      return w;
    }
    // Accessed on every entry used, dirty on the leaf when the access
    // needed write permission (SDM 29.3.5, APM 5.4.2).
    if (f.accessed) {
      if (f.dirty_log && (w.needs & kS2Write) && !(ent & f.dirty) &&
          !f.dirty_log->log(gpa & ~0xfffull)) {
        w.status = Stage2Status::kLogFull;
        return w;
      }
      for (unsigned i = 0; i < n; ++i) {
        const uint64_t v = mem.read_phys(used[i], 8);
        uint64_t nv = v | f.accessed;
        if ((w.needs & kS2Write) && i == n - 1) nv |= f.dirty;
        if (nv == v) continue;
        mem.write_phys(used[i], nv, 8);
        w.cycles += cache.access(used[i], true, CacheSource::kWalk);
      }
    }
    // With dirty flags, a translation made by a read does not grant writes
    // while the leaf is clean: the first write walks again and sets D.
    if (f.dirty && !(w.needs & kS2Write) && !(ent & f.dirty)) w.rights &= ~kS2Write;
    const uint64_t size = 1ull << shift;
    w.hpa = (ent & addr_bits & ~(size - 1)) | (gpa & (size - 1));
    return w;
  }
}

}  // namespace hvsim::mmu
