#include "sim/timing/core_model.h"

#include "sim/timing/sample_schedule.h"

namespace hvsim::timing {

void declare_core_model_params(base::ParamRegistry& reg) {
  ooo::OooParams::declare_params(reg);
  SampleSchedule::declare_params(reg);
}

CoreModel make_core_model(const base::Config& cfg, uint32_t store_cap) {
  if (cfg.get_string("timing.model") == "ooo")
    return CoreModel(std::in_place_type<ooo::OooCore>, ooo::OooParams::from_config(cfg));
  return CoreModel(std::in_place_type<SimpleCore>, Latencies::from_config(cfg), store_cap);
}

}  // namespace hvsim::timing
