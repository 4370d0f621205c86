// Paravirtual event names (sim/virt/pv_events.h) and their path through the
// exit tracker: counted and timed per name, Arch::kPv, "pv_<n>" when unnamed.
#include "sim/virt/pv_events.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/base/stats.h"
#include "sim/virt/exit_tracker.h"

namespace hvsim::virt {
namespace {

TEST(PvEvents, NamesFollowXenAndTheSdm) {
  EXPECT_STREQ(pv_event_name(1), "hypercall_mmu_update");
  EXPECT_STREQ(pv_event_name(13), "hypercall_multicall");
  EXPECT_STREQ(pv_event_name(14), "hypercall_update_va_mapping");
  EXPECT_STREQ(pv_event_name(23), "hypercall_iret");
  EXPECT_STREQ(pv_event_name(26), "hypercall_mmuext_op");
  EXPECT_STREQ(pv_event_name(29), "hypercall_sched_op");
  EXPECT_STREQ(pv_event_name(33), "hypercall_physdev_op");
  EXPECT_STREQ(pv_event_name(0x100 + 14), "bounce_PF");
  EXPECT_STREQ(pv_event_name(0x100 + 0), "bounce_DE");
  EXPECT_STREQ(pv_event_name(0x100 + 13), "bounce_GP");
  EXPECT_STREQ(pv_event_name(0x180), "bounce_int");
  EXPECT_STREQ(pv_event_name(0x200), "syscall");
  EXPECT_STREQ(pv_event_name(0x201), "upcall");
  EXPECT_STREQ(pv_event_name(0x202), "emulate_io");
  EXPECT_STREQ(pv_event_name(11), "");  // no hypercall 11 in Xen
  EXPECT_STREQ(pv_event_name(0x300), "");
}

TEST(PvEvents, TrackedPerNameWithTheirCycles) {
  base::StatRegistry stats;
  ExitTracker t;
  t.register_stats(stats);
  auto event = [&](uint64_t code, uint64_t begin, uint64_t end) {
    ExitRecord r;
    r.arch = Arch::kPv;
    r.reason = static_cast<uint32_t>(code);
    r.reason_name = pv_event_name(code);
    r.cycle = begin;
    t.on_exit(r);
    t.on_entry(end, 0);
  };
  event(1, 100, 400);    // mmu_update: 300 cycles
  event(1, 1000, 1100);  // 100
  event(0x10e, 2000, 2500);
  event(0x300, 3000, 3010);
  t.finish(4000);
  EXPECT_EQ(t.exits(), 4u);
  EXPECT_EQ(stats.value("virt.exits.hypercall_mmu_update"), 2u);
  EXPECT_EQ(stats.value("virt.exit_time.hypercall_mmu_update"), 400u);
  EXPECT_EQ(stats.value("virt.exits.bounce_PF"), 1u);
  EXPECT_EQ(stats.value("virt.exit_time.bounce_PF"), 500u);
  EXPECT_EQ(stats.value("virt.exits.pv_768"), 1u);
  const std::string summary = t.summary_text();
  EXPECT_NE(summary.find("hypercall_mmu_update"), std::string::npos) << summary;
  EXPECT_NE(summary.find("bounce_PF"), std::string::npos) << summary;
}

}  // namespace
}  // namespace hvsim::virt
