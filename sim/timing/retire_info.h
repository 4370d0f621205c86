// The timing seam's record: what one instruction did, handed to the core
// model (timing::CoreModel) when it retires. The functional engine runs
// ahead and reports events; the model alone turns them into cycles (ZSim's
// bound phase: the functional path produces a record, the timing model
// consumes it). Plain data, filled in place by the engine, no allocation.
#pragma once

#include <cstdint>

namespace hvsim::timing {

// Register dependence mask (RegMask): one bit per architectural register the
// model renames. Flags are a separate mask (FlagMask) because x86 writes them
// on almost every ALU instruction and renames them as their own registers.
namespace reg {
constexpr unsigned kGpr0 = 0;   // RAX..R15: bits 0-15 (SDM Vol. 1 3.4.1)
constexpr unsigned kXmm0 = 16;  // XMM/YMM0-15: bits 16-31
constexpr unsigned kSt0 = 32;   // x87 ST0-7 / MM0-7 (aliased): bits 32-39
constexpr unsigned kSeg0 = 40;  // ES, CS, SS, DS, FS, GS: bits 40-45
constexpr unsigned kCount = 46;
constexpr uint64_t gpr(unsigned n) {
  return uint64_t{1} << (kGpr0 + n);
}
constexpr uint64_t xmm(unsigned n) {
  return uint64_t{1} << (kXmm0 + n);
}
}  // namespace reg

// Status flags (SDM Vol. 1 3.4.3.1) and DF.
namespace flag {
constexpr uint8_t kCF = 1 << 0, kPF = 1 << 1, kAF = 1 << 2, kZF = 1 << 3, kSF = 1 << 4,
                  kOF = 1 << 5, kDF = 1 << 6;
constexpr uint8_t kStatus = kCF | kPF | kAF | kZF | kSF | kOF;
constexpr unsigned kCount = 7;
}  // namespace flag

enum class MemKind : uint8_t {
  kLoad,   // data read
  kStore,  // data write (retires into the store buffer)
};

// One data access, with the latency the TLB and cache models found for it
// (an L1 hit is cache.l1d.hit_cycles; a miss adds the level that served it;
// a TLB miss adds the page walk). An access that spans two lines is two.
struct MemAccess {
  uint64_t addr = 0;  // physical address
  uint32_t latency = 0;
  uint8_t size = 0;  // bytes
  MemKind kind = MemKind::kLoad;
  bool walked = false;  // its translation walked the page tables (in `latency`)
};

// What time with no instruction was (the CPI stack's idle or world_switch).
enum class StallKind : uint8_t { kIdle, kWorldSwitch };

enum class BranchKind : uint8_t {
  kNone,
  kCond,          // Jcc, LOOP, JRCXZ: direct, conditional
  kJump,          // JMP rel: direct, unconditional
  kCall,          // CALL rel: direct; pushes the return address (RAS)
  kIndirectJump,  // JMP r/m
  kIndirectCall,  // CALL r/m
  kReturn,        // RET (RAS)
  kFar,           // far transfers, IRET, SYSCALL/SYSRET, INT n: not predicted
};

enum RetireFlags : uint8_t {
  kTaken = 1 << 0,        // the branch was taken (kCond); always set for others
  kSerializing = 1 << 1,  // SDM Vol. 3 10.3 (CPUID, MOV CR, WRMSR, LFENCE-like): drains
  kFault = 1 << 2,        // faulted or was interrupted: the pipeline is flushed
  kWorldSwitch = 1 << 3,  // VM entry or exit (VMLAUNCH/VMRESUME/VMRUN/#VMEXIT)
  kOwnCost = 1 << 4,      // extra_cycles is the instruction's whole cost (VMX/SVM
                          // instructions): its class latency is not added again
  kFence = 1 << 5,        // orders memory (LOCK, MFENCE, SFENCE): waits for the store buffer
  kMemOperand = 1 << 6,   // an explicit memory operand (not LEA/NOP): the simple
                          // model adds timing.mem_operand_cycles, as at decode today
  kCharged = 1 << 7,      // a rare charge was made (extra_cycles, a fetch stall, accesses
                          // beyond kMaxMem): a model's fast path reads the whole record
};

// What the decoder fixes for an instruction (timing::decode_deps() fills it
// from Zydis); DecodedInsn keeps one and each RetireInfo starts from it.
struct DecodeDeps {
  uint64_t src_regs = 0, addr_regs = 0, dst_regs = 0;  // RegMask
  uint8_t src_flags = 0, dst_flags = 0;                // FlagMask
  uint8_t flags = 0;  // kSerializing, kFence, kMemOperand (RetireFlags)
  BranchKind branch = BranchKind::kNone;
};

struct RetireInfo {
  static constexpr unsigned kMaxMem = 4;

