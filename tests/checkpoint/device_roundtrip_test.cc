// Every device's checkpoint state (checkpoint::Access::dev): program a
// device through its registers, save it, load the archive into a fresh
// device, and compare: the reloaded device saves the same bytes and answers
// its registers as the original does.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>

#include "sim/checkpoint/access_impl.h"
#include "tests/unit/intc/fake_timer_host.h"

namespace hvsim::checkpoint {
namespace {

using namespace hvsim::platform;
using intc::test::FakeTimerHost;

template <class D>
std::string save(D& d) {
  std::ostringstream os;
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    Access::dev(ar, d);
  }
  return os.str();
}

template <class D>
void load(D& d, const std::string& bytes) {
  std::istringstream is(bytes);
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  Access::dev(ar, d);
}

// Saves `a`, loads into `b` (built fresh), checks b saves the same bytes and
// differs from a fresh device (so the test shows state moved).
template <class D>
void round_trip(D& a, D& b, const std::string& fresh) {
  const std::string saved = save(a);
  EXPECT_NE(saved, fresh) << "the test did not change the device's state";
  load(b, saved);
  EXPECT_EQ(save(b), saved);
}

TEST(DeviceRoundTrip, Uart16550) {
  StringSink s1, s2;
  Uart16550 a(s1), b(s2);
  const std::string fresh = save(b);
  a.write(Uart16550::LCR, 0x83, 1);  // DLAB
  a.write(Uart16550::RBR_THR_DLL, 0x01, 1);
  a.write(Uart16550::LCR, 0x03, 1);
  a.write(Uart16550::IER_DLM, 0x03, 1);
  a.write(Uart16550::SCR, 0x5a, 1);
  round_trip(a, b, fresh);
  for (unsigned r : {Uart16550::IER_DLM, Uart16550::LCR, Uart16550::SCR, Uart16550::LSR})
    EXPECT_EQ(b.read(r, 1), a.read(r, 1)) << r;
}

TEST(DeviceRoundTrip, Pic8259Pair) {
  Pic8259 a, b;
  const std::string fresh = save(b);
  for (uint8_t v : {0x11, 0x20, 0x04, 0x01}) a.write(v == 0x11 ? 0 : 1, v, 1);  // ICW1-4
  a.write(1, 0xfa, 1);  // IMR
  a.set_irq(0, true);
  round_trip(a, b, fresh);
  EXPECT_EQ(b.imr(), 0xfau);
  EXPECT_EQ(b.irr(), a.irr());
  EXPECT_EQ(b.vector_base(), 0x20u);
}

TEST(DeviceRoundTrip, CmosRtcAndAcpiPm) {
  uint64_t cycles = 5'000'000;
  CmosRtc a([&] { return cycles; }, 1'000'000, 1735689600, 128ull << 20);
  CmosRtc b([&] { return cycles; }, 1'000'000, 1735689600, 128ull << 20);
  const std::string fresh = save(b);
  a.write(0, 0x40, 1);  // index: CMOS RAM byte 0x40
  a.write(1, 0x99, 1);
  a.write(0, 0x0b, 1);  // status B: BCD off
  a.write(1, 0x06, 1);
  round_trip(a, b, fresh);
  for (uint8_t reg : {0x00, 0x02, 0x04, 0x0b, 0x40}) {
    a.write(0, reg, 1);
    b.write(0, reg, 1);
    EXPECT_EQ(b.read(1, 1), a.read(1, 1)) << int(reg);
  }
  AcpiPm pa([&] { return cycles; }, 1'000'000, nullptr), pb([&] { return cycles; }, 1'000'000, nullptr);
  const std::string pfresh = save(pb);
  pa.write(2, 0x0121, 2);  // PM1a_EN
  round_trip(pa, pb, pfresh);
  EXPECT_EQ(pb.read(2, 2), pa.read(2, 2));
}

TEST(DeviceRoundTrip, FwCfgI8042PciHostDebugExit) {
  FwCfg fa(128ull << 20, 1), fb(128ull << 20, 1);
  std::string fresh = save(fb);
  fa.write(0, 0x0000, 2);  // select the signature
  fa.read(1, 1);           // one byte in
  round_trip(fa, fb, fresh);
  EXPECT_EQ(fb.read(1, 1), fa.read(1, 1));

  auto no_reset = [] {};
  auto no_irq = [](unsigned, bool) {};
  I8042 ka(no_reset, no_irq), kb(no_reset, no_irq);
  fresh = save(kb);
  ka.command_port.write(0, 0x20, 1);  // read the command byte: one byte queued
  ka.command_port.write(0, 0xd1, 1);  // write output port: waits for data
  round_trip(ka, kb, fresh);
  EXPECT_EQ(kb.command_port.read(0, 1), ka.command_port.read(0, 1));
  EXPECT_EQ(kb.data_port.read(0, 1), ka.data_port.read(0, 1));

  PciHost pa(no_reset), pb(no_reset);
  fresh = save(pb);
  pa.write(0, 0x80000004, 4);  // CONFIG_ADDRESS: bus 0 dev 0, register 4
  pa.write(4, 0x0007, 2);      // COMMAND
  round_trip(pa, pb, fresh);
  EXPECT_EQ(pb.read(0, 4), 0x80000004u);
  EXPECT_EQ(pb.read(4, 2), pa.read(4, 2));

  DebugExit da([](uint8_t, uint16_t) {}), db([](uint8_t, uint16_t) {});
  fresh = save(db);
  da.write(0, 1, 1);
  round_trip(da, db, fresh);
}

TEST(DeviceRoundTrip, IoApicLocalApicAndPitWithTheirTimers) {
  FakeTimerHost h1, h2;
  intc::LocalApicParams p{0, true, 3'000'000'000, 1'000'000'000, true};
  intc::LocalApic la(p, h1), lb(p, h2);
  std::string fresh = save(lb);
  la.write(0xf0, 0x1ff, 4);     // SVR: enabled, vector 0xff
  la.write(0x80, 0x20, 4);      // TPR
  la.write(0x3e0, 0x3, 4);      // divide by 16
  la.write(0x320, 0x20030, 4);  // LVT timer: periodic, vector 0x30
  la.write(0x380, 100000, 4);   // initial count: armed
  round_trip(la, lb, fresh);
  for (unsigned reg : {0x80u, 0xf0u, 0x320u, 0x380u, 0x3e0u})
    EXPECT_EQ(lb.read(reg, 4), la.read(reg, 4)) << reg;

  intc::IoApic ia(la), ib(lb);
  fresh = save(ib);
  ia.write(0x00, 0x10, 4);  // IOREGSEL: pin 0, low
  ia.write(0x10, 0x1a031, 4);
  round_trip(ia, ib, fresh);
  ib.write(0x00, 0x10, 4);
  EXPECT_EQ(ib.read(0x10, 4), ia.read(0x10, 4));

  intc::Pit8254 pa(h1, 3'000'000'000), pb(h2, 3'000'000'000);
  fresh = save(pb);
  pa.write(3, 0x34, 1);  // channel 0, LSB then MSB, mode 2
  pa.write(0, 0x9c, 1);
  pa.write(0, 0x2e, 1);  // 11932: about 100 Hz
  h1.advance(1000000);
  round_trip(pa, pb, fresh);
  h2.advance_to(h1.now());  // the same absolute time on both clocks (the time base)
  pa.write(3, 0x00, 1);  // latch channel 0 on both
  pb.write(3, 0x00, 1);
  EXPECT_EQ(pb.read(0, 1), pa.read(0, 1));
}

}  // namespace
}  // namespace hvsim::checkpoint

// libsystemc references sc_main; these tests elaborate no SystemC model.
int sc_main(int, char*[]) { return 0; }
