// The host runner behind every x87 and MMX instruction that does not need
// C++ semantics (see x87.h for the idea). A stub is
//   FRSTOR [rdi+kImg]
//   [PUSH qword [rdi+kFlags]; POPFQ]          FCMOVcc: the guest's CF/ZF/PF
//   [MOV rax, [rdi+kGpr]]                    a GPR operand is host RAX
//   <the guest instruction, memory operand [rdi], GPR operand RAX>
//   [MOV [rdi+kGpr], rax]
//   [PUSHFQ; POP qword [rdi+kFlags]]         FCOMI family: the new flags
//   FNSAVE [rdi+kImg]
//   RET
// called with RDI = a per-thread Frame. The x87 pointer registers are found
// out from the hardware too: the image is loaded with FIP/FDP/FOP values the
// stub cannot produce, and each one the host changed (it updates them as its
// microarchitecture does: every non-control instruction, FDP only for memory
// operands, or only on unmasked exceptions on parts with that feature) is
// replaced by the guest's instruction pointer, data pointer and opcode.
#include <cstring>

#include "sim/core/hostexec/host_code.h"
#include "sim/core/x87/x87.h"

namespace hvsim::core::x87 {

namespace {

constexpr unsigned kBuf = 0, kImg = 128, kGpr = 240, kFlags = 248;

struct alignas(64) Frame {
  uint8_t buf[128];
  uint8_t img[108];
  uint8_t pad[4];
  uint64_t gpr;
  uint64_t flags;
};
static_assert(sizeof(Frame) == 256 && offsetof(Frame, img) == kImg && offsetof(Frame, gpr) == kGpr &&
              offsetof(Frame, flags) == kFlags);

thread_local Frame t_frame;

uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
void wr32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void wr16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

void put_disp32_op(uint8_t* b, size_t& n, std::initializer_list<uint8_t> head, uint32_t disp) {
  for (uint8_t x : head) b[n++] = x;
  std::memcpy(b + n, &disp, 4);
  n += 4;
}

HostInfo info_of(const DecodedInsn& d) {
  HostInfo h;
  std::memcpy(static_cast<void*>(&h), &d.imm, 8);
  std::memcpy(reinterpret_cast<uint8_t*>(&h) + 8, &d.imm2, sizeof(HostInfo) - 8);
  return h;
}

bool is_fcomi(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_FCOMI || m == ZYDIS_MNEMONIC_FCOMIP || m == ZYDIS_MNEMONIC_FUCOMI ||
         m == ZYDIS_MNEMONIC_FUCOMIP;
}
bool is_fcmov(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_FCMOVB: case ZYDIS_MNEMONIC_FCMOVBE: case ZYDIS_MNEMONIC_FCMOVE:
    case ZYDIS_MNEMONIC_FCMOVNB: case ZYDIS_MNEMONIC_FCMOVNBE: case ZYDIS_MNEMONIC_FCMOVNE:
    case ZYDIS_MNEMONIC_FCMOVNU: case ZYDIS_MNEMONIC_FCMOVU:
      return true;
    default:
      return false;
  }
}

}  // namespace

unsigned classify_tag(const Float80& f) {
  const unsigned exp = f.sign_exp & 0x7fff;
  if (exp == 0x7fff) return 2;                    // infinity, NaN, pseudo-NaN/infinity
  if (exp == 0) return f.signif == 0 ? 1 : 2;     // zero; denormal / pseudo-denormal
  return (f.signif >> 63) ? 0 : 2;                // normal; unnormal (unsupported)
}

void state_to_image(const X87State& x, uint8_t* img) {
  std::memset(img, 0, 108);
  wr16(img + 0, x.fcw);
  wr16(img + 4, x.fsw);
  wr16(img + 8, x.ftw);
  wr32(img + 12, static_cast<uint32_t>(x.fip));
  wr32(img + 16, x.fcs | static_cast<uint32_t>(x.fop & 0x7ff) << 16);
  wr32(img + 20, static_cast<uint32_t>(x.fdp));
  wr16(img + 24, x.fds);
  const unsigned top = x.top();
  for (unsigned i = 0; i < 8; ++i) {
    const Float80& r = x.r[(top + i) & 7];
    std::memcpy(img + 28 + 10 * i, &r.signif, 8);
    std::memcpy(img + 36 + 10 * i, &r.sign_exp, 2);
  }
}

