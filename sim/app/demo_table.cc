#include "sim/app/demo_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>

#include "sim/app/sweep_results.h"

namespace hvsim::app {

namespace {

constexpr const char* kNative = "native";
constexpr const char* kPv = "pv";

std::optional<double> value_of(const DemoColumn& c, const std::string& bench) {
  if (!c.ok) return std::nullopt;
  const auto it = c.cycles_per_iter.find(bench);
  if (it == c.cycles_per_iter.end()) return std::nullopt;
  return it->second;
}

uint64_t stat_u64(const std::map<std::string, std::string>& stats, const std::string& name) {
  const auto it = stats.find(name);
  if (it == stats.end()) return 0;
  return std::strtoull(it->second.c_str(), nullptr, 10);
}

std::string with_commas(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string pad_left(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

const DemoColumn* native_column(const std::vector<DemoColumn>& columns) {
  for (const auto& c : columns) {
    if (c.setup == kNative) return &c;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& demo_benchmarks() {
  static const std::vector<std::string> b{
      "syscall",    "pgfault",      "fork",         "tlb",          "nano.syscall", "nano.in",
      "nano.cr8wr", "nano.callret", "nano.divzero", "nano.pgfault", "nano.ptemod",
      "nano.hypercall"};
  return b;
}

std::map<std::string, double> parse_cycles_per_iter(const std::string& guest_stdout) {
  std::map<std::string, double> out;
  for (const auto& [name, value] : parse_guest_timings(guest_stdout)) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    out[name.rfind("guest.", 0) == 0 ? name.substr(6) : name] = v;
  }
  return out;
}

std::string format_ratio(std::optional<double> value, std::optional<double> native) {
  if (!value || !native || *native <= 0) return "(n/a)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "(%.1fx)", *value / *native);
  return buf;
}

std::string format_cycles(std::optional<double> value) {
  if (!value) return "n/a";
  return with_commas(static_cast<uint64_t>(std::llround(std::max(0.0, *value))));
}

std::string demo_table(const std::vector<DemoColumn>& columns) {
  const DemoColumn* native = native_column(columns);
  const auto& benches = demo_benchmarks();
  // cells[row][col]; row 0 is the header.
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header{"benchmark"};
  for (const auto& c : columns) header.push_back(c.setup);
  cells.push_back(header);
  for (const auto& b : benches) {
    std::vector<std::string> row{b};
    const std::optional<double> ref = native ? value_of(*native, b) : std::nullopt;
    for (const auto& c : columns) {
      const std::optional<double> v = value_of(c, b);
      std::string cell = format_cycles(v);
      if (&c != native && v) cell += " " + format_ratio(v, ref);
      row.push_back(cell);
    }
    cells.push_back(row);
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : cells) {
    for (size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
  }
  std::string out = "cycles per iteration (ratio to native)\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    std::string line = pad_right(cells[r][0], width[0]);
    for (size_t k = 1; k < cells[r].size(); ++k) {
      line += (k == 1 ? "  " : " | ");
      line += pad_left(cells[r][k], width[k]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::vector<ExitShare> top_exits(const std::map<std::string, std::string>& stats, size_t n) {
  static const std::string kExits = "virt.exits.";
  const uint64_t total = stat_u64(stats, "cpu.cycles");
  std::vector<ExitShare> all;
  for (const auto& [name, value] : stats) {
    if (name.rfind(kExits, 0) != 0) continue;
    ExitShare e;
    e.reason = name.substr(kExits.size());
    e.count = std::strtoull(value.c_str(), nullptr, 10);
    if (e.count == 0) continue;
    e.cycles = stat_u64(stats, "virt.exit_time." + e.reason);
    e.share = total ? static_cast<double>(e.cycles) / static_cast<double>(total) : 0;
    all.push_back(e);
  }
  std::sort(all.begin(), all.end(), [](const ExitShare& a, const ExitShare& b) {
    if (a.cycles != b.cycles) return a.cycles > b.cycles;
    if (a.count != b.count) return a.count > b.count;
    return a.reason < b.reason;
  });
  if (all.size() > n) all.resize(n);
  return all;
}

// The rows a column lists: its top n exit reasons; for the paravirtualized
// setup, its top n hypercalls and then its top n other events (bounced
// exceptions and system calls, upcalls, emulations).
static std::vector<ExitShare> listed_exits(const DemoColumn& c, size_t n) {
  if (c.setup != kPv) return top_exits(c.stats, n);
  std::vector<ExitShare> calls, others;
  for (const auto& e : top_exits(c.stats, SIZE_MAX)) {
    auto& v = e.reason.rfind("hypercall_", 0) == 0 ? calls : others;
    if (v.size() < n) v.push_back(e);
  }
  calls.insert(calls.end(), others.begin(), others.end());
  return calls;
}

std::string demo_exit_summary(const std::vector<DemoColumn>& columns, size_t n) {
  size_t name_w = 0, reason_w = 0, count_w = 0;
  for (const auto& c : columns) {
    name_w = std::max(name_w, c.setup.size());
    for (const auto& e : listed_exits(c, n)) {
      reason_w = std::max(reason_w, e.reason.size());
      count_w = std::max(count_w, with_commas(e.count).size());
    }
  }
  std::string out =
      "top exit reasons in the timed loops (exits, share of the setup's timed cycles; "
      "pv: top hypercalls, then top bounces)\n";
  for (const auto& c : columns) {
    const std::string label = pad_right(c.setup, name_w);
    if (!c.ok) {
      out += label + "  n/a: " + c.reason + "\n";
      continue;
    }
    const auto top = listed_exits(c, n);
    if (top.empty()) {
      out += label + "  no VM exits\n";
      continue;
    }
    for (size_t i = 0; i < top.size(); ++i) {
      char share[32];
      std::snprintf(share, sizeof share, "%5.1f%%", 100.0 * top[i].share);
      std::string line = i == 0 ? label : std::string(name_w, ' ');
      line += "  " + pad_right(top[i].reason, reason_w) + "  " +
              pad_left(with_commas(top[i].count), count_w) + "  " + share;
      out += line + "\n";
    }
  }
  return out;
}

std::string demo_csv(const std::vector<DemoColumn>& columns) {
  const DemoColumn* native = native_column(columns);
  std::string out = "setup,benchmark,cycles_per_iter,ratio_to_native\n";
  for (const auto& c : columns) {
    if (!c.ok) continue;
    for (const auto& b : demo_benchmarks()) {
      const std::optional<double> v = value_of(c, b);
      if (!v) continue;
      const std::optional<double> ref = native ? value_of(*native, b) : std::nullopt;
      char buf[160];
      if (ref && *ref > 0) {
        std::snprintf(buf, sizeof buf, "%s,%s,%.1f,%.4f\n", c.setup.c_str(), b.c_str(), *v,
                      *v / *ref);
      } else {
        std::snprintf(buf, sizeof buf, "%s,%s,%.1f,\n", c.setup.c_str(), b.c_str(), *v);
      }
      out += buf;
    }
  }
  return out;
}

}  // namespace hvsim::app
