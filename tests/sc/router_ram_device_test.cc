// Router + Ram + a device through TLM-2.0 (IEEE 1666-2011 sections 11, 14):
// address decoding and translation, DMI ranges translated back to global
// addresses, address errors for holes, the device wrapper's delay.
#include <gtest/gtest.h>

#include <tlm_utils/simple_initiator_socket.h>
#include <cstring>

#include "sc_test_main.h"
#include "sim/platform/devices/port80.h"
#include "sim/platform/devices/uart16550.h"
#include "sim/platform/tlm/device_target.h"
#include "sim/platform/tlm/ram.h"
#include "sim/platform/tlm/router.h"

namespace hvsim::platform {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

constexpr uint64_t kRamBytes = 1 << 20;
constexpr uint64_t kHighBase = 1ull << 32;  // second window: RAM offset 0x80000 at 4 GiB
constexpr uint64_t kUartBase = 0x3f8, kPort80Base = 0x80;  // on the same bus here
const sc_time kCycle(1, SC_NS);

struct Bench : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Bench> socket{"socket"};
  StringSink serial;
  Uart16550 uart{serial};
  Port80 port80{3000};
  Router bus{"bus"};
  Ram ram{"ram", std::make_unique<HostMemory>(kRamBytes), sc_time(2, SC_NS), sc_time(3, SC_NS)};
  DeviceTarget uart_t{"uart", uart, kCycle};
  DeviceTarget port80_t{"port80", port80, kCycle};

  explicit Bench(sc_core::sc_module_name n) : sc_module(n) {
    socket.bind(bus.target_socket);
    const unsigned r = bus.bind_target(ram.socket);
    bus.map(0x100000, 0x80000, r, 0, "ram_low");
    bus.map(kHighBase, 0x80000, r, 0x80000, "ram_high");
    bus.map(kUartBase, 8, bus.bind_target(uart_t.socket), 0, "uart");
    bus.map(kPort80Base, 1, bus.bind_target(port80_t.socket), 0, "port80");
  }

  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len,
                                  sc_time& delay) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(len);
    tx.set_streaming_width(len);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx, delay);
    EXPECT_EQ(tx.get_address(), addr) << "the router restores the global address";
    return tx.get_response_status();
  }
  tlm::tlm_response_status write32(uint64_t addr, uint32_t v, sc_time& d) {
    return access(tlm::TLM_WRITE_COMMAND, addr, &v, 4, d);
  }
  uint32_t read32(uint64_t addr, tlm::tlm_response_status* st = nullptr) {
    uint32_t v = 0;
    sc_time d = sc_core::SC_ZERO_TIME;
    auto s = access(tlm::TLM_READ_COMMAND, addr, &v, 4, d);
    if (st) *st = s;
    return v;
  }
};

Bench* bench = nullptr;

}  // namespace
}  // namespace hvsim::platform

namespace hvsim::test {
std::unique_ptr<sc_core::sc_module> build_model() {
  auto b = std::make_unique<platform::Bench>("bench");
  platform::bench = b.get();
  return b;
}
}  // namespace hvsim::test

