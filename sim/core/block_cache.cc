#include "sim/core/block_cache.h"

namespace hvsim::core {

bool BlockCache::insert(std::unique_ptr<Block> b, uint64_t page, Block** out) {
  const uint64_t key = b->key;
  *out = b.get();
  jump_[jump_hash(key)] = b.get();
  blocks_.emplace(key, std::move(b));
  auto& keys = code_pages_[page];
  const bool new_page = keys.empty();
  keys.push_back(key);
  return new_page;
}

bool BlockCache::invalidate_page(uint64_t page) {
  auto it = code_pages_.find(page);
  if (it == code_pages_.end()) return false;
  for (uint64_t key : it->second) {
    auto b = blocks_.find(key);
    if (b == blocks_.end()) continue;
    Block*& slot = jump_[jump_hash(key)];
    if (slot == b->second.get()) slot = nullptr;
    graveyard_.push_back(std::move(b->second));  // may be executing right now
    blocks_.erase(b);
  }
  code_pages_.erase(it);
  return true;
}

void BlockCache::clear() {
  for (auto& kv : blocks_) graveyard_.push_back(std::move(kv.second));
  blocks_.clear();
  code_pages_.clear();
  for (Block*& slot : jump_) slot = nullptr;
}

}  // namespace hvsim::core
