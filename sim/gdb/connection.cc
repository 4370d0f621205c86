#include "sim/gdb/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/base/params.h"

namespace hvsim::gdb {

Connection::Connection(uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw base::ConfigError(std::string("--gdb: socket: ") + strerror(errno));
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // local debuggers only
  a.sin_port = htons(port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 1) != 0) {
    const std::string why = strerror(errno);
    ::close(listen_fd_);
    throw base::ConfigError("--gdb " + std::to_string(port) + ": cannot listen: " + why);
  }
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

Connection::~Connection() {
  close();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void Connection::accept_client() {
  for (;;) {
    fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd_ >= 0 || errno != EINTR) break;
  }
  if (fd_ < 0) {
    closed_ = true;
    return;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::close(listen_fd_);  // one debugger per run
  listen_fd_ = -1;
}

void Connection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  closed_ = true;
}

bool Connection::read_byte(char* c, bool block) {
  if (fd_ < 0) return false;
  if (!block) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
  }
  for (;;) {
    const ssize_t n = ::read(fd_, c, 1);
    if (n == 1) return true;
    if (n < 0 && errno == EINTR) continue;
    close();  // EOF or error: gdb went away
    return false;
  }
}

std::string Connection::read_packet() {
  char c;
  while (read_byte(&c, true)) {
    switch (reader_.feed(c)) {
      case PacketReader::Kind::kPacket:
        (void)::write(fd_, "+", 1);
        return reader_.packet();
      case PacketReader::Kind::kBadChecksum:
        (void)::write(fd_, "-", 1);
        break;
      case PacketReader::Kind::kInterrupt:
        return "\x03";
      default:
        break;
    }
  }
  return "";
}

void Connection::send_packet(const std::string& payload) {
  if (fd_ < 0) return;
  const std::string f = frame(payload);
  for (int attempt = 0; attempt < 8; ++attempt) {
    size_t off = 0;
    while (off < f.size()) {
      const ssize_t n = ::write(fd_, f.data() + off, f.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close();
        return;
      }
      off += static_cast<size_t>(n);
    }
    // Wait for the acknowledgment; '-' asks for the packet again.
    char c;
    for (;;) {
      if (!read_byte(&c, true)) return;
      if (c == '+') return;
      if (c == '-') break;
      if (c == '\x03') continue;  // an interrupt racing the reply: the stub is stopped anyway
    }
  }
}

bool Connection::poll_interrupt() {
  char c;
  while (read_byte(&c, false)) {
    if (reader_.feed(c) == PacketReader::Kind::kInterrupt) return true;
  }
  return false;
}

}  // namespace hvsim::gdb
