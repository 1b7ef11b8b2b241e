/** What the CPU can do, for choices that depend on it (the integer ONNX backbone, onnx/onnx-precision.ts). */
import { readFileSync } from 'node:fs';

/** The flags of the first processor in a /proc/cpuinfo text (Linux); empty when there are none. */
export function cpuFlagsOf(cpuinfo: string): Set<string> {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  return new Set(
    line
      ? line
          .slice(line.indexOf(':') + 1)
          .trim()
          .split(/\s+/)
      : [],
  );
}

/** This machine's CPU flags; empty off Linux or where /proc/cpuinfo cannot be read. */
export function hostCpuFlags(): Set<string> {
  try {
    return cpuFlagsOf(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return new Set();
  }
}

/**
 * VNNI: x86's u8 x s8 dot-product instructions (AVX-512 VNNI on Intel Ice Lake and AMD Zen 4 or later, AVX-VNNI on
 * Alder Lake). With them ONNX Runtime's U8S8 kernels accumulate in int32; without them MLAS adds pairs of products
 * in int16, which saturates on 8-bit weights (README, "The integer ONNX path").
 */
export function hasVnni(flags: ReadonlySet<string> = hostCpuFlags()): boolean {
  return flags.has('avx512_vnni') || flags.has('avx_vnni');
}
