// SVM capabilities and costs from the svm.* parameters (AMD APM Vol. 2 15.4,
// Vol. 3 E.4.9 CPUID 8000_000Ah).
#include "sim/svm/caps.h"

#include "sim/svm/svm.h"
#include "sim/virt/cost_table.h"

namespace hvsim::svm {

namespace {
const virt::CostParam<SvmCosts> kCostParams[] = {
    {"svm.vmrun_cycles", 600, "VMRUN world switch, excluding the reload of VMCB state groups",
     &SvmCosts::vmrun},
    {"svm.vmcb_group_cycles", 20,
     "per VMCB clean-bit group VMRUN reloads (a clean group costs nothing)",
     &SvmCosts::vmrun_group},
    {"svm.vmexit_cycles", 700, "#VMEXIT world switch", &SvmCosts::vmexit},
    {"svm.vmload_cycles", 100, "VMLOAD", &SvmCosts::vmload},
    {"svm.vmsave_cycles", 100, "VMSAVE", &SvmCosts::vmsave},
    {"svm.stgi_cycles", 20, "STGI", &SvmCosts::stgi},
    {"svm.clgi_cycles", 20, "CLGI", &SvmCosts::clgi},
    {"svm.invlpga_cycles", 100, "INVLPGA", &SvmCosts::invlpga},
    {"svm.tlb_flush_cycles", 200, "a TLB flush requested by TLB_CONTROL", &SvmCosts::tlb_flush},
};
}  // namespace

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("svm.revision", 1, "", "SVM revision (CPUID 8000_000Ah EAX[7:0])", 1, 0xff);
  reg.add_uint("svm.asids", 16, "count", "number of ASIDs (CPUID 8000_000Ah EBX), ASID 0 the host's",
               2, 1u << 20);
  reg.add_bool("svm.np", true, "nested paging (CPUID 8000_000Ah EDX[0])");
  reg.add_bool("svm.lbrv", true, "LBR virtualization (CPUID 8000_000Ah EDX[1], APM Vol. 2 15.23)");
  reg.add_bool("svm.nrips", true, "next-RIP save on #VMEXIT (CPUID 8000_000Ah EDX[3])");
  reg.add_bool("svm.vmcb_clean", true, "VMCB clean bits (CPUID 8000_000Ah EDX[5])");
  reg.add_bool("svm.flush_by_asid", true, "TLB_CONTROL 3 and 7 (CPUID 8000_000Ah EDX[6])");
  reg.add_bool("svm.decode_assists", true, "decode assists in EXITINFO1 (CPUID 8000_000Ah EDX[7])");
  reg.add_bool("svm.pause_filter", true, "PAUSE filter count (CPUID 8000_000Ah EDX[10])");
  reg.add_bool("svm.pause_filter_threshold", true,
               "PAUSE filter cycle threshold (CPUID 8000_000Ah EDX[12])");
  reg.add_bool("svm.disabled", false,
               "firmware disabled SVM: VM_CR.SVMDIS and VM_CR.LOCK set at reset (15.30.1)");
  virt::declare_costs(reg, kCostParams);
  virt::declare_exit_costs(reg, "svm", exit_names());
}

SvmCaps SvmCaps::from_config(const base::Config& cfg) {
  SvmCaps c;
  c.revision = static_cast<uint32_t>(cfg.get_uint("svm.revision"));
  c.asids = static_cast<uint32_t>(cfg.get_uint("svm.asids"));
  c.np = cfg.get_bool("svm.np");
  c.nrips = cfg.get_bool("svm.nrips");
  c.lbrv = cfg.get_bool("svm.lbrv");
  c.vmcb_clean = cfg.get_bool("svm.vmcb_clean");
  c.flush_by_asid = cfg.get_bool("svm.flush_by_asid");
  c.decode_assists = cfg.get_bool("svm.decode_assists");
  c.pause_filter = cfg.get_bool("svm.pause_filter");
  c.pause_filter_threshold = cfg.get_bool("svm.pause_filter_threshold");
  c.disabled = cfg.get_bool("svm.disabled");
  c.maxphyaddr = static_cast<uint32_t>(cfg.get_uint("cpu.phys_addr_bits"));
  return c;
}

uint32_t SvmCaps::features() const {
  uint32_t f = 0;
  if (np) f |= 1u << 0;
  if (lbrv) f |= 1u << 1;
  if (nrips) f |= 1u << 3;
  if (vmcb_clean) f |= 1u << 5;
  if (flush_by_asid) f |= 1u << 6;
  if (decode_assists) f |= 1u << 7;
  if (pause_filter) f |= 1u << 10;
  if (pause_filter_threshold) f |= 1u << 12;
  return f;
}

SvmCosts SvmCosts::from_config(const base::Config& cfg) {
  return virt::costs_from_config(cfg, kCostParams);
}

}  // namespace hvsim::svm
