// Registration of the SVM instructions with a core's decoder.
#pragma once

namespace hvsim::core::isa {
class BinderTable;
}

namespace hvsim::svm {

void register_insns(core::isa::BinderTable& t);
void register_msrs();

}  // namespace hvsim::svm
