// One TCP connection to gdb on the loopback interface: listen at
// construction (so a bad or busy port is reported before the run starts),
// accept on the first use, then whole packets in and out with the
// protocol's acknowledgments.
#pragma once

#include <cstdint>
#include <string>

#include "sim/gdb/rsp.h"

namespace hvsim::gdb {

class Connection {
 public:
  // Port 0: the system picks one (port() tells which). Throws
  // base::ConfigError when the port cannot be bound.
  explicit Connection(uint16_t port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint16_t port() const { return port_; }
  bool connected() const { return fd_ >= 0; }
  void accept_client();  // blocks until gdb connects

  // The next packet's payload (acknowledged); an interrupt byte arriving
  // here is returned as "\x03". Empty optional-like "" with closed() true
  // when gdb went away.
  std::string read_packet();
  void send_packet(const std::string& payload);
  // Without blocking: true when gdb sent the interrupt byte (Ctrl-C).
  bool poll_interrupt();
  bool closed() const { return closed_; }
  void close();

 private:
  bool read_byte(char* c, bool block);

  int listen_fd_ = -1, fd_ = -1;
  uint16_t port_ = 0;
  bool closed_ = false;
  PacketReader reader_;
};

}  // namespace hvsim::gdb
