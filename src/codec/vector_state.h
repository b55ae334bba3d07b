// ISA-L's AVX-512 routines (CRC32C, Reed–Solomon) return with the upper halves of the
// vector registers still in use: they do not end with `vzeroupper`. On the AMD EPYC
// machines ferry is measured on, every later legacy-SSE instruction of that thread then
// runs slower — SHA-256 with SHA-NI at 1.33 instead of 1.8 GB/s — and every thread
// started afterwards inherits the state from its parent. So each call into ISA-L is
// followed by this.
#pragma once

namespace ferry::codec {

inline void clear_upper_vector_state() {
#if defined(__x86_64__)
  static const bool has_avx = __builtin_cpu_supports("avx");
  // Zeroes bits 128 and up of ymm0-15 only; the compiler keeps nothing there, as ferry
  // is built without AVX.
  if (has_avx) asm volatile("vzeroupper" ::: "memory");
#endif
}

}  // namespace ferry::codec
