// The deterministic generator behind RDRAND and RDSEED. Hardware draws from
// an entropy source; hvsim must give the same results for the same binary,
// config and flags, so the values come from a seeded pseudo-random generator
// (cpu.rdrand_seed): xoshiro256** (Blackman and Vigna), its state filled by
// splitmix64 from the seed. Not cryptographic, and not meant to be.
#pragma once

#include <cstdint>

namespace hvsim::core {

class DeterministicRng {
 public:
  explicit DeterministicRng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& w : s_) w = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t v, unsigned k) { return (v << k) | (v >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

// RDRAND and RDSEED each draw from their own generator, seeded from
// cpu.rdrand_seed (RDRAND) and a seed derived from it (RDSEED), so each
// instruction's sequence is reproducible and independent of the other's.
struct RandomSources {
  DeterministicRng rdrand, rdseed;

  void seed(uint64_t rdrand_seed) {
    rdrand.reseed(rdrand_seed);
    rdseed.reseed(~rdrand_seed);
  }
};

}  // namespace hvsim::core