void image_to_state(const uint8_t* img, X87State& x) {
  x.fcw = rd16(img + 0);
  x.fsw = rd16(img + 4);
  x.ftw = rd16(img + 8);
  x.fip = rd32(img + 12);
  x.fcs = rd16(img + 16);
  x.fop = rd16(img + 18) & 0x7ff;
  x.fdp = rd32(img + 20);
  x.fds = rd16(img + 24);
  const unsigned top = x.top();
  for (unsigned i = 0; i < 8; ++i) {
    Float80& r = x.r[(top + i) & 7];
    std::memcpy(&r.signif, img + 28 + 10 * i, 8);
    std::memcpy(&r.sign_exp, img + 36 + 10 * i, 2);
  }
}

void read_bytes(Engine& e, uint64_t la, uint8_t* b, unsigned n) {
  unsigned i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = e.read<uint64_t>(la + i);
    std::memcpy(b + i, &v, 8);
  }
  for (; i + 2 <= n; i += 2) {
    uint16_t v = e.read<uint16_t>(la + i);
    std::memcpy(b + i, &v, 2);
  }
  if (i < n) b[i] = e.read<uint8_t>(la + i);
}

void write_bytes(Engine& e, uint64_t la, const uint8_t* b, unsigned n) {
  unsigned i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, b + i, 8);
    e.write<uint64_t>(la + i, v);
  }
  for (; i + 2 <= n; i += 2) {
    uint16_t v;
    std::memcpy(&v, b + i, 2);
    e.write<uint16_t>(la + i, v);
  }
  if (i < n) e.write<uint8_t>(la + i, b[i]);
}

