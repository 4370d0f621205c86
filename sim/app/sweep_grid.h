// The grid of a parameter sweep, as plain C++ with no SystemC: each
// `--vary key=spec` becomes one axis, and the points are their cross product.
//   key=a,b,c            the listed values, in order
//   key=start:stop:step  start, start+step, ... up to and including stop
//                        (integers, or decimals such as 0.5:2:0.25)
// Points are in row-major order: the last axis varies fastest, so the first
// axis is the outer loop (and the x axis of the plots).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/params.h"

namespace hvsim::app {

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  // as text, passed to `--set key=value`
};

struct SweepPoint {
  size_t index = 0;                 // position in row-major order
  std::vector<size_t> coords;       // one value index per axis
  std::vector<std::string> values;  // one value per axis
  std::vector<std::string> sets;    // "key=value" per axis, for `--set`
};

// Parses one `--vary` argument; throws base::ConfigError with one line.
SweepAxis parse_vary(const std::string& arg);

// The values of "start:stop:step" (already split off the key); throws
// base::ConfigError for a zero step, a step going away from stop, a bad
// number, or more than kMaxRangeValues values.
std::vector<std::string> expand_range(const std::string& spec);
inline constexpr size_t kMaxRangeValues = 100000;

// Every axis key must be a declared parameter and every value must parse and
// be in range for it; a key may be varied once. Throws base::ConfigError.
void check_axes(const std::vector<SweepAxis>& axes, const base::ParamRegistry& reg);

// The number of points of the cross product (0 for no axes); throws
// base::ConfigError, naming the count and the cap, above kMaxGridPoints.
uint64_t grid_size(const std::vector<SweepAxis>& axes);
inline constexpr uint64_t kMaxGridPoints = 100000;

// The cross product in row-major order (an empty list of axes: no points);
// throws as grid_size() before allocating anything.
std::vector<SweepPoint> expand_grid(const std::vector<SweepAxis>& axes);

// "point-007" for index 7 in a grid of up to 1000 points (at least 3 digits).
std::string point_name(size_t index, size_t total);

}  // namespace hvsim::app
