// Exit-trace sinks: CSV, JSON Lines and Chrome trace events, written through
// one buffered file (no flush per exit).
#include "sim/virt/exit_sinks.h"

#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>

#include "sim/base/json.h"
#include "sim/base/log.h"
#include "sim/base/params.h"

namespace hvsim::virt {

namespace {

using base::json_string;

const char* arch_name(Arch a) {
  return a == Arch::kSvm ? "svm" : a == Arch::kPv ? "pv" : "vmx";
}
const char* name_of(const ExitRecord& r) { return r.reason_name ? r.reason_name : ""; }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string dec(uint64_t v) { return std::to_string(v); }


std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Microseconds, shortest text that reads back as the same double.
std::string micros(uint64_t cycles, uint64_t mhz) {
  const double us = static_cast<double>(cycles) / static_cast<double>(mhz);
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, us);
  return std::string(buf, res.ptr);
}

// Appends to a string and writes it out in large pieces.
class BufferedFile {
 public:
  BufferedFile(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (f_ == nullptr) {
      throw base::ConfigError("--trace-exits " + path + ": cannot be created (" +
                              std::strerror(errno) + ")");
    }
    buf_.reserve(kChunk + 4096);
  }
  ~BufferedFile() { close(); }
  BufferedFile(const BufferedFile&) = delete;
  BufferedFile& operator=(const BufferedFile&) = delete;

  void put(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kChunk) drain();
  }
  void close() {
    if (f_ == nullptr) return;
    drain();
    if (std::fclose(f_) != 0) failed_ = true;
    f_ = nullptr;
    if (failed_) base::log(base::Component::virt).error("exit trace {}: write failed", path_);
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  void drain() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      failed_ = true;
    buf_.clear();
  }

  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  bool failed_ = false;
};

class CsvSink : public ExitSink {
 public:
  explicit CsvSink(const std::string& path) : file_(path) { file_.put(csv_header() + "\n"); }
  void record(const ExitRecord& r) override { file_.put(csv_line(r) + "\n"); }
  void finish() override { file_.close(); }

 private:
  BufferedFile file_;
};

class JsonLinesSink : public ExitSink {
 public:
  explicit JsonLinesSink(const std::string& path) : file_(path) {}
  void record(const ExitRecord& r) override { file_.put(json_line(r) + "\n"); }
  void finish() override { file_.close(); }

 private:
  BufferedFile file_;
};

