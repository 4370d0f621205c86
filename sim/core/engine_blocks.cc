// Decoding into the block cache: the fetch of RIP, the lookup by physical
// address and decode mode, and the decode of a new block up to a
// block-ending instruction, the page end or BlockCache::kMaxBlockInsns.
#include <cstring>

#include "sim/core/decoder.h"
#include "sim/core/coherence.h"
#include "sim/core/engine.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core {

namespace {

constexpr uint64_t kPageMask = ~0xfffull;

}  // namespace

void Engine::invalidate_code_page(uint64_t page) {
  if (!blocks_.invalidate_page(page)) return;
  unchain();
  ++stat_smc_invalidations;
  post_event(kEvBreak);
}

void Engine::extend_isa(void (*reg)(isa::BinderTable&)) {
  decoder_->extend(reg);
  blocks_.clear();
  unchain();
}

Block* Engine::decode_block(uint64_t la, uint64_t pa, uint64_t key) {
  auto blk = std::make_unique<Block>();
  blk->key = key;
  blk->pa = pa;
  const DecodeMode mode = static_cast<DecodeMode>(decode_mode_);
  uint8_t* page = host_ptr(pa & kPageMask);
  uint64_t cur = pa;
  bool cacheable = page != nullptr;
  uint8_t buf[32];
  while (blk->insns.size() < BlockCache::kMaxBlockInsns) {
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
      blk->bytes = avail;  // the part on this page (the rest's ITLB walk is charged)
      cacheable = false;
      break;
    }
    blk->insns.push_back(d);
    blk->bytes += d.len;
    cur += d.len;
    la += d.len;
    if ((d.flags & kEndsBlock) || (cur & 0xfff) == 0 || (cur & kPageMask) != (pa & kPageMask))
      break;
  }
  ++stat_blocks_decoded;
  const size_t n = blk->insns.size();
  if (n >= 2) blk->fused = isa::fused_pair(blk->insns[n - 2], blk->insns[n - 1]);
  blk->body_end = blk->insns.data() + n - (blk->fused ? 2 : 0);
  if (!cacheable) return blocks_.set_scratch(std::move(blk));
  Block* b = nullptr;
  blk->cacheable = true;
  // A new code page: writes to it must now take the slow path, which invalidates.
  if (blocks_.insert(std::move(blk), pa >> 12, &b)) {
    htlb_.drop_writes_to(pa & kPageMask);
    if (coherence_) coherence_->code_page_added(pa >> 12);  // the other cores' too
  }
  return b;
}

Block* Engine::next_block() {
  if (Block* n = chained(); HVSIM_LIKELY(n)) return follow_chain(n);
  Block* from = chain_from_;
  Block* b = lookup_block();
  if (!long64_ || !b->cacheable) {
    chain_from_ = nullptr;
    return b;
  }
  if (from) {  // the newer link first; the older one kept
    from->link[1] = from->link[0];
    from->link[0] = Block::Link{b, s.rip, chain_gen_};
  }
  chain_from_ = b;
  return b;
}

Block* Engine::lookup_block() {
  uint64_t la;
  if (long64_) {
    la = s.rip;
    if (!canonical(la)) raise(kGP, 0);
  } else {
    // SDM Vol. 3 5.3: the fetch must lie within CS's limit.
    if (s.mode != Mode::kReal && s.rip > s.seg[CS].limit) raise(kGP, 0);
    la = static_cast<uint32_t>(s.seg[CS].base + s.rip);
  }
  const uint64_t pa = fetch_translate(la);
  const uint64_t key = BlockCache::key_of(pa, decode_mode_);
  if (Block* b = blocks_.find(key)) return b;
  return decode_block(la, pa, key);
}

}  // namespace hvsim::core
