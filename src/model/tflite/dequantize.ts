/** Reads a constant TFLite tensor; turns it (float32, or uint8/int8/int32 quantized) into float32 values. */
import { TfliteImportError } from './errors.ts';
import { TensorType, type Tensor, type TfliteModel } from './schema.ts';

export function rawValues(model: TfliteModel, tensor: Tensor): ArrayLike<number> {
  const bytes = model.buffers[tensor.buffer];
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  const size = {
    [TensorType.FLOAT32]: 4,
    [TensorType.INT32]: 4,
    [TensorType.UINT8]: 1,
    [TensorType.INT8]: 1,
  }[tensor.type];
  if (size === undefined) {
    throw new TfliteImportError(
      model.file,
      `tensor ${tensor.name} has type ${tensor.type}, which the importer cannot read`,
    );
  }
  if (!bytes || bytes.length !== count * size) {
    throw new TfliteImportError(
      model.file,
      `tensor ${tensor.name} should hold ${count * size} bytes of constant data but its buffer has ${bytes?.length ?? 0}`,
    );
  }
  // Copy first: the buffer's offset inside the file need not be 4-byte aligned.
  const copy = bytes.slice().buffer;
  if (tensor.type === TensorType.FLOAT32) return new Float32Array(copy);
  if (tensor.type === TensorType.INT32) return new Int32Array(copy);
  if (tensor.type === TensorType.INT8) return new Int8Array(copy);
  return new Uint8Array(copy);
}

/** (q - zero_point) * scale, per tensor or per channel along `quantized_dimension`; float32 as stored. */
export function dequantize(model: TfliteModel, tensor: Tensor): Float32Array {
  const raw = rawValues(model, tensor);
  const out = new Float32Array(raw.length);
  // Unquantized int32 tensors (shapes, axes) are plain integers.
  if (tensor.type === TensorType.FLOAT32 || (tensor.type === TensorType.INT32 && !tensor.quantization)) {
    out.set(raw);
    return out;
  }
  const q = tensor.quantization;
  if (!q) throw new TfliteImportError(model.file, `quantized tensor ${tensor.name} has no scale`);
  const dim = q.quantizedDimension;
  const inner = tensor.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const channels = q.scale.length;
  if (channels > 1 && tensor.shape[dim] !== channels) {
    throw new TfliteImportError(
      model.file,
      `tensor ${tensor.name} has ${channels} scales for ${tensor.shape[dim]} channels`,
    );
  }
  for (let i = 0; i < raw.length; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    out[i] = ((raw[i] as number) - (q.zeroPoint[c] ?? 0)) * (q.scale[c] as number);
  }
  return out;
}
