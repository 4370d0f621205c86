// The machine's state as a Boost.Serialization binary archive (format.h
// wraps it in the versioned, compressed file): every core's architectural
// and engine state, the devices and interrupt controllers, pending timer
// events with their absolute cycles, RAM (sparse), statistics so far, the
// SystemC time base, and (warm) the TLBs, paging-structure caches, cache
// tags/LRU and the core model's clock. docs/checkpoint.md.
#pragma once

#include <cstdint>
#include <string>

namespace hvsim::platform {
class System;
}

namespace hvsim::checkpoint {

struct MachineOptions {
  bool warm = true;  // micro-architectural state too (else the restore starts cold)
};

// Serializes the machine (call at a quantum boundary or after the run ended).
std::string save_machine(platform::System& sys, const MachineOptions& o);
// Loads a save_machine() payload into a freshly built System, before sc_start.
// Throws CheckpointError when it does not fit this machine.
void load_machine(platform::System& sys, const std::string& payload);

}  // namespace hvsim::checkpoint
