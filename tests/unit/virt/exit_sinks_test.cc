// The trace files: CSV and JSON Lines exact text, Chrome trace events parsed.
#include "sim/virt/exit_sinks.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/base/params.h"
#include "sim/virt/exit_tracker.h"
#include "sim/virt/trace_format.h"
#include "tests/unit/virt/json_check.h"

namespace hvsim::virt {
namespace {

namespace fs = std::filesystem;
using testing::Json;
using testing::parse_json;

class TraceFileTest : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("hvsim_virt_test_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Guest from 1050; CPUID at 2000 (entry at 2400), EPT_VIOLATION at 3000
  // pending at the end (3500), an SVM NPF at 2600 (entry 2700) on vCPU 1.
  static void run(ExitTracker& t) {
    t.on_entry(1050, 50);
    ExitRecord cpuid;
    cpuid.cycle = 2000;
    cpuid.reason = 10;
    cpuid.reason_name = "CPUID";
    cpuid.guest_rip = 0x401000;
    cpuid.exit_cost = 100;
    t.on_exit(cpuid);
    t.on_entry(2400, 50);
    ExitRecord npf;
    npf.cycle = 2600;
    npf.vcpu = 1;
    npf.arch = Arch::kSvm;
    npf.reason = 0x400;
    npf.reason_name = "VMEXIT_NPF";
    npf.qualification = 0x6;
    npf.info2 = 0xfee00000;
    npf.guest_rip = 0xffffffff81000000;
    npf.has_physical = true;
    npf.guest_physical = 0xfee00000;
    npf.exit_cost = 0;
    t.on_exit(npf);
    t.on_entry(2700, 0);
    ExitRecord ept;
    ept.cycle = 3000;
    ept.reason = 48;
    ept.reason_name = "EPT_VIOLATION";
    ept.qualification = 0x181;
    ept.guest_rip = 0x401234;
    ept.has_linear = true;
    ept.guest_linear = 0x7000;
    ept.has_physical = true;
    ept.guest_physical = 0x1234000;
    ept.exit_cost = 100;
    t.on_exit(ept);
    t.finish(3500);
  }
};

TEST_F(TraceFileTest, CsvExactContent) {
  {
    ExitTracker t;
    t.open_trace(path("exits.csv"));
    run(t);
  }
  EXPECT_EQ(read(path("exits.csv")),
            "cycle,vcpu,arch,reason,reason_name,qualification,info2,guest_rip,guest_linear,"
            "guest_physical,exit_cost,host_cycles\n"
            "2000,0,vmx,10,CPUID,0x0,0x0,0x401000,,,100,400\n"
            "2600,1,svm,1024,VMEXIT_NPF,0x6,0xfee00000,0xffffffff81000000,,0xfee00000,0,100\n"
            "3000,0,vmx,48,EPT_VIOLATION,0x181,0x0,0x401234,0x7000,0x1234000,100,500\n");
}

TEST_F(TraceFileTest, JsonLinesExactContentAndEachLineParses) {
  {
    ExitTracker t;
    t.open_trace(path("exits.JSONL"));  // the extension is case-insensitive
    run(t);
  }
  const std::string text = read(path("exits.JSONL"));
  EXPECT_EQ(text,
            R"({"cycle":2000,"vcpu":0,"arch":"vmx","reason":10,"reason_name":"CPUID",)"
            R"("qualification":"0x0","info2":"0x0","guest_rip":"0x401000","guest_linear":null,)"
            R"("guest_physical":null,"exit_cost":100,"host_cycles":400})"
            "\n"
            R"({"cycle":2600,"vcpu":1,"arch":"svm","reason":1024,"reason_name":"VMEXIT_NPF",)"
            R"("qualification":"0x6","info2":"0xfee00000","guest_rip":"0xffffffff81000000",)"
            R"("guest_linear":null,"guest_physical":"0xfee00000","exit_cost":0,"host_cycles":100})"
            "\n"
            R"({"cycle":3000,"vcpu":0,"arch":"vmx","reason":48,"reason_name":"EPT_VIOLATION",)"
            R"("qualification":"0x181","info2":"0x0","guest_rip":"0x401234",)"
            R"("guest_linear":"0x7000","guest_physical":"0x1234000","exit_cost":100,)"
            R"("host_cycles":500})"
            "\n");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) EXPECT_NO_THROW(parse_json(line)) << line;
}

TEST_F(TraceFileTest, FieldsNeedingQuotesAreEscaped) {
  ExitRecord r;
  r.reason_name = "A,\"B\"";
  EXPECT_EQ(csv_line(r), "0,0,vmx,0,\"A,\"\"B\"\"\",0x0,0x0,0x0,,,0,0");
  EXPECT_EQ(parse_json(json_line(r))["reason_name"].str, "A,\"B\"");
}

// Events of one kind on the trace, by name.
std::vector<const Json*> events_named(const Json& trace, const std::string& name) {
  std::vector<const Json*> out;
  for (const Json& e : trace["traceEvents"].arr)
    if (e["name"].str == name) out.push_back(&e);
  return out;
}

TEST_F(TraceFileTest, ChromeTraceParsesWithMicrosecondsAtCpuMhz) {
  {
    ExitTracker t;
    t.open_trace(path("exits.json"), 1000);  // 1000 cycles = 1 us
    run(t);
  }
  const std::string text = read(path("exits.json"));
  Json trace;
  ASSERT_NO_THROW(trace = parse_json(text)) << text;
  ASSERT_EQ(trace.kind, Json::kObject);
  EXPECT_EQ(trace["displayTimeUnit"].str, "ns");
  for (const Json& e : trace["traceEvents"].arr) {
    EXPECT_TRUE(e.has("ph") && e.has("pid") && e.has("tid") && e.has("name"));
    if (e["ph"].str == "X") {
      EXPECT_TRUE(e.has("ts") && e.has("dur"));
    }
  }

  auto cpuid = events_named(trace, "CPUID");
  ASSERT_EQ(cpuid.size(), 1u);
  const Json& c = *cpuid[0];
  EXPECT_EQ(c["ph"].str, "X");
  EXPECT_EQ(c["cat"].str, "vmexit");
  EXPECT_DOUBLE_EQ(c["ts"].num, 2.0);
  EXPECT_DOUBLE_EQ(c["dur"].num, 0.4);
  EXPECT_EQ(c["tid"].num, 2);  // vCPU 0's exits track
  EXPECT_EQ(c["args"]["guest_rip"].str, "0x401000");
  EXPECT_EQ(c["args"]["host_cycles"].num, 400);
  EXPECT_EQ(c["args"]["entry_cost"].num, 50);
  EXPECT_FALSE(c["args"].has("guest_linear"));

  auto npf = events_named(trace, "VMEXIT_NPF");
  ASSERT_EQ(npf.size(), 1u);
  EXPECT_DOUBLE_EQ((*npf[0])["ts"].num, 2.6);
  EXPECT_DOUBLE_EQ((*npf[0])["dur"].num, 0.1);
  EXPECT_EQ((*npf[0])["tid"].num, 4);  // vCPU 1's exits track
  EXPECT_EQ((*npf[0])["args"]["guest_physical"].str, "0xfee00000");

  auto ept = events_named(trace, "EPT_VIOLATION");
  ASSERT_EQ(ept.size(), 1u);
  EXPECT_DOUBLE_EQ((*ept[0])["dur"].num, 0.5);  // pending at the end: up to finish()
  EXPECT_EQ((*ept[0])["args"]["qualification"].str, "0x181");

  // Guest phases on the guest tracks: 1050-2000 and 2400-2600 (vCPU 0 then 1
  // by the exit that ended them), 2700-3000.
  auto guest = events_named(trace, "guest");
  ASSERT_EQ(guest.size(), 3u);
  EXPECT_DOUBLE_EQ((*guest[0])["ts"].num, 1.05);
  EXPECT_DOUBLE_EQ((*guest[0])["dur"].num, 0.95);
  EXPECT_EQ((*guest[0])["tid"].num, 1);
  EXPECT_EQ((*guest[1])["tid"].num, 3);
  EXPECT_DOUBLE_EQ((*guest[2])["dur"].num, 0.3);

  // World switches nested in the exit slices.
  auto out = events_named(trace, "world switch out");
  auto in = events_named(trace, "world switch in");
  ASSERT_EQ(out.size(), 2u);  // the NPF had no exit cost
  ASSERT_EQ(in.size(), 1u);   // only CPUID was followed by an entry with a cost
  EXPECT_DOUBLE_EQ((*out[0])["ts"].num, 2.0);
  EXPECT_DOUBLE_EQ((*out[0])["dur"].num, 0.1);
  EXPECT_DOUBLE_EQ((*in[0])["ts"].num, 2.35);
  EXPECT_DOUBLE_EQ((*in[0])["dur"].num, 0.05);

  int names = 0;
  for (const Json* e : events_named(trace, "thread_name")) {
    const std::string n = (*e)["args"]["name"].str;
    names += n == "vCPU 0 guest" || n == "vCPU 0 exits" || n == "vCPU 1 guest" ||
             n == "vCPU 1 exits";
  }
  EXPECT_EQ(names, 4);
}

TEST_F(TraceFileTest, ChromeTraceIsClosedEvenWithoutFinish) {
  {
    ExitTracker t;
    t.open_trace(path("t.json"));
    t.on_entry(10, 0);
  }
  EXPECT_NO_THROW(parse_json(read(path("t.json"))));
}

TEST_F(TraceFileTest, EmptyTracesAreValid) {
  {
    ExitTracker t;
    t.open_trace(path("e.json"));
    t.open_trace(path("e.csv"));
    t.finish(0);
  }
  EXPECT_EQ(parse_json(read(path("e.json")))["traceEvents"].arr.size(), 1u);  // process name
  EXPECT_EQ(read(path("e.csv")), csv_header() + "\n");
}

TEST_F(TraceFileTest, FilterAppliesToTheFile) {
  {
    ExitTracker t;
    t.open_trace(path("f.csv"));
    t.set_filter({"vmexit_npf", "cpuid"});
    run(t);
  }
  const std::string text = read(path("f.csv"));
  EXPECT_NE(text.find("\n2000,0,vmx,10,CPUID,"), std::string::npos);
  EXPECT_NE(text.find("\n2600,1,svm,1024,VMEXIT_NPF,"), std::string::npos);
  EXPECT_EQ(text.find("EPT_VIOLATION"), std::string::npos);
}

TEST_F(TraceFileTest, LargeTracesAreWrittenWhole) {
  constexpr int kExits = 30000;  // several buffer lengths
  {
    ExitTracker t;
    t.open_trace(path("big.csv"));
    for (int i = 0; i < kExits; ++i) {
      ExitRecord r;
      r.cycle = 100 * i + 50;
      r.reason = 10;
      r.reason_name = "CPUID";
      t.on_entry(100 * i, 0);
      t.on_exit(r);
    }
    t.finish(100 * kExits);
  }
  const std::string text = read(path("big.csv"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), kExits + 1);
  EXPECT_NE(text.find("\n2999950,0,vmx,10,CPUID,0x0,0x0,0x0,,,0,50\n"), std::string::npos);
}

TEST_F(TraceFileTest, BadNamesAndUnwritablePathsAreConfigErrors) {
  ExitTracker t;
  for (const char* bad : {"exits.txt", "exits", "dir.csv/exits", ".csv", "exits.json.gz"}) {
    try {
      t.open_trace(path(bad));
      ADD_FAILURE() << "accepted " << bad;
    } catch (const base::ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos);
      EXPECT_NE(msg.find(".csv, .jsonl or .json"), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(t.open_trace(path("no/such/folder/exits.csv")), base::ConfigError);
  EXPECT_FALSE(fs::exists(path("exits.txt")));
}

TEST(TraceFormat, ByExtension) {
  EXPECT_EQ(trace_format_for_path("a.csv"), TraceFormat::kCsv);
  EXPECT_EQ(trace_format_for_path("out/a.b.Csv"), TraceFormat::kCsv);
  EXPECT_EQ(trace_format_for_path("a.jsonl"), TraceFormat::kJsonLines);
  EXPECT_EQ(trace_format_for_path("a.json"), TraceFormat::kChromeTrace);
  EXPECT_EQ(trace_format_for_path("x.json/a"), std::nullopt);
  EXPECT_EQ(trace_format_for_path("a.ndjson"), std::nullopt);
  EXPECT_EQ(trace_format_for_path(""), std::nullopt);
}

}  // namespace
}  // namespace hvsim::virt
