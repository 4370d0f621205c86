#include "sim/app/sweep_plot.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>

namespace hvsim::app {

namespace {

bool is_number(const std::string& t) {
  if (t.empty()) return false;
  char* end = nullptr;
  std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

// A gnuplot double-quoted string.
std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string plot_file_name(const std::string& metric) {
  std::string name = metric;
  for (char& c : name) {
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return "plot-" + name + ".png";
}

std::map<std::string, std::string> stat_units(const std::string& stats_txt) {
  std::map<std::string, std::string> units;
  size_t pos = 0;
  while (pos < stats_txt.size()) {
    size_t end = stats_txt.find('\n', pos);
    if (end == std::string::npos) end = stats_txt.size();
    const std::string line = stats_txt.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#' || line.back() != ')') continue;
    const size_t open = line.rfind('('), hash = line.find('#');
    const size_t name_end = line.find(' ');
    if (open == std::string::npos || hash == std::string::npos || open < hash ||
        name_end == std::string::npos)
      continue;
    units[line.substr(0, name_end)] = line.substr(open + 1, line.size() - open - 2);
  }
  return units;
}

std::string gnuplot_script(const std::string& metric, const std::string& png_path,
                           const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows,
                           const PlotUnits& units) {
  const std::vector<SweepPoint> points = expand_grid(axes);
  const SweepAxis& x_axis = axes.at(0);
  bool numeric_x = true;
  for (const auto& v : x_axis.values) numeric_x = numeric_x && is_number(v);

  // One series per combination of the other axes, in grid order.
  std::vector<std::string> titles;
  std::map<std::string, std::vector<std::pair<size_t, std::string>>> series;  // title -> (x, y)
  bool negative = false;
  for (size_t i = 0; i < points.size() && i < rows.size(); ++i) {
    std::string title;
    for (size_t k = 1; k < axes.size(); ++k)
      title += (title.empty() ? "" : ", ") + axes[k].key + "=" + points[i].values[k];
    if (!series.count(title)) titles.push_back(title);
    auto& s = series[title];
    const auto it = rows[i].metrics.find(metric);
    if (rows[i].ok && it != rows[i].metrics.end() && is_number(it->second)) {
      s.emplace_back(points[i].coords[0], it->second);
      negative = negative || std::strtod(it->second.c_str(), nullptr) < 0;
    }
    else
      s.emplace_back(points[i].coords[0], "");  // a gap
  }

  std::string g;
  g += "# hvsim sweep: " + metric + " against " + x_axis.key + "\n";
  g += "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
       "  set terminal pngcairo size 900,560 noenhanced\n"
       "} else {\n"
       "  set terminal png size 900,560 noenhanced\n"
       "}\n";
  g += "set output " + gp_string(png_path) + "\n";
  g += "set title " + gp_string(metric + " against " + x_axis.key) + "\n";
  auto label = [](const std::string& name, const std::string& unit) {
    return unit.empty() ? name : name + " (" + unit + ")";
  };
  g += "set xlabel " + gp_string(label(x_axis.key, units.x)) + "\n";
  g += "set ylabel " + gp_string(label(metric, units.y)) + "\n";
  g += "set grid\nset key top left box opaque\nset offsets graph 0.05, graph 0.05, graph 0.1, "
       "graph 0.1\n"
       "set datafile missing \"?\"\n";
  // Counts and cycles start at zero, so heights compare; offsets only pad the top.
  if (!negative) g += "set yrange [0:*]\nset offsets graph 0.05, graph 0.05, graph 0.1, 0\n";
  if (numeric_x && x_axis.values.size() <= 20) {
    g += "set xtics (";
    for (size_t k = 0; k < x_axis.values.size(); ++k)
      g += (k ? ", " : "") + gp_string(x_axis.values[k]) + " " + x_axis.values[k];
    g += ")\n";
  } else if (!numeric_x) {
    g += "set xtics (";
    for (size_t k = 0; k < x_axis.values.size(); ++k)
      g += (k ? ", " : "") + gp_string(x_axis.values[k]) + " " + std::to_string(k);
    g += ")\nset xrange [-0.5:" + std::to_string(x_axis.values.size()) + "-0.5]\n";
  }
  for (size_t t = 0; t < titles.size(); ++t) {
    g += "$series" + std::to_string(t) + " << EOD\n";
    for (const auto& [x, y] : series[titles[t]]) {
      g += (numeric_x ? x_axis.values[x] : std::to_string(x)) + " " + (y.empty() ? "?" : y) + "\n";
    }
    g += "EOD\n";
  }
  g += "plot ";
  for (size_t t = 0; t < titles.size(); ++t) {
    g += (t ? ", \\\n     " : "") + std::string("$series") + std::to_string(t) +
         " using 1:2 with linespoints pointtype 7 " +
         "title " + gp_string(titles[t].empty() ? metric : titles[t]);
  }
  g += "\n";
  return g;
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::string p = path;
  size_t start = 0;
  for (;;) {
    const size_t colon = p.find(':', start);
    std::string dir =
        p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + program;
    std::error_code ec;
    if (access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate, ec))
      return candidate;
    if (colon == std::string::npos) return "";
    start = colon + 1;
  }
}

int run_gnuplot(const std::string& gnuplot, const std::string& script_path,
                const std::string& log_path) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    execl(gnuplot.c_str(), gnuplot.c_str(), script_path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hvsim::app
