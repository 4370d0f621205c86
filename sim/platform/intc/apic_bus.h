// An interrupt message on the APIC bus / system bus (SDM Vol. 3 11.6.1 ICR
// fields; 82093AA datasheet 3.2.4 redirection table fields): what the I/O
// APIC and a local APIC's ICR send and what a local APIC accepts. The bus is
// the ApicCluster (apic_cluster.h), which fans messages out to every local
// APIC (one, on a uniprocessor).
#pragma once

#include <cstdint>

namespace hvsim::platform::intc {

// Delivery modes as encoded in ICR[10:8] and redirection entries [10:8].
enum class DeliveryMode : uint8_t {
  kFixed = 0,
  kLowest = 1,
  kSmi = 2,
  kNmi = 4,
  kInit = 5,
  kStartup = 6,  // SIPI (ICR only)
  kExtInt = 7,   // I/O APIC and LVT only
};

struct ApicMessage {
  uint8_t vector = 0;
  DeliveryMode mode = DeliveryMode::kFixed;
  bool logical = false;   // destination mode: 0 physical, 1 logical
  bool level = false;     // trigger mode: level (true) or edge
  bool assert = true;     // ICR level bit (INIT level de-assert has it clear)
  uint32_t dest = 0;      // 8-bit xAPIC or 32-bit x2APIC destination
};

class ApicBus {
 public:
  virtual ~ApicBus() = default;
  // Delivers `m` to every local APIC its destination selects; true if one
  // accepted it.
  virtual bool deliver(const ApicMessage& m) = 0;
};

// The 8259 pair seen from the local APIC's LINT0 in ExtINT mode (SDM Vol. 3
// 11.5.1, "ExtINT"): the processor takes the vector from the external
// controller with an INTA cycle, bypassing IRR/ISR and the PPR.
class ExtIntController {
 public:
  virtual ~ExtIntController() = default;
  virtual bool int_output() const = 0;  // INTR asserted
  virtual int peek_vector() const = 0;  // the vector inta() would return now
  virtual int inta() = 0;               // the interrupt acknowledge cycle
};

}  // namespace hvsim::platform::intc
