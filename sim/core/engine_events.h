// The engine's pending events: bits of Engine::events_, looked at by the run
// loops after each instruction and handled by run() between chains. Every
// one is posted through Engine::post_event, which also zeroes clock_stop_
// so that the simple loop's one test per instruction fails on it
// (engine_simple.cc); never set events_ directly.
#pragma once

#include <cstdint>

namespace hvsim::core {

enum EngineEvent : uint32_t {
  kEvBreak = 1u << 0,       // leave the current block (state change, SMC)
  kEvStop = 1u << 1,        // request_stop()
  kEvHalt = 1u << 2,        // HLT executed
  kEvShutdown = 1u << 3,    // triple fault
  kEvIntrWindow = 1u << 4,  // interrupts may have become deliverable
  kEvCharged = 1u << 5,     // a rare charge inside the functional or simple loop (charge_ev_)
};

}  // namespace hvsim::core
