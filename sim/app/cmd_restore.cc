#include "sim/app/cmd_restore.h"

#include <filesystem>
#include <memory>

#include "sim/app/cmd_run.h"
#include "sim/app/param_registry_all.h"
#include "sim/app/resolve_config.h"
#include "sim/checkpoint/format.h"
#include "sim/checkpoint/machine.h"
#include "sim/checkpoint/writer.h"
#include "sim/platform/system.h"

namespace hvsim::app {

namespace fs = std::filesystem;

const std::vector<std::string>& fixed_on_restore() {
  // timing.fast_forward and timing.sample may change: the new schedule
  // starts at the checkpoint's count (docs/checkpoint.md).
  static const std::vector<std::string> keys = {"memory.size_mib", "platform.cpus", "cpu.vendor",
                                                "timing.model"};
  return keys;
}

void resolve_restore_config(base::Config& cfg, const std::string& dir,
                            const std::vector<std::string>& sets) {
  const std::string file = (fs::path(dir) / checkpoint::kConfigName).string();
  if (!fs::is_regular_file(file)) throw checkpoint::CheckpointError(file + ": missing");
  base::Config saved(cfg.registry());
  resolve_config(saved, file, {});
  resolve_config(cfg, file, sets);
  for (const auto& key : fixed_on_restore())
    if (!(cfg.value(key) == saved.value(key)))
      throw checkpoint::CheckpointError("--set " + key +
                                        ": cannot change on restore (the checkpoint's machine "
                                        "keeps it; start a new run instead)");
}

int restore_command(const RunArgs& args, int argc, char** argv) {
  const std::string& dir = args.restore_dir;
  if (!fs::is_directory(dir)) throw checkpoint::CheckpointError(dir + ": no such checkpoint folder");
  // Every refusal happens here, before SystemC: version, size, CRC-32.
  auto payload = std::make_shared<std::string>(
      checkpoint::read_archive_file((fs::path(dir) / checkpoint::kArchiveName).string()));
  platform::RunSpec spec = checkpoint::read_inputs(dir);
  base::ParamRegistry reg;
  declare_all_params(reg);
  base::Config cfg(reg);
  resolve_restore_config(cfg, dir, args.sets);
  spec.max_insns = args.max_insns;
  spec.max_cycles = args.max_cycles;
  spec.out_dir = args.out_dir;
  spec.prepare = [payload](platform::System& sys) { checkpoint::load_machine(sys, *payload); };
  return run_spec_command(std::move(spec), cfg, args, argc, argv);
}

}  // namespace hvsim::app
