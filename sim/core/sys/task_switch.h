// Hardware task switching in legacy protected mode (SDM Vol. 3 7.3, Table
// 7-1 and 7-2; Vol. 2A JMP, CALL, IRET, INT n "TASK-GATE"/"TASK-RETURN").
// IA-32e mode has no task switching: its callers raise #GP before coming here.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/core/sys/descriptor.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core::sys {

// The source of a task switch; the values are VMX's exit-qualification
// encoding (SDM Vol. 3 Table 28-2 bits 31:30).
enum class TaskSource : unsigned {
  kCall = virt::kTaskSwitchCall,
  kIret = virt::kTaskSwitchIret,
  kJmp = virt::kTaskSwitchJmp,
  kIdt = virt::kTaskSwitchIdt,
};

// Far JMP/CALL to a TSS descriptor or a task gate in the GDT/LDT: `d` is the
// descriptor `sel` names (already read), with the privilege and presence
// checks of the JMP/CALL pseudocode done here.
void far_task_switch(Engine& e, uint16_t sel, const Descriptor& d, bool call);
// A task gate met in the IDT while delivering `vector` (`ext` = EXT bit).
void idt_task_switch(Engine& e, const Descriptor& gate, uint8_t vector, bool has_error,
                     uint32_t error, uint32_t ext);
// IRET with NT = 1: a return to the task in the current TSS's link field.
void iret_task_return(Engine& e);

}  // namespace hvsim::core::sys
