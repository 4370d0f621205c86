// The plug-in interface for proposed hardware (ARCHITECTURE.md "ISA
// extensions"). An extension is one file or one folder under sim/ext/ that
// registers itself with HVSIM_EXTENSION(name, info): sim/ext/CMakeLists.txt
// finds it, links it and keeps its registrar (no file outside sim/ext is
// edited). It is off unless `ext.<name>.enabled = true`; when on, each core
// builds one instance and asks it, in this order of need:
//   - parameters:   ext.<name>.enabled (declared for it) and its own keys
//                   (Info::declare_params), listed by `hvsim config --list`
//   - statistics:   Extension::register_stats (names under ext.<name>.)
//   - CPUID:        Info::cpuid_bit, a bit of leaf kCpuidLeaf EAX
//   - instructions: Extension::decode, asked before Zydis, so it may claim
//                   any encoding Zydis does not (and must claim no other)
//   - MSRs:         core::sys::add_msrs from the extension's file
//   - guest mode:   its semantic function throws virt::GuestExit with
//                   Info::vmx_exit_reason / Info::svm_exit_code, or runs
//                   exit-less (sim/ext/fastcall)
//   - costs:        Extension::cost may change what a world switch (exit,
//                   entry) or a VMCS/VMCB instruction costs
//   - translation:  Extension::stage2 may wrap the EPT/NPT stage of the
//                   walker (a nested TLB)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/core/decoded_insn.h"

namespace hvsim::core {
class Engine;
}
namespace hvsim::mmu {
class Stage2;
}

namespace hvsim::ext {

// CPUID leaf 4856_0000h ("HV"): EAX = the enabled extensions' feature bits,
// EBX:EDX:ECX = "hvsimExtFeat". Leaves 4000_0000h-4FFF_FFFFh are the range
// Intel promises never to use for processor features (SDM Vol. 2A CPUID,
// "Information returned for ... 40000000H-4FFFFFFFH"), so a proposal never
// collides with a future real bit.
constexpr uint32_t kCpuidLeaf = 0x48560000;

// What a cost is asked for (Extension::cost): world switches and the
// instructions that touch the VMCS/VMCB.
enum class CostEvent : uint8_t {
  kVmxExit, kVmxEntry, kSvmExit, kSvmEntry,  // world switches
  kVmread, kVmwrite, kVmptrld, kVmclear,     // VMX instructions on the current VMCS
  kVmload, kVmsave,                          // SVM instructions on a VMCB
};
struct CostQuery {
  CostEvent event;
  uint32_t reason = 0;    // exits: the basic exit reason (VMX) / exit code (SVM)
  uint64_t state_pa = 0;  // the VMCS / VMCB's physical address (0: unknown)
};

class Extension {
 public:
  virtual ~Extension() = default;

  // Claims an encoding: returns the instruction's length and fills `d`
  // (exec, tclass, operands, flags; `d.cycles` is set from tclass after),
  // or returns 0 when the bytes are not its own. `decode_mode` is
  // core::DecodeMode (kDecLong64 = 5 is 64-bit mode).
  virtual unsigned decode(const uint8_t* /*bytes*/, size_t /*avail*/, unsigned /*decode_mode*/,
                          core::DecodedInsn& /*d*/) const {
    return 0;
  }
  // Its statistics, named ext.<name>.*.
  virtual void register_stats(base::StatRegistry& /*stats*/) {}
  // An event about to be charged `cost` cycles: returns what it costs
  // instead (a world switch made cheaper, a VMREAD that hits on chip).
  virtual uint64_t cost(const CostQuery& /*q*/, uint64_t cost) { return cost; }
  // The stage-2 translation the walker should use instead of `inner`
  // (EPT/NPT); return `inner` to leave it alone.
  virtual mmu::Stage2* stage2(mmu::Stage2* inner) { return inner; }
};

// What an extension declares; one static Info per extension.
struct Info {
  const char* name;         // ext.<name>.*; letters, digits, '_'
  const char* description;  // one line, for ext.<name>.enabled
  int cpuid_bit = -1;       // bit of leaf kCpuidLeaf EAX, or -1
  uint32_t vmx_exit_reason = 0;  // its VM-exit basic reason (0: none)
  uint32_t svm_exit_code = 0;    // its #VMEXIT code (0: none)
  void (*declare_params)(base::ParamRegistry& reg) = nullptr;  // its own ext.<name>.* keys
  std::unique_ptr<Extension> (*create)(core::Engine& e, const base::Config& cfg) = nullptr;
};

// Adds `info` to the registry at static-initialization time.
struct Registrar {
  explicit Registrar(const Info& info);
};

}  // namespace hvsim::ext

// Registers an extension from its own file. `name` must match the file or
// folder name (sim/ext/<name>.cc or sim/ext/<name>/<name>.cc): the CMake list
// references the anchor defined here so the linker keeps the registrar.
#define HVSIM_EXTENSION(name, info)                                   \
  extern "C" {                                                        \
  extern const char hvsim_ext_anchor_##name;                          \
  const char hvsim_ext_anchor_##name = 0;                             \
  }                                                                   \
  namespace {                                                         \
  const ::hvsim::ext::Registrar hvsim_ext_registrar_##name{info};     \
  }
