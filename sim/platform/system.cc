#include "sim/platform/system.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/platform/loader/load_error.h"

namespace hvsim::platform {

namespace {

sc_core::sc_time cycles_time(const base::Config& cfg, const std::string& key) {
  return sc_core::sc_time(
      double(cfg.get_uint(key)) * 1e3 / double(cfg.get_uint("platform.cpu_mhz")), sc_core::SC_NS);
}

CpuParams cpu_params(const base::Config& cfg, const RunSpec& spec) {
  return {cfg.get_uint("platform.quantum_cycles"), cfg.get_uint("platform.cpu_mhz"),
          spec.max_cycles, spec.max_insns};
}

}  // namespace

System::System(sc_core::sc_module_name name, const base::Config& cfg, const RunSpec& spec,
               std::unique_ptr<HostMemory> ram, const BootInfo& boot, base::StatRegistry& stats)
    : sc_module(name),
      spec_(spec),
      stats_(stats),
      layout_(pc_memory(ram->size())),
      serial_(make_serial_sink(cfg.get_string("platform.serial_out"))),
      uart_(*serial_),
      debug_exit_([this](uint8_t v, uint16_t port) {
        cpu_.end_run(v,
                     "guest wrote " + std::to_string(v) + " to isa-debug-exit at port " + hex(port),
                     false);
      }),
      fw_cfg_(ram->size(), 1),
      port80_(cfg.get_uint("platform.port80_cycles")),
      cpu_("cpu", cfg, cpu_params(cfg, spec)),
      mem_bus_("mem_bus"),
      io_bus_("io_bus"),
      ram_("ram", std::move(ram), cycles_time(cfg, "memory.read_latency_cycles"),
           cycles_time(cfg, "memory.write_latency_cycles")),
      uart_t_("com1", uart_, cpu_.cycle_time()),
      debug_exit_t_("debug_exit", debug_exit_, cpu_.cycle_time()),
      fw_cfg_t_("fw_cfg", fw_cfg_, cpu_.cycle_time()),
      pic_master_t_("pic_master", pic_master_, cpu_.cycle_time()),
      pic_slave_t_("pic_slave", pic_slave_, cpu_.cycle_time()),
      port80_t_("port80", port80_, cpu_.cycle_time()) {
  cpu_.mem_socket.bind(mem_bus_.target_socket);
  cpu_.io_socket.bind(io_bus_.target_socket);
  wire_memory_bus(layout_);
  wire_io_bus();
  cpu_.core().enter_multiboot(boot.entry, boot.mbi_addr);
  cpu_.core().set_magic_handler([this](uint16_t op, uint64_t arg) { on_magic(op, arg); });
  register_stats();
}

// RAM below 4 GiB from 0, the rest from 4 GiB (pc_memory.h).
void System::wire_memory_bus(const PcMemory& mem) {
  const unsigned ram = mem_bus_.bind_target(ram_.socket);
  mem_bus_.map(0, mem.below_4g, ram, 0, "ram");
  if (mem.above_4g) mem_bus_.map(kAbove4gStart, mem.above_4g, ram, mem.below_4g, "ram_above_4g");
}

// QEMU pc port addresses (hw/i386/pc.c, hw/char/serial-isa.c, fw_cfg.rst).
void System::wire_io_bus() {
  add_device(pic_master_t_, Pic8259::kMasterBase, Pic8259::kSize);
  add_device(port80_t_, Port80::kBase, Port80::kSize);
  add_device(pic_slave_t_, Pic8259::kSlaveBase, Pic8259::kSize);
  add_device(debug_exit_t_, DebugExit::kBase, DebugExit::kSize);
  add_device(uart_t_, Uart16550::kCom1Base, Uart16550::kSize);
  add_device(fw_cfg_t_, FwCfg::kBase, FwCfg::kSize);
}

void System::add_device(DeviceTarget& t, uint64_t base, uint64_t size) {
  io_bus_.map(base, size, io_bus_.bind_target(t.socket), 0, t.basename());
}

void System::register_stats() {
  cpu_.register_stats(stats_);
  stats_.add_counter("platform.uart.bytes_written", &uart_.bytes_written, "bytes",
                     "bytes the guest sent through COM1");
  stats_.add_counter("platform.port80.writes", &port80_.writes, "count",
                     "writes to the POST diagnostic port 0x80");
  stats_.add_counter("platform.fw_cfg.reads", &fw_cfg_t_.reads, "count",
                     "reads of the fw_cfg ports");
  auto insns = [this] { return double(cpu_.core().instructions() - base_insns_); };
  auto cycles = [this] { return double(cpu_.core().cycles() - base_cycles_); };
  auto wall = [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  };
  const double hz =
      double(cpu_.cycle_time().to_seconds()) > 0 ? 1 / cpu_.cycle_time().to_seconds() : 0;
  stats_.add_formula(
      "sim.ipc", [=] { return cycles() > 0 ? insns() / cycles() : 0; }, "instructions/cycle",
      "instructions per cycle");
  stats_.add_formula(
      "sim.seconds", [=] { return cycles() / hz; }, "seconds",
      "simulated time: cycles at platform.cpu_mhz");
  stats_.add_formula("sim.wall_seconds", wall, "seconds", "host time the simulation took");
  stats_.add_formula(
      "sim.mips", [=] { return wall() > 0 ? insns() / wall() / 1e6 : 0; }, "MIPS",
      "simulation speed: instructions per host second / 1e6");
}

void System::start_of_simulation() {
  wall_start_ = std::chrono::steady_clock::now();
}

void System::begin_region() {
  stats_.set_base(stats_.snapshot());
  base_insns_ = cpu_.core().instructions();
  base_cycles_ = cpu_.core().cycles();
  wall_start_ = std::chrono::steady_clock::now();
  frozen_.reset();
}

// Magic operations (core.h MagicOp; workloads/lib/hvsim_magic.h).
void System::on_magic(uint16_t op, uint64_t /*arg*/) {
  switch (op) {
    case core::kMagicRoiBegin:
    case core::kMagicResetStats:
      begin_region();
      break;
    case core::kMagicRoiEnd:  // later dumps report the region only
      frozen_.emplace(stats_.to_text(), stats_.to_json());
      break;
    case core::kMagicDumpStats:
      write_stats();
      break;
    case core::kMagicCheckpoint:
      if (!warned_checkpoint_)
        std::fprintf(stderr, "hvsim: checkpoint magic ignored (not supported yet)\n");
      warned_checkpoint_ = true;
      break;
    default:
      break;
  }
}

void System::write_stats() {
  if (spec_.out_dir.empty()) return;
  std::filesystem::create_directories(spec_.out_dir);
  const auto dir = std::filesystem::path(spec_.out_dir);
  std::ofstream(dir / "stats.txt") << (frozen_ ? frozen_->first : stats_.to_text());
  std::ofstream(dir / "stats.json") << (frozen_ ? frozen_->second : stats_.to_json());
}

void System::finish() {
  serial_->flush();
  write_stats();
}

}  // namespace hvsim::platform
