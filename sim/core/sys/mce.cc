// Machine-check architecture registers (SDM Vol. 3 16.3): IA32_MCG_CAP,
// IA32_MCG_STATUS, IA32_MCG_CTL and IA32_MCi_CTL/STATUS/ADDR/MISC for the
// banks cpu.mce_banks names. Nothing in hvsim raises a machine check, so the
// banks only hold what software writes. Also IA32_DEBUGCTL (SDM Vol. 3
// 18.4.1; APM Vol. 2 13.1.1.6): LBR and BTF (and Intel's freeze bits) are
// accepted and stored but do nothing yet (no branch records, no single-step
// on branches); every other bit is reserved (#GP).
#include "sim/core/sys/mce.h"

#include <cstdio>

namespace hvsim::core::sys {

namespace {

constexpr uint32_t kMcgCap = 0x179, kMcgStatus = 0x17a, kMcgCtl = 0x17b, kMc0Ctl = 0x400;
constexpr uint32_t kDebugCtl = 0x1d9;
constexpr uint64_t kMcgCtlP = 1u << 8;  // IA32_MCG_CTL is present

[[noreturn]] void gp() {
  raise(kGP, 0);
}
// A bank MSR: its bank and register (CTL 0, STATUS 1, ADDR 2, MISC 3), or #GP
// past the banks the model has.
uint64_t& bank_reg(Engine& e, uint32_t i) {
  const unsigned bank = (i - kMc0Ctl) / 4;
  if (!e.cpuid().has_mca() || bank >= e.cpuid().mce_banks()) gp();
  return e.s.mc.bank[bank][(i - kMc0Ctl) % 4];
}

uint64_t rd_mcg(Engine& e, uint32_t i) {
  if (!e.cpuid().has_mca()) gp();
  if (i == kMcgCap) return e.cpuid().mce_banks() | kMcgCtlP;
  return i == kMcgStatus ? e.s.mc.mcg_status : e.s.mc.mcg_ctl;
}

void wr_mcg(Engine& e, uint32_t i, uint64_t v) {
  if (!e.cpuid().has_mca()) gp();
  if (i == kMcgStatus) {
    if (v & ~0xfull) gp();  // RIPV, EIPV, MCIP, LMCE_S
    e.s.mc.mcg_status = v;
  } else {
    if (v != 0 && v != ~0ull) gp();  // 16.3.1.3: all ones or all zeros
    e.s.mc.mcg_ctl = v;
  }
}

uint64_t rd_bank(Engine& e, uint32_t i) {
  return bank_reg(e, i);
}

void wr_bank(Engine& e, uint32_t i, uint64_t v) {
  uint64_t& r = bank_reg(e, i);
  // IA32_MCi_CTL takes all 0s or all 1s (16.3.2.1, as MCG_CTL); bits 0 and
  // 10 may be left clear (the AMD K8 GART-error quirk operating systems apply).
  if ((i - kMc0Ctl) % 4 == 0 && v != 0 && (v | 1 | 1u << 10) != ~0ull) gp();
  // 16.3.2.2: software clears IA32_MCi_STATUS by writing 0; writing 1s is #GP.
  if ((i - kMc0Ctl) % 4 == 1 && v != 0) gp();
  r = v;
}

uint64_t debugctl_allowed(const Engine& e) {
  // LBR (0), BTF (1); Intel: FREEZE_LBRS_ON_PMI (11), FREEZE_PERFMON_ON_PMI (12).
  return e.cpuid().is_amd() ? 0x3 : 0x3 | 1u << 11 | 1u << 12;
}
uint64_t rd_debugctl(Engine& e, uint32_t) {
  return e.s.debugctl;
}
void wr_debugctl(Engine& e, uint32_t, uint64_t v) {
  if (v & ~debugctl_allowed(e)) gp();
  e.s.debugctl = v;
}

// The last-branch and last-exception records (1DBh-1DEh: LastBranchFromIP,
// LastBranchToIP, LastExceptionFromIP, LastExceptionToIP; read-only),
// written while DEBUGCTL.LBR is set (sys/lbr.h).
uint64_t rd_last_branch(Engine& e, uint32_t i) {
  const ArchState& s = e.s;
  return i == 0x1db ? s.lbr_from : i == 0x1dc ? s.lbr_to : i == 0x1dd ? s.lbr_int_from : s.lbr_int_to;
}

}  // namespace

void append_mce_msrs(std::vector<MsrDef>& t) {
  t.push_back({kMcgCap, "IA32_MCG_CAP", &rd_mcg, nullptr});
  t.push_back({kMcgStatus, "IA32_MCG_STATUS", &rd_mcg, &wr_mcg});
  t.push_back({kMcgCtl, "IA32_MCG_CTL", &rd_mcg, &wr_mcg});
  static const char* kReg[4] = {"IA32_MC%u_CTL", "IA32_MC%u_STATUS", "IA32_MC%u_ADDR",
                                "IA32_MC%u_MISC"};
  static char names[MachineCheckState::kMaxBanks * 4][24];
  for (uint32_t b = 0; b < MachineCheckState::kMaxBanks; ++b)
    for (uint32_t r = 0; r < 4; ++r) {
      char* n = names[b * 4 + r];
      std::snprintf(n, sizeof names[0], kReg[r], b);
      t.push_back({kMc0Ctl + 4 * b + r, n, &rd_bank, &wr_bank});
    }
  t.push_back({kDebugCtl, "IA32_DEBUGCTL", &rd_debugctl, &wr_debugctl});
  t.push_back({0x1db, "LASTBRANCHFROMIP", &rd_last_branch, nullptr});
  t.push_back({0x1dc, "LASTBRANCHTOIP", &rd_last_branch, nullptr});
  t.push_back({0x1dd, "LASTINTFROMIP", &rd_last_branch, nullptr});
  t.push_back({0x1de, "LASTINTTOIP", &rd_last_branch, nullptr});
}

}  // namespace hvsim::core::sys
