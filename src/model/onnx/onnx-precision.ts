/**
 * ONNX_PRECISION: which ONNX graph embeds.
 *   float  the dequantized float32 import, equal to tfjs within 1e-4 (every backbone)
 *   int8   the .tflite file's own integer arithmetic (QDQ graph, int8 weights): a uint8 TFLite entry only
 *   auto   int8 where it is both available and fast, else float
 * Measured on MobileNet-EdgeTPU (`node --import tsx bench/int8-qdq.ts`, README "The integer ONNX path"): on CPUs
 * with VNNI, int8 is ~1.6x faster at batch 1 and ~2x at batch 8 with the same Imagewoof top-1; without VNNI it
 * either gains nothing (uint8 weights) or loses 2 points (int8 weights saturate), so auto keeps float there.
 */
import type { Backbone } from '../backbone.ts';
import { hasVnni } from '../cpu-features.ts';
import type { OnnxPrecision } from './onnx-backbone.ts';

export const ONNX_PRECISION_SETTINGS = ['auto', 'float', 'int8'] as const;
export type OnnxPrecisionSetting = (typeof ONNX_PRECISION_SETTINGS)[number];

export interface PrecisionChoice {
  precision: OnnxPrecision;
  /** Why, for logs and /model: the setting, or what auto saw. */
  reason: string;
}

/** Why `backbone` has no integer graph, or undefined when it has one (its own checked .tflite file). */
export function int8Unavailable(backbone: Pick<Backbone, 'id' | 'config' | 'source'>): string | undefined {
  if (backbone.config.format === 'ensemble')
    return `${backbone.id} is an ensemble; int8 serves one TFLite network`;
  if (!backbone.source.tfliteFile) {
    return `${backbone.id} has no .tflite file of its own (not a TFLite entry, or an already converted or fine-tuned folder)`;
  }
  return undefined;
}

/** The precision `setting` asks for on `backbone`; ONNX_PRECISION=int8 where it is unavailable is an error. */
export function chooseOnnxPrecision(
  setting: OnnxPrecisionSetting,
  backbone: Pick<Backbone, 'id' | 'config' | 'source'>,
  vnni: boolean = hasVnni(),
): PrecisionChoice {
  if (setting === 'float') return { precision: 'float', reason: 'ONNX_PRECISION=float' };
  const unavailable = int8Unavailable(backbone);
  if (setting === 'int8') {
    if (unavailable) throw new Error(`ONNX_PRECISION=int8 cannot be used: ${unavailable}`);
    return { precision: 'int8', reason: 'ONNX_PRECISION=int8' };
  }
  if (unavailable) return { precision: 'float', reason: unavailable };
  if (!vnni)
    return { precision: 'float', reason: 'the CPU has no VNNI, where int8 is not faster at equal accuracy' };
  return { precision: 'int8', reason: 'the CPU has VNNI and the backbone is a uint8 TFLite file' };
}
