// The simulator's host-pointer TLB: linear page to the host address of the
// RAM page behind it, so that a hit reads or writes memory with one memcpy.
// Direct-mapped, one table per access kind (read, write, execute), tagged
// with the user/supervisor bit; filled only for RAM reached through DMI.
// It is the simulator's, not the architecture's: the architectural TLBs are
// mmu::TlbHierarchy's, and this one is kept a subset of their L1s (the
// engine flushes an entry when the L1 TLB evicts it), so a hit here is an
// L1 TLB hit and is counted as one (TlbHierarchy::count_l1_hit).
#pragma once

#include <cstdint>

namespace hvsim::core {

struct HostTlbEntry {
  uint64_t tag = ~0ull;  // linear page | 1 for user accesses
  uint8_t* host = nullptr;
  uint64_t pa = 0;  // physical page
};

class HostTlb {
 public:
  static constexpr unsigned kBits = 10;
  static constexpr uint64_t kMask = (1u << kBits) - 1;
  static constexpr uint64_t kPageMask = ~0xfffull;
  enum Kind : unsigned { kRead = 0, kWrite = 1, kExec = 2 };

  // The entry that may hold `la` for an access of `kind`.
  const HostTlbEntry& entry(Kind kind, uint64_t la) const { return t_[kind][(la >> 12) & kMask]; }
  // True when `e` maps `la` for the given privilege (`user` is 0 or 1) and
  // an access of `size` bytes stays inside its page.
  static bool hit(const HostTlbEntry& e, uint64_t la, uint64_t user, unsigned size) {
    return e.tag == ((la & kPageMask) | user) && (la & 0xfff) <= 4096 - size;
  }

  void fill(Kind kind, uint64_t la, uint64_t pa_page, uint8_t* host, bool user) {
    const unsigned i = (la >> 12) & kMask;
    HostTlbEntry& e = t_[kind][i];
    e.tag = (la & kPageMask) | (user ? 1 : 0);
    e.host = host;
    e.pa = pa_page;
    if (nfilled_ < kLog) filled_[nfilled_] = static_cast<uint16_t>(kind << kBits | i);
    if (nfilled_ <= kLog) ++nfilled_;  // kLog + 1: more than the log holds
  }
  // A translation from a page larger than 4 KiB was cached: INVLPG of any
  // address inside it must flush everything (flush_page_any).
  void note_large_page() { has_large_ = true; }

  // Every entry filled since the last flush: the slots in the fill log, or
  // all 3,072 (72 KiB) when more were filled than it holds. A MOV to CR3
  // flushes, and between two of them a kernel usually touches a few pages.
  void flush() {
    if (nfilled_ > kLog) {
      for (auto& table : t_)
        for (HostTlbEntry& e : table) e = HostTlbEntry{};
    } else {
      for (unsigned k = 0; k < nfilled_; ++k)
        t_[filled_[k] >> kBits][filled_[k] & kMask] = HostTlbEntry{};
    }
    nfilled_ = 0;
    has_large_ = false;
  }
  void flush_page(uint64_t la) {
    const unsigned i = (la >> 12) & kMask;
    for (auto& table : t_)
      if ((table[i].tag & kPageMask) == (la & kPageMask)) table[i] = HostTlbEntry{};
  }
  // INVLPG: one page, or everything when a large page may back the entry.
  void flush_page_any(uint64_t la) {
    if (has_large_)
      flush();
    else
      flush_page(la);
  }
  // Removes every write entry for physical page `pa_page` (it now holds
  // decoded code: writes must take the slow path, which invalidates).
  void drop_writes_to(uint64_t pa_page) {
    for (HostTlbEntry& e : t_[kWrite])
      if (e.host && e.pa == pa_page) e = HostTlbEntry{};
  }

 private:
  static constexpr unsigned kLog = 128;
  HostTlbEntry t_[3][1u << kBits];
  bool has_large_ = false;
  unsigned nfilled_ = 0;      // fills since the last flush (kLog + 1: too many to log)
  uint16_t filled_[kLog]{};  // their slots: kind << kBits | index
};

}  // namespace hvsim::core
