// Process exit statuses of hvsim: one distinct value per way a run can end.
// A guest that writes the isa-debug-exit port ends the run with the value it
// wrote (0..255); every other ending has its own number here.
#pragma once

namespace hvsim::base {

enum ExitStatus : int {
  kExitOk = 0,            // command succeeded (non-run commands)
  kExitBadInput = 2,      // bad command line, config, or binary: one line on stderr
  kExitTripleFault = 80,  // shutdown outside guest mode (triple fault)
  kExitHalted = 81,       // HLT with interrupts disabled, or nothing left to wake the CPU
  kExitInsnLimit = 82,    // --max-insns reached
  kExitCycleLimit = 83,   // --max-cycles reached
  kExitInternal = 84,     // hvsim itself failed (a bug): message and register dump
  kExitNoGuestExit = 85,  // simulation ended without the guest writing the exit port
  kExitGuestReset = 87,   // the guest reset the machine (i8042 reset line, port 0xcf9)
};

}  // namespace hvsim::base
