#include "sim/platform/devices/serial_sink.h"

#include <cerrno>
#include <cstring>

#include "sim/base/params.h"

namespace hvsim::platform {

StreamSink::~StreamSink() {
  flush();
  if (owned_) std::fclose(f_);
}

void StreamSink::put(uint8_t byte) {
  std::fputc(byte, f_);
  if (byte == '\n') std::fflush(f_);
}

void StreamSink::flush() {
  std::fflush(f_);
}

std::unique_ptr<SerialSink> make_serial_sink(const std::string& where) {
  if (where.empty()) return std::make_unique<NullSink>();
  if (where == "stdout") return std::make_unique<StreamSink>(stdout, false);
  if (where == "stderr") return std::make_unique<StreamSink>(stderr, false);
  std::FILE* f = std::fopen(where.c_str(), "wb");
  if (!f) {
    throw hvsim::base::ConfigError("platform.serial_out: cannot create '" + where +
                                   "': " + std::strerror(errno));
  }
  return std::make_unique<StreamSink>(f, true);
}

}  // namespace hvsim::platform
