// Placeholder: the family's author replaces this file.
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {
void register_system(BinderTable&) {}
}  // namespace hvsim::core::isa
