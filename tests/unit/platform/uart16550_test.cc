// COM1 16550 registers (PC16550D datasheet, table 2) through read()/write().
#include "sim/platform/devices/uart16550.h"

#include <gtest/gtest.h>

#include <vector>

namespace hvsim::platform {
namespace {

class UartTest : public ::testing::Test {
 protected:
  StringSink sink;
  Uart16550 uart{sink};
  RegisterDevice& dev = uart;
};

TEST_F(UartTest, ThrWritesReachTheSinkAndCount) {
  for (char c : std::string("hi\n")) dev.write(Uart16550::RBR_THR_DLL, uint8_t(c), 1);
  EXPECT_EQ(sink.text, "hi\n");
  EXPECT_EQ(uart.bytes_written, 3u);
}

TEST_F(UartTest, LsrReportsTransmitterEmpty) {
  EXPECT_EQ(dev.read(Uart16550::LSR, 1), 0x60u);
  dev.write(Uart16550::RBR_THR_DLL, 'x', 1);
  EXPECT_EQ(dev.read(Uart16550::LSR, 1), 0x60u);
}

TEST_F(UartTest, IirSaysNoInterruptAndFifoBits) {
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0x01u);
  dev.write(Uart16550::IIR_FCR, 0xc7, 1);  // enable + clear FIFOs, trigger 14
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0xc1u);
}

TEST_F(UartTest, RbrReadsZero) {
  EXPECT_EQ(dev.read(Uart16550::RBR_THR_DLL, 1), 0u);
}

TEST_F(UartTest, DlabSelectsDivisorLatch) {
  dev.write(Uart16550::IER_DLM, 0x05, 1);      // IER
  dev.write(Uart16550::LCR, 0x83, 1);          // DLAB=1, 8N1
  dev.write(Uart16550::RBR_THR_DLL, 0x01, 1);  // DLL: 115200 baud
  dev.write(Uart16550::IER_DLM, 0x00, 1);      // DLM
  EXPECT_EQ(dev.read(Uart16550::RBR_THR_DLL, 1), 0x01u);
  EXPECT_EQ(dev.read(Uart16550::IER_DLM, 1), 0x00u);
  EXPECT_TRUE(sink.text.empty()) << "a DLL write is not a transmitted byte";
  dev.write(Uart16550::LCR, 0x03, 1);  // DLAB=0
  EXPECT_EQ(dev.read(Uart16550::LCR, 1), 0x03u);
  EXPECT_EQ(dev.read(Uart16550::IER_DLM, 1), 0x05u);
}

TEST_F(UartTest, IerMcrScrReadBackWithReservedBitsClear) {
  dev.write(Uart16550::IER_DLM, 0xff, 1);
  dev.write(Uart16550::MCR, 0xff, 1);
  dev.write(Uart16550::SCR, 0xa5, 1);
  EXPECT_EQ(dev.read(Uart16550::IER_DLM, 1), 0x0fu);
  EXPECT_EQ(dev.read(Uart16550::MCR, 1), 0x1fu);
  EXPECT_EQ(dev.read(Uart16550::SCR, 1), 0xa5u);
}

TEST_F(UartTest, LoopbackFeedsReceiverAndModemStatus) {
  dev.write(Uart16550::MCR, 0x1e, 1);  // loopback, RTS, OUT1, OUT2 (Linux's probe)
  EXPECT_EQ(dev.read(Uart16550::MSR, 1) & 0xf0, 0xd0u);
  dev.write(Uart16550::RBR_THR_DLL, 0xae, 1);
  EXPECT_TRUE(sink.text.empty());
  EXPECT_EQ(dev.read(Uart16550::LSR, 1), 0x61u);
  EXPECT_EQ(dev.read(Uart16550::RBR_THR_DLL, 1), 0xaeu);
  EXPECT_EQ(dev.read(Uart16550::LSR, 1), 0x60u);
}

TEST_F(UartTest, WordAccessSplitsIntoBytes) {
  dev.write(Uart16550::RBR_THR_DLL, 0x0300 | 'A', 2);  // THR='A', IER=3
  EXPECT_EQ(sink.text, "A");
  EXPECT_EQ(dev.read(Uart16550::IER_DLM, 1), 0x03u);
  EXPECT_EQ(dev.read(Uart16550::LCR, 4), 0xb0600000u | 0x00u);  // LCR, MCR, LSR, MSR
}

// Interrupts (PC16550D table 4): THRE raised when ETBEI is enabled with THR
// empty and after each byte, cleared by an IIR read; the line is gated by OUT2.
class UartIrqTest : public UartTest {
 protected:
  std::vector<bool> edges;
  void SetUp() override {
    uart.set_irq_output([this](bool l) { edges.push_back(l); });
  }
};

TEST_F(UartIrqTest, ThreInterruptNeedsOut2) {
  dev.write(Uart16550::IER_DLM, 0x02, 1);  // ETBEI, OUT2 off
  EXPECT_TRUE(edges.empty());
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1) & 0x0f, 0x02u);  // THRE identified
  dev.write(Uart16550::IER_DLM, 0x00, 1);
  dev.write(Uart16550::MCR, 0x08, 1);  // OUT2
  dev.write(Uart16550::IER_DLM, 0x02, 1);
  EXPECT_EQ(edges, std::vector<bool>{true});
  EXPECT_TRUE(uart.irq_level());
}

TEST_F(UartIrqTest, IirReadClearsThreAndThrWriteRaisesItAgain) {
  dev.write(Uart16550::MCR, 0x08, 1);
  dev.write(Uart16550::IER_DLM, 0x02, 1);
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0x02u);
  EXPECT_FALSE(uart.irq_level());
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0x01u);  // nothing pending now
  edges.clear();
  dev.write(Uart16550::RBR_THR_DLL, 'x', 1);
  EXPECT_EQ(edges, std::vector<bool>{true});  // a rising edge for the PIC
  EXPECT_EQ(sink.text, "x");
}

TEST_F(UartIrqTest, ReceivedDataOutranksThre) {
  dev.write(Uart16550::MCR, 0x18, 1);      // loopback, OUT2
  dev.write(Uart16550::IER_DLM, 0x03, 1);  // ERBFI, ETBEI
  dev.write(Uart16550::RBR_THR_DLL, 0x41, 1);
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0x04u);
  EXPECT_EQ(dev.read(Uart16550::RBR_THR_DLL, 1), 0x41u);
  EXPECT_EQ(dev.read(Uart16550::IIR_FCR, 1), 0x02u);
}

}  // namespace
}  // namespace hvsim::platform