void bind_host(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
               DecodedInsn& d) {
  HostInfo h;
  const bool x87 = zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;
  if (!x87) h.flags |= kHfMmx;
  if (is_fcomi(zi.mnemonic)) h.flags |= kHfFlagsOut;
  if (is_fcmov(zi.mnemonic)) h.flags |= kHfFlagsIn;
  bool gpr_in_reg = false, gpr_in_rm = false;
  for (unsigned i = 0; i < zi.operand_count_visible; ++i) {
    const ZydisDecodedOperand& o = ops[i];
    if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      h.mem_size = static_cast<uint8_t>(o.size / 8);
      h.mem_read = (o.actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
      h.mem_write = (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
      if (h.mem_size == 0 || h.mem_size > 108) return;
    } else if (o.type == ZYDIS_OPERAND_TYPE_REGISTER) {
      const ZydisRegisterClass c = ZydisRegisterGetClass(o.reg.value);
      if (c == ZYDIS_REGCLASS_GPR32 || c == ZYDIS_REGCLASS_GPR64) {
        if (h.gpr != 0xff) return;
        h.gpr = static_cast<uint8_t>(ZydisRegisterGetId(o.reg.value));
        h.gpr_size = static_cast<uint8_t>(o.size / 8);
        h.gpr_write = (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
        if (o.encoding == ZYDIS_OPERAND_ENCODING_MODRM_REG) gpr_in_reg = true;
        else if (o.encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM) gpr_in_rm = true;
        else return;
      } else if (c != ZYDIS_REGCLASS_X87 && c != ZYDIS_REGCLASS_MMX) {
        return;  // XMM forms belong to the SSE family
      }
    } else if (o.type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
      return;
    }
  }
  // The stub.
  uint8_t b[64];
  size_t n = 0;
  put_disp32_op(b, n, {0xdd, 0xa7}, kImg);  // FRSTOR [rdi+kImg]
  if (h.flags & kHfFlagsIn) {
    put_disp32_op(b, n, {0xff, 0xb7}, kFlags);  // PUSH qword [rdi+kFlags]
    b[n++] = 0x9d;                              // POPFQ
  }
  if (h.gpr != 0xff) put_disp32_op(b, n, {0x48, 0x8b, 0x87}, kGpr);  // MOV rax, [rdi+kGpr]
  h.insn_off = static_cast<uint8_t>(n);
  if (zi.attributes & ZYDIS_ATTRIB_HAS_REX && zi.raw.rex.W) b[n++] = 0x48;
  switch (zi.opcode_map) {
    case ZYDIS_OPCODE_MAP_DEFAULT: break;
    case ZYDIS_OPCODE_MAP_0F: b[n++] = 0x0f; break;
    case ZYDIS_OPCODE_MAP_0F38: b[n++] = 0x0f; b[n++] = 0x38; break;
    case ZYDIS_OPCODE_MAP_0F3A: b[n++] = 0x0f; b[n++] = 0x3a; break;
    default: return;
  }
  b[n++] = zi.opcode;
  if (zi.attributes & ZYDIS_ATTRIB_HAS_MODRM) {
    const auto& m = zi.raw.modrm;
    const uint8_t guest_modrm = static_cast<uint8_t>(m.mod << 6 | m.reg << 3 | m.rm);
    uint8_t mod = m.mod, reg = m.reg, rm = m.rm;
    if (mod != 3) mod = 0, rm = 7;  // [rdi]
    if (gpr_in_reg) reg = 0;
    if (gpr_in_rm) rm = 0;
    const uint8_t host_modrm = static_cast<uint8_t>(mod << 6 | reg << 3 | rm);
    b[n++] = host_modrm;
    h.fop = static_cast<uint16_t>((zi.opcode & 7) << 8 | guest_modrm);
    h.host_fop = static_cast<uint16_t>((zi.opcode & 7) << 8 | host_modrm);
  } else if (h.mem_size || h.gpr != 0xff) {
    return;
  }
  for (unsigned i = 0; i < 2; ++i) {
    if (!zi.raw.imm[i].size) continue;
    if (zi.raw.imm[i].size != 8) return;
    b[n++] = static_cast<uint8_t>(zi.raw.imm[i].value.u);
  }
  if (h.gpr != 0xff) put_disp32_op(b, n, {0x48, 0x89, 0x87}, kGpr);  // MOV [rdi+kGpr], rax
  if (h.flags & kHfFlagsOut) {
    b[n++] = 0x9c;                              // PUSHFQ
    put_disp32_op(b, n, {0x8f, 0x87}, kFlags);  // POP qword [rdi+kFlags]
  }
  put_disp32_op(b, n, {0xdd, 0xb7}, kImg);  // FNSAVE [rdi+kImg]
  b[n++] = 0xc3;
  d.aux = hostexec::HostCode::instance().get(b, n);
  std::memcpy(&d.imm, &h, 8);
  std::memcpy(&d.imm2, reinterpret_cast<const uint8_t*>(&h) + 8, sizeof(HostInfo) - 8);
  d.exec = &exec_host;
}

void exec_host(Engine& e, const DecodedInsn& d) {
  const HostInfo h = info_of(d);
  check_nm(e, h.flags & kHfMmx);
  const bool ignne = pending_ignored(e);
  Frame& f = t_frame;
  uint64_t la = 0;
  if (h.mem_size) {
    la = e.mem_linear(d, h.mem_size, h.mem_write && !h.mem_read);
    if (h.mem_read) read_bytes(e, la, f.buf, h.mem_size);
    if (h.mem_write) e.probe_write(la, h.mem_size);
  }
  X87State& x = e.s.x87;
  const uint8_t* stub = static_cast<const uint8_t*>(d.aux);
  const uint32_t host_ip = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(stub + h.insn_off));
  const uint32_t host_dp = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(f.buf));
  X87State in = x;
  uint16_t held = 0;  // CR0.NE = 0: exception state kept aside while the host runs
  if (ignne) {
    held = static_cast<uint16_t>(in.fsw & (kFswExc | kFswSF | kFswES | kFswB));
    in.fsw = static_cast<uint16_t>(in.fsw & ~held);
  }
  in.fip = ~host_ip;
  in.fdp = ~host_dp;
  in.fop = static_cast<uint16_t>(~h.host_fop & 0x7ff);
  uint8_t pre[108];
  state_to_image(in, pre);
  std::memcpy(f.img, pre, sizeof pre);
  if (h.mem_write && !h.mem_read) std::memset(f.buf, 0, h.mem_size);
  if (h.gpr != 0xff) f.gpr = e.s.gpr[h.gpr];
  f.flags = (e.s.rflags & (CF | PF | ZF)) | 0x202;
  // The stub from the input above (the same again after reload()).
  const uint64_t flags_in = f.flags, gpr_in = f.gpr;
  uint8_t buf_in[sizeof f.buf];
  if (h.mem_write) std::memcpy(buf_in, f.buf, h.mem_size);  // the stub writes it
  const auto run_stub = [&] { reinterpret_cast<void (*)(Frame*)>(const_cast<uint8_t*>(stub))(&f); };
  const auto reload = [&] {
    std::memcpy(f.img, pre, sizeof pre);
    if (h.mem_write) std::memcpy(f.buf, buf_in, h.mem_size);
    f.gpr = gpr_in;
    f.flags = flags_in;
  };
  // A host whose FXSAVE/XSAVE keeps FIP/FDP/FOP only while an exception is
  // pending (AMD, APM Vol. 5 FXSAVE; Linux clears them on such hosts when
  // it restores a task) loses them when the task is switched out between
  // FRSTOR and FNSAVE: a pointer then reads neither the value loaded nor
  // the host's own (FDP 0 is let through: it keeps the guest's, as an
  // instruction without a memory operand does). Run the stub again from
  // the same input until none was lost (a disturbed run is rare).
  for (unsigned tries = 0;; ++tries) {
    run_stub();
    const uint32_t ip = rd32(f.img + 12), dp = rd32(f.img + 20);
    const uint16_t op = rd16(f.img + 18) & 0x7ff;
    const bool kept = (ip == ~host_ip || ip == host_ip) &&
                      (dp == ~host_dp || dp == host_dp || dp == 0) &&
                      (op == (~h.host_fop & 0x7ff) || op == h.host_fop);
    if (kept || tries == 7) break;
    reload();
  }
  bool store = h.mem_write;
  if (store && !h.mem_read) {
    // An unmasked invalid-operation, overflow or underflow exception on a
    // store to memory leaves the destination unchanged (SDM Vol. 1 4.9.2,
    // 8.5). Find out from the hardware: run again over a different buffer.
    const uint16_t fsw = rd16(f.img + 4), fcw = rd16(f.img + 0);
    if (fsw & ~fcw & kFswExc) {
      bool untouched = true;
      for (unsigned i = 0; i < h.mem_size; ++i) untouched &= f.buf[i] == 0;
      if (untouched) {
        uint8_t first[108];
        std::memcpy(first, f.img, sizeof first);
        reload();
        std::memset(f.buf, 0xff, h.mem_size);
        run_stub();
        for (unsigned i = 0; i < h.mem_size; ++i) untouched &= f.buf[i] == 0xff;
        std::memcpy(f.img, first, sizeof first);
        if (untouched) store = false;
        else std::memset(f.buf, 0, h.mem_size);  // it did store zeros
      }
    }
  }
  const X87State old = x;
  image_to_state(f.img, x);
  // Each pointer the host replaced becomes the guest's.
  if (static_cast<uint32_t>(x.fip) == host_ip) {
    x.fip = e.long64() ? e.s.rip - d.len : static_cast<uint32_t>(e.s.rip - d.len);
    x.fcs = e.s.seg[CS].selector;
  } else {
    x.fip = old.fip;
    x.fcs = old.fcs;
  }
  if (static_cast<uint32_t>(x.fdp) == host_dp) {
    x.fdp = h.mem_size ? e.ea(d) : 0;
    x.fds = h.mem_size ? e.s.seg[d.mem.seg].selector : 0;
  } else {
    x.fdp = old.fdp;
    x.fds = old.fds;
  }
  x.fop = x.fop == h.host_fop ? h.fop : old.fop;
  if (ignne) {
    x.fsw = static_cast<uint16_t>(x.fsw | (held & (kFswExc | kFswSF)));
    if (x.fsw & ~x.fcw & kFswExc) x.fsw |= kFswES | kFswB;
  }
  if (h.gpr != 0xff && h.gpr_write) {
    if (h.gpr_size == 8) e.set_gpr<uint64_t>(h.gpr, f.gpr);
    else e.set_gpr<uint32_t>(h.gpr, static_cast<uint32_t>(f.gpr));
  }
  if (h.flags & kHfFlagsOut)
    e.s.rflags = (e.s.rflags & ~kArithFlags) | (f.flags & kArithFlags);
  if (store) write_bytes(e, la, f.buf, h.mem_size);
}

}  // namespace hvsim::core::x87
