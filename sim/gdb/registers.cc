#include "sim/gdb/registers.h"

#include <cstring>

namespace hvsim::gdb {

namespace {

using core::ArchState;

// gdb's x86-64 order of the sixteen GPRs (rax, rbx, rcx, rdx, rsi, rdi, rbp,
// rsp, r8-r15) as indexes of ArchState::gpr (the encoding order).
constexpr uint8_t kGprOrder[16] = {core::RAX, core::RBX, core::RCX, core::RDX,
                                   core::RSI, core::RDI, core::RBP, core::RSP,
                                   8, 9, 10, 11, 12, 13, 14, 15};
constexpr uint8_t kSegOrder[6] = {core::CS, core::SS, core::DS, core::ES, core::FS, core::GS};

// Numbers: 0-15 GPRs, 16 rip, 17 eflags, 18-23 cs ss ds es fs gs, 24-31
// st0-7, 32-39 fctrl fstat ftag fiseg fioff foseg fooff fop, 40-55 xmm0-15,
// 56 mxcsr, 57 fs_base, 58 gs_base, 59-64 cr0 cr2 cr3 cr4 cr8 efer.
enum : unsigned {
  kRip = 16, kEflags = 17, kSeg0 = 18, kSt0 = 24, kFctrl = 32, kFop = 39, kXmm0 = 40,
  kMxcsr = 56, kFsBase = 57, kGsBase = 58, kCr0 = 59, kEfer = 64,
};

std::string build_xml() {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n"
      "<feature name=\"org.gnu.gdb.i386.core\">\n"
      "<flags id=\"i386_eflags\" size=\"4\">"
      "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
      "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
      "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
      "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
      "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
      "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
      "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
      "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
      "<field name=\"ID\" start=\"21\" end=\"21\"/></flags>\n";
  static const char* const gpr[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                      "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
  for (unsigned i = 0; i < 16; ++i) {
    const char* type = i == 6 || i == 7 ? "data_ptr" : "int64";
    x += "<reg name=\"" + std::string(gpr[i]) + "\" bitsize=\"64\" type=\"" + type +
         "\" regnum=\"" + std::to_string(i) + "\"/>\n";
  }
  x += "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\"/>\n"
       "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\" regnum=\"17\"/>\n";
  static const char* const seg[6] = {"cs", "ss", "ds", "es", "fs", "gs"};
  for (unsigned i = 0; i < 6; ++i)
    x += "<reg name=\"" + std::string(seg[i]) + "\" bitsize=\"32\" type=\"int32\" regnum=\"" +
         std::to_string(kSeg0 + i) + "\"/>\n";
  for (unsigned i = 0; i < 8; ++i)
    x += "<reg name=\"st" + std::to_string(i) + "\" bitsize=\"80\" type=\"i387_ext\" regnum=\"" +
         std::to_string(kSt0 + i) + "\"/>\n";
  static const char* const fpu[8] = {"fctrl", "fstat", "ftag",  "fiseg",
                                     "fioff", "foseg", "fooff", "fop"};
  for (unsigned i = 0; i < 8; ++i)
    x += "<reg name=\"" + std::string(fpu[i]) +
         "\" bitsize=\"32\" type=\"int\" group=\"float\" regnum=\"" + std::to_string(kFctrl + i) +
         "\"/>\n";
  x += "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n"
       "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
       "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
       "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
       "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
       "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
       "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
       "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
       "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
       "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
       "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
       "</union>\n"
       "<flags id=\"i386_mxcsr\" size=\"4\">"
       "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>"
       "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>"
       "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>"
       "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>"
       "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>"
       "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>"
       "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>"
       "</flags>\n";
  for (unsigned i = 0; i < 16; ++i)
    x += "<reg name=\"xmm" + std::to_string(i) + "\" bitsize=\"128\" type=\"vec128\" regnum=\"" +
         std::to_string(kXmm0 + i) + "\"/>\n";
  x += "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\" regnum=\"56\"/>\n"
       "</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n"
       "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"57\"/>\n"
       "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\" regnum=\"58\"/>\n"
       "</feature>\n<feature name=\"org.hvsim.x86.sys\">\n";
  static const char* const sys[6] = {"cr0", "cr2", "cr3", "cr4", "cr8", "efer"};
  for (unsigned i = 0; i < 6; ++i)
    x += "<reg name=\"" + std::string(sys[i]) +
         "\" bitsize=\"64\" type=\"uint64\" group=\"system\" regnum=\"" +
         std::to_string(kCr0 + i) + "\"/>\n";
  x += "</feature>\n</target>\n";
  return x;
}

uint64_t sys_reg(const ArchState& s, unsigned n) {
  switch (n - kCr0) {
    case 0: return s.cr0;
    case 1: return s.cr2;
    case 2: return s.cr3;
    case 3: return s.cr4;
    case 4: return s.cr8;
    default: return s.efer;
  }
}

// The x87 registers gdb numbers as the stack: st(i) is R[(TOP + i) & 7].
const core::Float80& st(const ArchState& s, unsigned i) {
  return s.x87.r[(s.x87.top() + i) & 7];
}

uint32_t fpu_reg(const ArchState& s, unsigned n) {
  const core::X87State& f = s.x87;
  switch (n - kFctrl) {
    case 0: return f.fcw;
    case 1: return f.fsw;
    case 2: return f.ftw;
    case 3: return f.fcs;
    case 4: return static_cast<uint32_t>(f.fip);
    case 5: return f.fds;
    case 6: return static_cast<uint32_t>(f.fdp);
    default: return f.fop;
  }
}

void put(std::vector<uint8_t>& out, uint64_t v, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get(const uint8_t* d, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes && i < 8; ++i) v |= static_cast<uint64_t>(d[i]) << (8 * i);
  return v;
}

}  // namespace

const std::string& target_xml() {
  static const std::string xml = build_xml();
  return xml;
}

unsigned reg_size(unsigned n) {
  if (n < kEflags) return 8;
  if (n < kSt0) return 4;
  if (n < kFctrl) return 10;
  if (n < kXmm0) return 4;
  if (n < kMxcsr) return 16;
  if (n == kMxcsr) return 4;
  if (n < kNumRegs) return 8;
  return 0;
}

std::vector<uint8_t> read_reg(const ArchState& s, unsigned n) {
  std::vector<uint8_t> out;
  out.reserve(16);
  if (n < 16) {
    put(out, s.gpr[kGprOrder[n]], 8);
  } else if (n == kRip) {
    put(out, s.rip, 8);
  } else if (n == kEflags) {
    put(out, s.rflags, 4);
  } else if (n < kSt0) {
    put(out, s.seg[kSegOrder[n - kSeg0]].selector, 4);
  } else if (n < kFctrl) {
    put(out, st(s, n - kSt0).signif, 8);
    put(out, st(s, n - kSt0).sign_exp, 2);
  } else if (n < kXmm0) {
    put(out, fpu_reg(s, n), 4);
  } else if (n < kMxcsr) {
    put(out, s.vec.ymm[n - kXmm0][0], 8);
    put(out, s.vec.ymm[n - kXmm0][1], 8);
  } else if (n == kMxcsr) {
    put(out, s.vec.mxcsr, 4);
  } else if (n == kFsBase || n == kGsBase) {
    put(out, s.seg[n == kFsBase ? core::FS : core::GS].base, 8);
  } else if (n < kNumRegs) {
    put(out, sys_reg(s, n), 8);
  }
  return out;
}

bool write_reg(ArchState& s, unsigned n, const uint8_t* d) {
  if (n < 16) {
    s.gpr[kGprOrder[n]] = get(d, 8);
  } else if (n == kRip) {
    s.rip = get(d, 8);
  } else if (n == kEflags) {
    // Bit 1 is always 1; VM, RF and the reserved bits are not a debugger's.
    s.rflags = (s.rflags & ~0x3c7fd5ull) | (get(d, 4) & 0x3c7fd5) | 2;
  } else if (n < kSt0) {
    return get(d, 4) == s.seg[kSegOrder[n - kSeg0]].selector;
  } else if (n < kFctrl) {
    core::Float80& r = s.x87.r[(s.x87.top() + n - kSt0) & 7];
    r.signif = get(d, 8);
    r.sign_exp = static_cast<uint16_t>(get(d + 8, 2));
  } else if (n < kXmm0) {
    const uint32_t v = static_cast<uint32_t>(get(d, 4));
    core::X87State& f = s.x87;
    switch (n - kFctrl) {
      case 0: f.fcw = static_cast<uint16_t>(v); break;
      case 1: f.fsw = static_cast<uint16_t>(v); break;
      case 2: f.ftw = static_cast<uint16_t>(v); break;
      case 3: f.fcs = static_cast<uint16_t>(v); break;
      case 4: f.fip = v; break;
      case 5: f.fds = static_cast<uint16_t>(v); break;
      case 6: f.fdp = v; break;
      default: f.fop = static_cast<uint16_t>(v & 0x7ff); break;
    }
  } else if (n < kMxcsr) {
    s.vec.ymm[n - kXmm0][0] = get(d, 8);
    s.vec.ymm[n - kXmm0][1] = get(d + 8, 8);
  } else if (n == kMxcsr) {
    const uint32_t v = static_cast<uint32_t>(get(d, 4));
    if (v & ~0xffffu) return false;  // reserved bits: LDMXCSR would #GP
    s.vec.mxcsr = v;
  } else if (n == kFsBase || n == kGsBase) {
    s.seg[n == kFsBase ? core::FS : core::GS].base = get(d, 8);
  } else if (n < kNumRegs) {
    return get(d, 8) == sys_reg(s, n);
  } else {
    return false;
  }
  return true;
}

}  // namespace hvsim::gdb