  // Charges collected while it executes. start() clears them; they are
  // kept together so that clearing them takes a few wide stores.
  uint64_t extra_cycles = 0;      // flat costs charged while it executed (world
                                  // switch, exception delivery, device access, ...)
  // The data accesses already summed (add_cost) for a model that does not
  // read mem[] (kReadsDeps = false, the simple one), a store's latency
  // capped; every one of them, however many (see add_cost). The engine adds
  // the simple model's taken-branch cost here too (Engine::taken_branch).
  uint64_t mem_cost = 0;
  uint32_t fetch_latency = 0;     // fetch stall beyond an L1I/ITLB hit (miss, walk)
  uint32_t overflow_latency = 0;  // latency of loads beyond kMaxMem (charged serially)
  // Stores beyond kMaxMem (REP STOS/MOVS): how many, and their latency. A
  // model charges at most overflow_stores * its store cost (a store-buffer
  // core: every access costs at least an L1 hit, so this is exact).
  uint32_t overflow_stores = 0, overflow_store_latency = 0;
  uint8_t nmem = 0;    // valid entries of mem[]
  uint8_t flags = 0;   // RetireFlags
  uint8_t tclass = 0;  // timing::InsnClass
  BranchKind branch = BranchKind::kNone;
  // What the out-of-order model reads besides (a model with kReadsDeps =
  // false, the simple one, is given start_charges() only).
  uint8_t len = 0;
  uint8_t src_flags = 0, dst_flags = 0;  // FlagMask
  uint64_t pc = 0;         // linear address of the instruction
  uint64_t target = 0;     // next RIP when a branch is taken
  uint64_t src_regs = 0;   // registers read by the computation (RegMask)
  uint64_t addr_regs = 0;  // registers read to form addresses (RegMask)
  uint64_t dst_regs = 0;   // registers written (RegMask)
  MemAccess mem[kMaxMem];

  // Starts the record of one instruction: its charges cleared, with what the
  // simple model reads (field by field, not `*this = RetireInfo{}`: mem[]
  // beyond nmem is never read, and this runs once per instruction).
  void start_charges(uint8_t fl, BranchKind br, uint8_t cls, uint32_t fetch) {
    extra_cycles = 0;
    mem_cost = 0;
    fetch_latency = fetch;
    overflow_latency = 0;
    overflow_stores = 0;
    overflow_store_latency = 0;
    nmem = 0;
    flags = fl | (fetch ? kCharged : 0);
    tclass = cls;
    branch = br;
  }
  // Fast-forward (timing::FunctionalCore): what its clock reads; nothing
  // else is charged (the cache model is not consulted).
  void start_functional(uint32_t fetch) {
    extra_cycles = 0;
    fetch_latency = fetch;
  }
  // Starts the record of one instruction from everything its decode fixed.
  void start(const DecodeDeps& d, uint64_t rip, uint8_t length, uint8_t cls, uint32_t fetch = 0) {
    start_charges(d.flags, d.branch, cls, fetch);
    len = length;
    src_flags = d.src_flags;
    dst_flags = d.dst_flags;
    pc = rip;
    target = 0;
    src_regs = d.src_regs;
    addr_regs = d.addr_regs;
    dst_regs = d.dst_regs;
  }
  // A branch's outcome (the engine calls it when RIP changes non-sequentially).
  void taken_to(uint64_t next_rip) {
    target = next_rip;
    flags |= kTaken;
  }
  // Records one access; beyond kMaxMem the latency is kept, serially.
  void add_access(uint64_t pa, uint8_t size, MemKind kind, uint32_t latency, bool walked = false) {
    if (__builtin_expect(nmem < kMaxMem, 1)) {
      mem[nmem++] = MemAccess{pa, latency, size, kind, walked};
      return;
    }
    flags |= kCharged;
    if (kind == MemKind::kStore) {
      ++overflow_stores;
      overflow_store_latency += latency;
    } else {
      overflow_latency += latency;
    }
  }
  // Sums one access into mem_cost, a store at most `cap`. Unlike
  // add_access there is no kMaxMem bound: a model that reads only the sum
  // (the simple one) charges the accesses beyond it just as it charges the
  // first ones, loads serially and each store at most `cap` (for stores the
  // same as overflow_store_cost, since every access costs at least the L1
  // hit that `cap` is), so the sum needs no count and no rare charge.
  __attribute__((always_inline)) void add_cost(uint32_t latency, bool store, uint32_t cap) {
    mem_cost += store && latency > cap ? cap : latency;
  }
  // What the stores beyond kMaxMem cost when each costs at most `cap`.
  uint64_t overflow_store_cost(uint32_t cap) const {
    const uint64_t most = uint64_t{overflow_stores} * cap;
    return overflow_store_latency < most ? overflow_store_latency : most;
  }
  // After an instruction retired with only summed accesses (add_cost): the
  // sums cleared for the next one.
  void clear_sums() { mem_cost = 0; }
  // A flat cost charged while it executes.
  void add_extra(uint64_t c) {
    extra_cycles += c;
    flags |= kCharged;
  }
  // Clears what charges collect (after a retire or stall).
  void clear_charges() {
    extra_cycles = 0;
    mem_cost = 0;
    fetch_latency = 0;
    nmem = 0;
    overflow_latency = 0;
    overflow_stores = 0;
    overflow_store_latency = 0;
    flags = 0;
  }
  bool taken() const { return (flags & kTaken) != 0; }
};

}  // namespace hvsim::timing
