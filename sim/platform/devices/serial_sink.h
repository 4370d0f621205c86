// Where the UART's transmitted bytes go: a host stream (stdout by default),
// a file, a string (tests), or nowhere. Output is line-buffered: flushed at
// each newline and at the end of the run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace hvsim::platform {

class SerialSink {
 public:
  virtual ~SerialSink() = default;
  virtual void put(uint8_t byte) = 0;
  virtual void flush() {}
};

// Writes to a C stream it may own (a file) or borrow (stdout, stderr).
class StreamSink : public SerialSink {
 public:
  StreamSink(std::FILE* f, bool owned) : f_(f), owned_(owned) {}
  ~StreamSink() override;
  void put(uint8_t byte) override;
  void flush() override;

 private:
  std::FILE* f_;
  bool owned_;
};

class StringSink : public SerialSink {
 public:
  void put(uint8_t byte) override { text.push_back(char(byte)); }
  std::string text;
};

class NullSink : public SerialSink {
 public:
  void put(uint8_t) override {}
};

// "stdout", "stderr", "" (discard) or a file path; throws base::ConfigError
// when the file cannot be created.
std::unique_ptr<SerialSink> make_serial_sink(const std::string& where);

}  // namespace hvsim::platform
