// Memory as the debugger sees it: linear addresses translated through the
// paging mode the CPU is in now (the guest's tables, then EPT/NPT, while a
// guest runs), then physical memory. A debugger access changes nothing the
// guest could see: no accessed/dirty bits, no TLB fills, no cycles, no
// fault delivered. Writes go through Engine::phys_write, so decoded blocks
// of a written code page are dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sim/core/engine.h"

namespace hvsim::gdb {

// The physical (host-physical under stage 2) address of linear address la,
// or nullopt when the current tables do not map it.
std::optional<uint64_t> debug_translate(core::Engine& e, uint64_t la);

// Reads/writes up to n bytes at linear address la; returns how many were
// done before the first unmapped page.
size_t debug_read(core::Engine& e, uint64_t la, uint8_t* out, size_t n);
size_t debug_write(core::Engine& e, uint64_t la, const uint8_t* in, size_t n);

}  // namespace hvsim::gdb
