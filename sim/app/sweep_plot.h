// One PNG per metric through gnuplot: the metric against the first varied
// key, one line per value of the second (with three or more keys, one line
// per combination of the others). Failed points leave a gap.
#pragma once

#include <string>
#include <vector>

#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_grid.h"

namespace hvsim::app {

// "plot-cpu.cycles.png"; characters other than [A-Za-z0-9._-] become '_'.
std::string plot_file_name(const std::string& metric);

// The gnuplot script that draws metric into png_path (rows in grid order,
// one per point of expand_grid(axes)).
std::string gnuplot_script(const std::string& metric, const std::string& png_path,
                           const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows);

// The full path of a program found on $PATH, or "".
std::string find_on_path(const std::string& program);

// Runs `gnuplot script_path` with its messages appended to log_path; returns
// its exit status (-1 when it could not run).
int run_gnuplot(const std::string& gnuplot, const std::string& script_path,
                const std::string& log_path);

}  // namespace hvsim::app
