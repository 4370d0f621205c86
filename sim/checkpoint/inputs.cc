#include "sim/checkpoint/writer.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <toml++/toml.h>

#include "sim/checkpoint/format.h"

// The parts of writer.h without a machine: --checkpoint-at's syntax and the
// checkpoint's inputs file (hvsim_checkpoint_file; the app links it).
namespace hvsim::checkpoint {

namespace fs = std::filesystem;

Trigger parse_trigger(const std::string& text) {
  if (text == "magic") return {Trigger::kMagic, 0};
  if (text == "exit") return {Trigger::kExit, 0};
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  if (colon != std::string::npos && (kind == "insns" || kind == "cycles")) {
    const std::string num = text.substr(colon + 1);
    if (!num.empty() && num.find_first_not_of("0123456789") == std::string::npos && num.size() < 20)
      return {kind == "insns" ? Trigger::kInsns : Trigger::kCycles, std::stoull(num)};
  }
  throw base::ConfigError("--checkpoint-at " + text +
                          ": expected insns:N, cycles:N, magic or exit");
}

uint32_t file_crc32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return uint32_t(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                        uInt(data.size())));
}


platform::RunSpec read_inputs(const std::string& dir) {
  const std::string path = (fs::path(dir) / kInfoName).string();
  if (!fs::is_directory(dir)) throw CheckpointError(dir + ": no such checkpoint folder");
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const std::exception&) {
    throw CheckpointError(path + ": missing or not valid TOML");
  }
  platform::RunSpec spec;
  spec.kernel = t["kernel"].value_or(std::string());
  spec.cmdline = t["cmdline"].value_or(std::string());
  spec.initrd = t["initrd"].value_or(std::string());
  if (const auto* mods = t["modules"].as_array())
    for (const auto& m : *mods)
      if (const auto* mt = m.as_table())
        spec.modules.push_back({(*mt)["path"].value_or(std::string()),
                                (*mt)["args"].value_or(std::string())});
  if (spec.kernel.empty()) throw CheckpointError(path + ": names no kernel");
  if (!fs::is_regular_file(spec.kernel))
    throw CheckpointError(path + ": the kernel " + spec.kernel + " is gone");
  const int64_t crc = t["kernel_crc32"].value_or(int64_t(-1));
  if (crc != int64_t(file_crc32(spec.kernel)))
    throw CheckpointError(spec.kernel + ": changed since the checkpoint (CRC-32 differs)");
  return spec;
}

}  // namespace hvsim::checkpoint
