// Magic operations for workloads (workloads/lib/hvsim_magic.h): the
// instruction `nopw 0x4856xxxx(%rax,%rax,1)` with op = xxxx, arg = RDI.
// On any other x86 it is a NOP. The core decodes it (isa/misc.cc) and hands
// the operation to the MagicOps sink the platform installed (the System:
// regions of interest, statistics); with no sink it stays a NOP.
#pragma once

#include <cstdint>

namespace hvsim::core {

enum MagicOp : uint16_t {
  kMagicRoiBegin = 1,
  kMagicRoiEnd = 2,
  kMagicResetStats = 3,
  kMagicDumpStats = 4,
  kMagicCheckpoint = 5,
  // A paravirtual hypervisor (workloads/hv/pv) starts handling event
  // arg (virt/pv_events.h), and returns to its guest: recorded by the exit
  // tracker as Arch::kPv exits and entries.
  kMagicPvBegin = 6,
  kMagicPvEnd = 7,
};

class MagicOps {
 public:
  virtual ~MagicOps() = default;
  // Called at the magic instruction (not per instruction: one virtual call
  // per magic operation).
  virtual void magic(uint16_t op, uint64_t arg) = 0;
};

}  // namespace hvsim::core
