/* Past the intercepted instruction, and an exception for the guest, on
 * hv_vmcb. Not compiled by itself: #include'd by main.c (the
 * uniprocessor's, on the global VMCB) and by smp_exits.c (renamed
 * hv_smp_skip_insn / hv_smp_inject_exception, on the handling vCPU's).
 *
 * NRIP (APM Vol. 2 15.7.1, with the NRIP-save feature) is the next
 * instruction's address; else the caller's instruction length. Skipping it
 * ends an STI / MOV SS interrupt shadow. EVENTINJ: APM Vol. 2 15.20. */
void hv_skip_insn(unsigned len) {
  if (hv_nrips && hv_vmcb.control.nrip) hv_vmcb.save.rip = hv_vmcb.control.nrip;
  else hv_vmcb.save.rip += len;
  hv_vmcb.control.interrupt_shadow &= ~1ull;
}

void hv_inject_exception(unsigned vector, int has_error, uint32_t error) {
  hv_vmcb.control.eventinj = SVM_EVENT_VALID | ((uint64_t)SVM_EVENT_TYPE_EXCEPTION << 8) | vector |
                             (has_error ? SVM_EVENT_EV | ((uint64_t)error << 32) : 0);
}
