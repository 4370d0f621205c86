// A plain LRU cache level for differential tests of sim/cache: full 64-bit
// lines and 64-bit stamps, every way scanned.
#pragma once

#include <cstdint>
#include <vector>

namespace hvsim::cache::test {

// The plain model: first invalid way, else the first least recently used.
struct RefLevel {
  struct Way {
    uint64_t line = ~0ull;
    uint64_t lru = 0;  // 0 = invalid
    bool dirty = false;
  };
  RefLevel(uint64_t sets, uint32_t ways) : sets(sets), ways(ways), w(sets * ways) {}
  bool access(uint64_t line, bool write) {
    Way* s = &w[(line % sets) * ways];
    for (uint32_t i = 0; i < ways; ++i)
      if (s[i].lru && s[i].line == line) {
        s[i].lru = ++clock;
        s[i].dirty = s[i].dirty || write;
        return true;
      }
    Way* v = s;
    for (uint32_t i = 1; i < ways; ++i)
      if (s[i].lru < v->lru) v = &s[i];
    if (v->lru && v->dirty) ++writebacks;
    *v = Way{line, ++clock, write};
    return false;
  }
  bool contains(uint64_t line) const {
    const Way* s = &w[(line % sets) * ways];
    for (uint32_t i = 0; i < ways; ++i)
      if (s[i].lru && s[i].line == line) return true;
    return false;
  }
  uint64_t sets;
  uint32_t ways;
  std::vector<Way> w;
  uint64_t clock = 0, writebacks = 0;
};

}  // namespace hvsim::cache::test
