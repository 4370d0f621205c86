// The extension registry: an extension declared in a test file registers by
// its static registrar alone, is off by default, its parameters are
// declared, and when enabled its instruction, CPUID bit and statistics work.
#include <gtest/gtest.h>

#include "machine.h"
#include "sim/base/stats.h"
#include "sim/core/cpuid.h"
#include "sim/ext/registry.h"

namespace hvsim::ext {
namespace {

using namespace core;
using namespace core::testing;

// A test extension: 0F 04 (undefined in the SDM) loads RAX with
// ext.probe.value and counts itself.
struct Probe final : Extension {
  explicit Probe(const base::Config& cfg) : value(cfg.get_uint("ext.probe.value")) {}
  unsigned decode(const uint8_t* b, size_t avail, unsigned, DecodedInsn& d) const override {
    if (avail < 2 || b[0] != 0x0f || b[1] != 0x04) return 0;
    d.exec = [](Engine& e, const DecodedInsn& di) {
      auto* p = static_cast<Probe*>(const_cast<void*>(di.aux));
      e.s.gpr[RAX] = p->value;
      ++p->count;
    };
    d.tclass = timing::k_mul;
    d.aux = this;
    return 2;
  }
  void register_stats(base::StatRegistry& s) override {
    s.add_counter("ext.probe.count", &count, "count", "probes executed");
  }
  uint64_t value;
  mutable uint64_t count = 0;
};

const Info kProbe{"probe", "test extension: 0F 04 loads RAX", 31, 0, 0,
                  [](base::ParamRegistry& r) {
                    r.add_uint("ext.probe.value", 42, "", "what 0F 04 loads into RAX");
                  },
                  [](Engine&, const base::Config& c) -> std::unique_ptr<Extension> {
                    return std::make_unique<Probe>(c);
                  }};
const Registrar kProbeRegistrar{kProbe};

struct ProbeMachine : Machine {
  explicit ProbeMachine(std::vector<std::string> sets) {
    auto c = std::make_unique<base::Config>(reg);
    for (const std::string& s : sets) c->set_override(s);
    e = std::make_unique<Engine>(bus, *c);
    cfg = std::move(c);
    write_gdt();
    enter_long64();
  }
};

TEST(ExtRegistry, ShippedAndTestExtensionsAreRegisteredSorted) {
  ASSERT_NE(find("fastcall"), nullptr);
  ASSERT_NE(find("probe"), nullptr);
  EXPECT_EQ(find("nosuch"), nullptr);
  const auto& all = registered();
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(std::string(all[i - 1]->name), all[i]->name);
}

TEST(ExtRegistry, DuplicateNameOrCpuidBitThrows) {
  Info dup = kProbe;
  EXPECT_THROW(Registrar{dup}, std::logic_error);
  Info bit = kProbe;
  bit.name = "probe2";
  EXPECT_THROW(Registrar{bit}, std::logic_error);  // bit 31 is probe's
}

TEST(ExtRegistry, ParamsDeclaredAndOffByDefault) {
  base::ParamRegistry reg;
  Engine::declare_params(reg);
  for (const char* k : {"ext.probe.enabled", "ext.probe.value", "ext.fastcall.enabled",
                        "ext.fastcall.call_cycles", "ext.fastcall.ret_cycles"})
    EXPECT_NE(reg.find(k), nullptr) << k;
  base::Config cfg(reg);
  EXPECT_FALSE(cfg.get_bool("ext.probe.enabled"));
  EXPECT_FALSE(cfg.get_bool("ext.fastcall.enabled"));
  EXPECT_EQ(reg.find("ext.fastcall.call_cycles")->unit, "cycles");
}

TEST(ExtRegistry, OffMeansUndefinedOpcodeAndNoCpuidLeaf) {
  ProbeMachine m({});
  EXPECT_TRUE(m.e->extensions().empty());
  const CpuidResult r = m.e->cpuid_model().query(kCpuidLeaf, 0);
  EXPECT_EQ(r.eax | r.ebx | r.ecx | r.edx, 0u);
  m.load(kCode, {0x0f, 0x04, 0xf4});
  m.run(10);
  EXPECT_EQ(m.s().gpr[R14], 6u);  // #UD
}

TEST(ExtRegistry, EnabledExtensionDecodesRunsAndAdvertises) {
  ProbeMachine m({"ext.probe.enabled=true", "ext.probe.value=7"});
  ASSERT_NE(m.e->extensions().get("probe"), nullptr);
  EXPECT_EQ(m.e->extensions().get("fastcall"), nullptr);
  const CpuidResult r = m.e->cpuid_model().query(kCpuidLeaf, 0);
  EXPECT_EQ(r.eax, 1u << 31);
  EXPECT_EQ(r.ebx, 0x69737668u);  // "hvsi"
  base::StatRegistry stats;
  m.e->extensions().register_stats(stats);
  m.load(kCode, {0x0f, 0x04, 0x0f, 0x04, 0xf4});
  const uint64_t c0 = m.e->cycles();
  m.run(10);
  EXPECT_EQ(m.s().gpr[RAX], 7u);
  EXPECT_EQ(m.s().gpr[R14], 0u);  // no exception
  EXPECT_EQ(static_cast<Probe*>(m.e->extensions().get("probe"))->count, 2u);
  EXPECT_GE(m.e->cycles() - c0, 2 * 3u);  // timing class mul (3 cycles) each
}

}  // namespace
}  // namespace hvsim::ext