class ChromeTraceSink : public ExitSink {
 public:
  ChromeTraceSink(const std::string& path, uint64_t mhz) : file_(path), mhz_(mhz ? mhz : 1) {
    file_.put("{\"traceEvents\":[\n");
    event(R"({"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"hvsim"}})");
  }
  ~ChromeTraceSink() override { finish(); }

  void record(const ExitRecord& r) override {
    const uint32_t tid = track(r.vcpu) + 1;
    const std::string name = json_string(name_of(r));
    std::string e = "{\"name\":" + name + ",\"cat\":\"vmexit\",\"ph\":\"X\",\"pid\":1,\"tid\":" +
                    dec(tid) + ",\"ts\":" + micros(r.cycle, mhz_) +
                    ",\"dur\":" + micros(r.host_cycles, mhz_) + ",\"args\":{";
    e += "\"cycle\":" + dec(r.cycle) + ",\"vcpu\":" + dec(r.vcpu) + ",\"arch\":\"" +
         arch_name(r.arch) + "\",\"reason\":" + dec(r.reason) + ",\"reason_name\":" + name +
         ",\"qualification\":\"" + hex(r.qualification) + "\",\"info2\":\"" + hex(r.info2) +
         "\",\"guest_rip\":\"" + hex(r.guest_rip) + "\"";
    if (r.has_linear) e += ",\"guest_linear\":\"" + hex(r.guest_linear) + "\"";
    if (r.has_physical) e += ",\"guest_physical\":\"" + hex(r.guest_physical) + "\"";
    e += ",\"exit_cost\":" + dec(r.exit_cost) + ",\"entry_cost\":" + dec(r.entry_cost) +
         ",\"host_cycles\":" + dec(r.host_cycles) + "}}";
    event(e);
    if (r.exit_cost > 0) slice("world switch out", tid, r.cycle, r.exit_cost);
    if (r.entry_cost > 0 && r.host_cycles >= r.entry_cost)
      slice("world switch in", tid, r.cycle + r.host_cycles - r.entry_cost, r.entry_cost);
  }

  void guest_phase(uint32_t vcpu, uint64_t begin, uint64_t end) override {
    slice("guest", track(vcpu), begin, end >= begin ? end - begin : 0);
  }

  void finish() override {
    if (done_) return;
    done_ = true;
    file_.put("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"hvsim\",\"cpu_mhz\":" +
              dec(mhz_) + "}}\n");
    file_.close();
  }

 private:
  void event(const std::string& e) {
    if (!first_) file_.put(",\n");
    first_ = false;
    file_.put(e);
  }
  void slice(const char* name, uint32_t tid, uint64_t begin, uint64_t cycles) {
    event(std::string("{\"name\":\"") + name + "\",\"cat\":\"" +
          (std::strcmp(name, "guest") == 0 ? "guest" : "world_switch") +
          "\",\"ph\":\"X\",\"pid\":1,\"tid\":" + dec(tid) + ",\"ts\":" + micros(begin, mhz_) +
          ",\"dur\":" + micros(cycles, mhz_) + "}");
  }
  // The guest track's tid (2n+1); the exits track is the next one. Names the
  // tracks the first time a vCPU appears.
  uint32_t track(uint32_t vcpu) {
    const uint32_t tid = 2 * vcpu + 1;
    if (named_.insert(vcpu).second) {
      for (uint32_t i = 0; i < 2; ++i) {
        const std::string t = dec(tid + i);
        const std::string label = "vCPU " + dec(vcpu) + (i == 0 ? " guest" : " exits");
        event("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + t +
              ",\"args\":{\"name\":\"" + label + "\"}}");
        event("{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":" + t +
              ",\"args\":{\"sort_index\":" + t + "}}");
      }
    }
    return tid;
  }

  BufferedFile file_;
  uint64_t mhz_;
  bool first_ = true;
  bool done_ = false;
  std::set<uint32_t> named_;
};

}  // namespace

std::string csv_header() {
  return "cycle,vcpu,arch,reason,reason_name,qualification,info2,guest_rip,guest_linear,"
         "guest_physical,exit_cost,host_cycles";
}

std::string csv_line(const ExitRecord& r) {
  return dec(r.cycle) + "," + dec(r.vcpu) + "," + arch_name(r.arch) + "," + dec(r.reason) + "," +
         csv_field(name_of(r)) + "," + hex(r.qualification) + "," + hex(r.info2) + "," +
         hex(r.guest_rip) + "," + (r.has_linear ? hex(r.guest_linear) : "") + "," +
         (r.has_physical ? hex(r.guest_physical) : "") + "," + dec(r.exit_cost) + "," +
         dec(r.host_cycles);
}

std::string json_line(const ExitRecord& r) {
  auto opt_hex = [](bool has, uint64_t v) { return has ? "\"" + hex(v) + "\"" : "null"; };
  return "{\"cycle\":" + dec(r.cycle) + ",\"vcpu\":" + dec(r.vcpu) + ",\"arch\":\"" +
         arch_name(r.arch) + "\",\"reason\":" + dec(r.reason) +
         ",\"reason_name\":" + json_string(name_of(r)) + ",\"qualification\":\"" +
         hex(r.qualification) + "\",\"info2\":\"" + hex(r.info2) + "\",\"guest_rip\":\"" +
         hex(r.guest_rip) + "\",\"guest_linear\":" + opt_hex(r.has_linear, r.guest_linear) +
         ",\"guest_physical\":" + opt_hex(r.has_physical, r.guest_physical) +
         ",\"exit_cost\":" + dec(r.exit_cost) + ",\"host_cycles\":" + dec(r.host_cycles) + "}";
}

std::unique_ptr<ExitSink> make_trace_sink(TraceFormat format, const std::string& path,
                                          uint64_t cpu_mhz) {
  switch (format) {
    case TraceFormat::kCsv:
      return std::make_unique<CsvSink>(path);
    case TraceFormat::kJsonLines:
      return std::make_unique<JsonLinesSink>(path);
    case TraceFormat::kChromeTrace:
      return std::make_unique<ChromeTraceSink>(path, cpu_mhz);
  }
  return nullptr;
}

}  // namespace hvsim::virt
