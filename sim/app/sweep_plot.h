// One PNG per metric through gnuplot: the metric against the first varied
// key, one line per value of the second (with three or more keys, one line
// per combination of the others). Failed points leave a gap.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_grid.h"

namespace hvsim::app {

// "plot-cpu.cycles.png"; characters other than [A-Za-z0-9._-] become '_'.
std::string plot_file_name(const std::string& metric);

// Units for the axis labels: the metric's (from stats.txt, "cycles/iter"
// for guest.*) and the first axis key's (its parameter's); "" for none.
struct PlotUnits {
  std::string y;
  std::string x;
};

// The gnuplot script that draws metric into png_path (rows in grid order,
// one per point of expand_grid(axes)): axes labelled with their units, the
// y axis from zero (the metrics are counts, cycles and rates; a negative
// value lets gnuplot choose), a legend naming every series.
std::string gnuplot_script(const std::string& metric, const std::string& png_path,
                           const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows,
                           const PlotUnits& units = {});

// The unit of each statistic in a stats.txt ("name value  # text (unit)").
std::map<std::string, std::string> stat_units(const std::string& stats_txt);

// The full path of a program found on $PATH, or "".
std::string find_on_path(const std::string& program);

// Runs `gnuplot script_path` with its messages appended to log_path; returns
// its exit status (-1 when it could not run).
int run_gnuplot(const std::string& gnuplot, const std::string& script_path,
                const std::string& log_path);

}  // namespace hvsim::app
