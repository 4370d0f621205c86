// One naming of exit reasons: the hypervisor workloads' name tables
// (workloads/lib/vmx.c, svm.c) use exactly hvsim's names, so what they print
// and exits.txt, --trace-filter and virt.exits.* agree.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "sim/platform/simulation.h"

namespace {

std::vector<std::string> quoted_names(const std::string& file) {
  std::ifstream in(std::string(HVSIM_SOURCE_DIR) + "/workloads/lib/" + file);
  std::stringstream s;
  s << in.rdbuf();
  std::vector<std::string> names;
  const std::string text = s.str();
  static const std::regex kName("\"((VMEXIT_)?[A-Z][A-Z0-9_]+)\"");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it)
    names.push_back((*it)[1]);
  return names;
}

TEST(ExitNames, WorkloadsPrintHvsimsNames) {
  const std::vector<std::string> known = hvsim::platform::exit_reason_names();
  for (const char* file : {"vmx.c", "svm.c"}) {
    const auto names = quoted_names(file);
    EXPECT_GT(names.size(), 50u) << file;
    for (const auto& n : names) {
      if (n == "UNKNOWN") continue;  // vmx.c's answer for an undefined number
      EXPECT_NE(std::find(known.begin(), known.end(), n), known.end())
          << file << ": " << n << " is not a name hvsim uses";
    }
  }
  for (const char* n : {"MSR_READ", "EPT_VIOLATION", "VMEXIT_NPF", "VMEXIT_IOIO", "INIT_SIGNAL"})
    EXPECT_NE(std::find(known.begin(), known.end(), n), known.end()) << n;
}

}  // namespace
