// The host CPU's vector features (CPUID, read once): the vector families run
// guest operations on the host, so CPUID withholds whatever the host lacks
// and the binders refuse (#UD) an extension the host does not have.
#pragma once

namespace hvsim::core::simd {

struct HostCpu {
  bool sse3 = false, ssse3 = false, sse41 = false, sse42 = false, pclmul = false, aes = false;
  bool avx = false, avx2 = false, fma = false, f16c = false, xsave = false, os_avx = false;
};
const HostCpu& host_cpu();

}  // namespace hvsim::core::simd
