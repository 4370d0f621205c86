// The decoded-block cache: blocks keyed by (physical address << 3) | decode
// mode, found through a direct-mapped jump cache and then a hash map, and
// the code pages they were decoded from (for self-modifying code). A block
// invalidated while it may be executing stays alive in a graveyard until
// the run loop calls retire() after the block returns.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sim/core/decoded_insn.h"

namespace hvsim::core {

struct Block {
  uint64_t key = 0;  // (pa << 3) | decode mode
  uint64_t pa = 0;     // physical address of the first byte (instruction fetch)
  uint32_t bytes = 0;  // length of its instructions (at most a page)
  bool cacheable = false;  // in the cache (not a scratch block): may be chained
  // Chaining (Engine::next_block): the blocks that ran after this one, for
  // RIP rip, while the engine's chain generation is gen; two, so that a
  // conditional branch keeps both of its successors (link[0] the newer).
  struct Link {
    Block* to = nullptr;
    uint64_t rip = 0, gen = 0;
  };
  Link link[2];
  // The last two instructions as one handler (isa::fused_pair: a compare
  // and a Jcc), or null, and where the instructions run one by one end
  // (before the pair, or insns' end). Only the simple loop uses them; set
  // once insns is final.
  FusedFn fused = nullptr;
  const DecodedInsn* body_end = nullptr;
  std::vector<DecodedInsn> insns;
};

class BlockCache {
 public:
  static constexpr size_t kMaxBlockInsns = 64;
  // The most instructions a chain loop (functional, simple) runs per call.
  static constexpr uint64_t kChainBudgetCap = 1ull << 30;

  static uint64_t key_of(uint64_t pa, uint8_t decode_mode) { return (pa << 3) | decode_mode; }

  // The cached block for `key`, or null.
  Block* find(uint64_t key) {
    Block*& slot = jump_[jump_hash(key)];
    if (__builtin_expect(slot && slot->key == key, 1)) return slot;
    auto it = blocks_.find(key);
    if (it == blocks_.end()) return nullptr;
    slot = it->second.get();
    return slot;
  }
  // Caches a block decoded from physical page `page`. Returns true when the
  // page did not hold code before: the caller removes its write shortcuts.
  bool insert(std::unique_ptr<Block> b, uint64_t page, Block** out);
  // Holds a block that must not be cached (it crosses a page, or its bytes
  // are not in RAM) until the next one replaces it.
  Block* set_scratch(std::unique_ptr<Block> b) {
    scratch_ = std::move(b);
    return scratch_.get();
  }
  bool is_code_page(uint64_t page) const { return code_pages_.count(page) != 0; }
  // Drops every block decoded from `page`; false when it held none.
  bool invalidate_page(uint64_t page);
  // Drops every block (the decoder changed).
  void clear();
  // Frees invalidated blocks: none is executing any more.
  void retire() { graveyard_.clear(); }

 private:
  static constexpr unsigned kJumpBits = 14;
  static unsigned jump_hash(uint64_t key) {
    return static_cast<unsigned>((key ^ (key >> kJumpBits)) & ((1u << kJumpBits) - 1));
  }

  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> code_pages_;  // page -> block keys
  std::vector<std::unique_ptr<Block>> graveyard_;  // invalidated while possibly executing
  std::unique_ptr<Block> scratch_;
  Block* jump_[1u << kJumpBits] = {};
};

}  // namespace hvsim::core
