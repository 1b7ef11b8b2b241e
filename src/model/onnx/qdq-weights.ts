/**
 * A TFLite convolution's quantized filter and bias in ONNX layout, for the QDQ converter (tflite-to-qdq-onnx.ts).
 *
 * Three weight encodings, all integer:
 * - 'uint8': the file's bytes and zero points as they are (ONNX Runtime's U8U8 kernels);
 * - 'int8': the same values as q-128 with zero point z-128 (U8S8 kernels). On AVX2 without VNNI, MLAS's U8S8 kernel
 *   adds pairs of u8*s8 products in int16 (vpmaddubsw), which saturates for 8-bit weights: measurably less accurate;
 * - 'int7': requantized per output channel, symmetric, to [-64, 63]: the U8S8 kernels without the saturation (a pair of
 *   products stays within int16), at the price of leaving the file's exact weights (and rescaling each bias to match).
 */
import { OnnxConversionError } from './layers-model.ts';
import { rawValues } from '../tflite/dequantize.ts';
import { TensorType, type Tensor, type TfliteModel } from '../tflite/schema.ts';

export type QdqWeights = 'uint8' | 'int8' | 'int7';

export interface QuantizedConstant {
  values: Uint8Array | Int8Array | Int32Array;
  /** One value, or one per output channel (axis 0). */
  scale: number[];
  zeroPoint: number[];
}

export interface ConvConstants {
  /** ONNX layout [out, in/group, kh, kw]. */
  weight: QuantizedConstant;
  dims: [number, number, number, number];
  bias?: QuantizedConstant;
}

function quantization(t: Tensor): { scale: number[]; zeroPoint: number[] } {
  const q = t.quantization;
  if (!q || q.scale.length === 0) throw new OnnxConversionError(`tensor ${t.name} is not quantized`);
  return { scale: q.scale, zeroPoint: q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0) };
}

/** TFLite OHWI (depthwise 1HW(C*M)) as ONNX OIHW (depthwise (C*M)1HW), still the file's raw integers. */
function toOnnxLayout(raw: ArrayLike<number>, shape: number[], depthwise: boolean) {
  const [fo, kh, kw, fi] = shape as [number, number, number, number];
  const outC = depthwise ? fi : fo;
  const perOut = depthwise ? 1 : fi;
  const out = new Int32Array(raw.length);
  for (let oc = 0; oc < outC; oc++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let ic = 0; ic < perOut; ic++)
          out[((oc * perOut + ic) * kh + y) * kw + x] = depthwise
            ? raw[(y * kw + x) * fi + oc]!
            : raw[((oc * kh + y) * kw + x) * fi + ic]!;
  return { values: out, dims: [outC, perOut, kh, kw] as [number, number, number, number] };
}

export function convConstants(
  model: TfliteModel,
  filter: Tensor,
  bias: Tensor | undefined,
  inputScale: number,
  depthwise: boolean,
  mode: QdqWeights,
): ConvConstants {
  if (filter.type !== TensorType.UINT8 && filter.type !== TensorType.INT8)
    throw new OnnxConversionError(
      `weights ${filter.name} have type ${filter.type}; the int8 converter needs 8-bit weights`,
    );
  const { values, dims } = toOnnxLayout(rawValues(model, filter), filter.shape, depthwise);
  const q = quantization(filter);
  const biasRaw = bias ? Int32Array.from(rawValues(model, bias)) : undefined;
  const biasOf = (scale: number[]) =>
    biasRaw ? { values: biasRaw, scale, zeroPoint: scale.map(() => 0) } : undefined;
  const biasScale = bias ? quantization(bias).scale : [];
  if (mode === 'uint8' || filter.type === TensorType.INT8) {
    const weight = filter.type === TensorType.INT8 ? Int8Array.from(values) : Uint8Array.from(values);
    return { weight: { values: weight, ...q }, dims, bias: biasOf(biasScale) };
  }
  if (mode === 'int8') {
    const weight = {
      values: Int8Array.from(values, (v) => v - 128),
      scale: q.scale,
      zeroPoint: q.zeroPoint.map((z) => z - 128),
    };
    return { weight, dims, bias: biasOf(biasScale) };
  }
  const outC = dims[0];
  const inner = values.length / outC;
  const weight = new Int8Array(values.length);
  const scales: number[] = [];
  const newBias = new Int32Array(outC);
  for (let c = 0; c < outC; c++) {
    const qi = q.scale.length > 1 ? c : 0;
    const real = (i: number) => (values[i]! - q.zeroPoint[qi]!) * q.scale[qi]!;
    let max = 0;
    let low = 0;
    let high = 0;
    for (let i = c * inner; i < (c + 1) * inner; i++) {
      max = Math.max(max, Math.abs(real(i)));
      low = Math.min(low, values[i]! - q.zeroPoint[qi]!);
      high = Math.max(high, values[i]! - q.zeroPoint[qi]!);
    }
    // A channel whose values lie within 7 bits of its zero point keeps the file's exact grid.
    const exact = low >= -64 && high <= 63;
    const s = exact || max === 0 ? q.scale[qi]! : max / 63;
    // Bias scale must be input scale x weight scale, so the accumulator needs no extra rescaling.
    const s32 = Math.fround(Math.fround(inputScale) * Math.fround(s));
    for (let i = c * inner; i < (c + 1) * inner; i++)
      weight[i] = Math.max(-64, Math.min(63, Math.round(real(i) / s)));
    scales.push(s);
    if (biasRaw) newBias[c] = Math.round((biasRaw[c]! * biasScale[biasScale.length > 1 ? c : 0]!) / s32);
  }
  return {
    weight: { values: weight, scale: scales, zeroPoint: scales.map(() => 0) },
    dims,
    bias: biasRaw
      ? {
          values: newBias,
          scale: scales.map((s) => Math.fround(inputScale) * s),
          zeroPoint: scales.map(() => 0),
        }
      : undefined,
  };
}