namespace hvsim::platform {
namespace {

TEST(RouterRam, BTransportTranslatesAndAnnotatesLatency) {
  sc_time d = sc_core::SC_ZERO_TIME;
  EXPECT_EQ(bench->write32(0x101000, 0xdeadbeef, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, sc_time(3, SC_NS));
  uint32_t host;
  std::memcpy(&host, bench->ram.memory().data() + 0x1000, 4);
  EXPECT_EQ(host, 0xdeadbeefu) << "global 0x101000 is RAM offset 0x1000";
  EXPECT_EQ(bench->read32(0x101000), 0xdeadbeefu);
}

TEST(RouterRam, SecondWindowUsesItsOffset) {
  sc_time d;
  EXPECT_EQ(bench->write32(kHighBase + 0x10, 0x12345678, d), tlm::TLM_OK_RESPONSE);
  uint32_t host;
  std::memcpy(&host, bench->ram.memory().data() + 0x80010, 4);
  EXPECT_EQ(host, 0x12345678u);
}

TEST(RouterRam, DmiRangeIsGlobalAndClippedToTheWindow) {
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi dmi;
  tx.set_address(0x123456);
  ASSERT_TRUE(bench->socket->get_direct_mem_ptr(tx, dmi));
  EXPECT_TRUE(dmi.is_read_write_allowed());
  EXPECT_EQ(dmi.get_start_address(), 0x100000u);
  EXPECT_EQ(dmi.get_end_address(), 0x17ffffu);
  EXPECT_EQ(dmi.get_dmi_ptr(), bench->ram.memory().data());
  EXPECT_EQ(dmi.get_read_latency(), sc_time(2, SC_NS));

  tx.set_address(kHighBase + 5);
  ASSERT_TRUE(bench->socket->get_direct_mem_ptr(tx, dmi));
  EXPECT_EQ(dmi.get_start_address(), kHighBase);
  EXPECT_EQ(dmi.get_end_address(), kHighBase + 0x7ffff);
  EXPECT_EQ(dmi.get_dmi_ptr(), bench->ram.memory().data() + 0x80000);
}

TEST(RouterRam, DmiWriteIsSeenByBTransport) {
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi dmi;
  tx.set_address(0x100000);
  ASSERT_TRUE(bench->socket->get_direct_mem_ptr(tx, dmi));
  const uint32_t v = 0xcafef00d;
  std::memcpy(dmi.get_dmi_ptr() + (0x100200 - dmi.get_start_address()), &v, 4);
  EXPECT_EQ(bench->read32(0x100200), v);
}

TEST(RouterRam, HolesAreAddressErrors) {
  tlm::tlm_response_status st;
  bench->read32(0x200000, &st);
  EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  bench->read32(0x17fffe, &st);  // crosses the end of ram_low
  EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi dmi;
  tx.set_address(0x200000);
  EXPECT_FALSE(bench->socket->get_direct_mem_ptr(tx, dmi));
  EXPECT_EQ(dmi.get_start_address(), 0x180000u) << "the denied range is the gap";
  EXPECT_EQ(dmi.get_end_address(), kHighBase - 1);
}

TEST(RouterRam, DebugTransport) {
  uint32_t v = 0x0badcafe;
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  tx.set_address(kHighBase + 0x40);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
  tx.set_data_length(4);
  EXPECT_EQ(bench->socket->transport_dbg(tx), 4u);
  EXPECT_EQ(bench->read32(kHighBase + 0x40), v);
  tx.set_address(0x50000000);
  EXPECT_EQ(bench->socket->transport_dbg(tx), 0u);
}

TEST(RouterDevice, UartThroughBTransport) {
  sc_time d = sc_core::SC_ZERO_TIME;
  uint8_t c = 'Z';
  EXPECT_EQ(bench->access(tlm::TLM_WRITE_COMMAND, kUartBase, &c, 1, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(bench->serial.text, "Z");
  EXPECT_EQ(d, sc_core::SC_ZERO_TIME);
  uint8_t lsr = 0;
  EXPECT_EQ(bench->access(tlm::TLM_READ_COMMAND, kUartBase + 5, &lsr, 1, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(lsr, 0x60);
  EXPECT_EQ(bench->uart_t.writes, 1u);
  EXPECT_EQ(bench->uart_t.reads, 1u);
}

TEST(RouterDevice, Port80AddsItsCyclesToTheDelay) {
  sc_time d(10, SC_NS);
  uint8_t v = 0x42;
  EXPECT_EQ(bench->access(tlm::TLM_WRITE_COMMAND, kPort80Base, &v, 1, d), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, sc_time(3010, SC_NS));
  EXPECT_EQ(bench->port80.last_value, 0x42);
}

TEST(RouterDevice, OversizedDeviceAccessIsABurstError) {
  sc_time d;
  uint64_t v = 0;
  EXPECT_EQ(bench->access(tlm::TLM_READ_COMMAND, kUartBase, &v, 8, d),
            tlm::TLM_BURST_ERROR_RESPONSE);
}

// The map's gaps, as the CPU module asks for them to answer unbacked
// accesses itself.
TEST(Router, GapIsTheUnmappedRangeAroundAnAddress) {
  uint64_t lo = 1, hi = 1;
  EXPECT_TRUE(bench->bus.gap(0x200000, &lo, &hi));
  EXPECT_EQ(lo, 0x180000u);
  EXPECT_EQ(hi, kHighBase - 1);
  EXPECT_TRUE(bench->bus.gap(0x3f7, &lo, &hi));  // between port80 and uart
  EXPECT_EQ(lo, kPort80Base + 1);
  EXPECT_EQ(hi, kUartBase - 1);
  EXPECT_TRUE(bench->bus.gap(kHighBase + 0x80000, &lo, &hi));  // above every window
  EXPECT_EQ(lo, kHighBase + 0x80000);
  EXPECT_EQ(hi, ~uint64_t{0});
  EXPECT_FALSE(bench->bus.gap(0x100000, &lo, &hi));
  EXPECT_FALSE(bench->bus.gap(kUartBase + 7, &lo, &hi));
}

TEST(Router, OverlappingWindowIsRejected) {
  EXPECT_THROW(bench->bus.map(0x17f000, 0x2000, 0, 0, "overlap"), std::logic_error);
}

}  // namespace
}  // namespace hvsim::platform
