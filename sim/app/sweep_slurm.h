// `hvsim sweep --backend slurm`: the points that still need running become
// one Slurm job array (sbatch), one point per task. Each task runs the
// hidden command `hvsim sweep-point DIR`, which runs the point exactly as the
// local backend does (sweep_runner) and leaves its marker and outcome in
// DIR; this process waits (squeue) and gathers them into the same
// sweep.csv. The folder must be on a file system the nodes share.
//
// Resuming: OUT/slurm/job.txt names the array and its points. A re-run
// whose job is still queued or running waits for it instead of submitting
// again; otherwise finished points are skipped as with the local backend
// and the rest is submitted anew.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sim/app/sweep_runner.h"

namespace hvsim::app {

struct SlurmOptions {
  std::string partition;  // --partition; empty: the cluster's default
  std::string time;       // --time, Slurm's formats ("10", "1:00:00", "1-0")
  std::string mem;        // --mem per task ("2G")
  size_t max_running = 0; // the array's %N throttle (sweep -j above 1); 0: none
};

// The batch script of the array: one task per job, in job order. cwd is where
// the points' relative folders are; exe the hvsim to run; log_dir the tasks' logs.
std::string slurm_array_script(const std::string& exe, const std::vector<PointJob>& jobs,
                               const std::string& cwd, const std::string& log_dir,
                               const SlurmOptions& o);

// Runs the jobs through Slurm (see above); done(i, outcome) as each point's
// outcome appears. Throws base::ConfigError when sbatch fails (bad
// partition, time, ...) or Slurm's commands are missing.
std::vector<PointOutcome> run_points_slurm(
    const std::string& exe, const std::vector<PointJob>& jobs, const std::string& sweep_dir,
    const SlurmOptions& o, const std::function<void(size_t, const PointOutcome&)>& done);

// `hvsim sweep-point DIR`: runs the point whose arguments are in
// DIR/point-args.txt with this executable and records its marker and
// outcome (point-outcome.txt: status, seconds, reason). Returns 0 when the
// point ran (whatever its own status), 2 when DIR holds no point.
int sweep_point_command(const std::string& dir);

}  // namespace hvsim::app
