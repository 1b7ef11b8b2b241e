/**
 * A minimal reader for the parts of the TensorFlow Lite flatbuffer schema (tensorflow/lite/schema/schema.fbs)
 * the importer needs. Field ids are the schema's declaration order; vtable slot = 4 + 2 * id.
 */
import * as flatbuffers from 'flatbuffers';
import { TfliteImportError } from './errors.ts';

export const TensorType = { FLOAT32: 0, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;
export const BuiltinOp = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  RESHAPE: 22,
  SOFTMAX: 25,
  SQUEEZE: 43,
} as const;
/** Names of common operators the importer does not convert, for error messages only. */
export const otherOpNames: Record<number, string> = {
  2: 'CONCATENATION',
  6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED',
  14: 'LOGISTIC',
  17: 'MAX_POOL_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  23: 'RESIZE_BILINEAR',
  32: 'CUSTOM',
  34: 'PAD',
  40: 'MEAN',
  114: 'QUANTIZE',
  117: 'HARD_SWISH',
};
export const Padding = { SAME: 0, VALID: 1 } as const;
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;

export interface Quantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}
export interface Tensor {
  index: number;
  name: string;
  shape: number[];
  type: number;
  buffer: number;
  quantization?: Quantization;
}
export interface Operator {
  index: number;
  builtinCode: number;
  /** custom_code of a CUSTOM operator (e.g. "edgetpu-custom-op"); empty otherwise. */
  customCode: string;
  inputs: number[];
  outputs: number[];
  /** The builtin_options table, read according to `builtinCode` (see `conv2dOptions` etc.); undefined when absent. */
  options?: Table;
}
export interface Subgraph {
  tensors: Tensor[];
  inputs: number[];
  outputs: number[];
  operators: Operator[];
}
export interface TfliteModel {
  file: string;
  subgraphs: Subgraph[];
  /** Raw bytes of each buffer (empty when the buffer holds no data). */
  buffers: Uint8Array[];
}

/** One flatbuffer table; every read is bounds-checked, since flatbuffers itself reads past the end silently. */
export class Table {
  constructor(
    private readonly bb: flatbuffers.ByteBuffer,
    readonly pos: number,
    private readonly file: string,
  ) {
    this.check(pos, 4);
    const vtable = pos - bb.readInt32(pos);
    this.check(vtable, 4);
    this.check(vtable, bb.readInt16(vtable));
  }

  private check(at: number, length: number): void {
    if (at < 0 || length < 0 || at + length > this.bb.capacity()) {
      throw new TfliteImportError(
        this.file,
        `truncated or corrupt file (reads byte ${at + length} of ${this.bb.capacity()})`,
      );
    }
  }

  private field(id: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * id);
  }

  int8(id: number, fallback: number): number {
    const o = this.field(id);
    if (!o) return fallback;
    this.check(this.pos + o, 1);
    return this.bb.readInt8(this.pos + o);
  }

  int32(id: number, fallback: number): number {
    const o = this.field(id);
    if (!o) return fallback;
    this.check(this.pos + o, 4);
    return this.bb.readInt32(this.pos + o);
  }

  uint32(id: number, fallback: number): number {
    const o = this.field(id);
    if (!o) return fallback;
    this.check(this.pos + o, 4);
    return this.bb.readUint32(this.pos + o);
  }

  uint64(id: number): number {
    const o = this.field(id);
    if (!o) return 0;
    this.check(this.pos + o, 8);
    return Number(this.bb.readUint64(this.pos + o));
  }

  float32(id: number, fallback: number): number {
    const o = this.field(id);
    if (!o) return fallback;
    this.check(this.pos + o, 4);
    return this.bb.readFloat32(this.pos + o);
  }

  string(id: number): string {
    const o = this.field(id);
    if (!o) return '';
    this.vector(id, 1);
    return this.bb.__string(this.pos + o) as string;
  }

  /** Start and length of vector field `id` with `size`-byte elements; undefined when absent. */
  private vector(id: number, size: number): { start: number; length: number } | undefined {
    const o = this.field(id);
    if (!o) return undefined;
    this.check(this.pos + o, 4);
    const target = this.bb.__indirect(this.pos + o);
    this.check(target, 4);
    const start = this.bb.__vector(this.pos + o);
    const length = this.bb.__vector_len(this.pos + o);
    this.check(start, length * size);
    return { start, length };
  }

  int32s(id: number): number[] {
    const v = this.vector(id, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i)) : [];
  }

  float32s(id: number): number[] {
    const v = this.vector(id, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i)) : [];
  }

  int64s(id: number): number[] {
    const v = this.vector(id, 8);
    return v ? Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i))) : [];
  }

  bytes(id: number): Uint8Array {
    const v = this.vector(id, 1);
    return v ? this.bb.bytes().subarray(v.start, v.start + v.length) : new Uint8Array(0);
  }

  tables(id: number): Table[] {
    const v = this.vector(id, 4);
    if (!v) return [];
    return Array.from(
      { length: v.length },
      (_, i) => new Table(this.bb, this.bb.__indirect(v.start + 4 * i), this.file),
    );
  }

  table(id: number): Table | undefined {
    const o = this.field(id);
    if (!o) return undefined;
    this.check(this.pos + o, 4);
    return new Table(this.bb, this.bb.__indirect(this.pos + o), this.file);
  }
}

function readQuantization(t: Table | undefined): Quantization | undefined {
  if (!t) return undefined;
  // QuantizationParameters: min 0, max 1, scale 2, zero_point 3 (long), details_type 4, details 5, quantized_dimension 6.
  const scale = t.float32s(2);
  if (scale.length === 0) return undefined;
  const zeroPoint = t.int64s(3);
  return {
    scale,
    zeroPoint: zeroPoint.length ? zeroPoint : scale.map(() => 0),
    quantizedDimension: t.int32(6, 0),
  };
}

function readTensor(t: Table, index: number): Tensor {
  // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4.
  const quantization = readQuantization(t.table(4));
  return {
    index,
    shape: t.int32s(0),
    type: t.int8(1, TensorType.FLOAT32),
    buffer: t.uint32(2, 0),
    name: t.string(3),
    ...(quantization ? { quantization } : {}),
  };
}

/** Parses a .tflite file's bytes; `file` names it in errors. */
export function readTflite(bytes: Uint8Array, file: string): TfliteModel {
  if (bytes.length < 8) throw new TfliteImportError(file, `truncated file (${bytes.length} bytes)`);
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (!bb.__has_identifier('TFL3')) {
    throw new TfliteImportError(file, 'not a TensorFlow Lite model (file identifier is not "TFL3")');
  }
  const model = new Table(bb, bb.readInt32(0), file);
  // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
  // OperatorCode: deprecated_builtin_code (byte) 0, custom_code 1, version 2, builtin_code 3; newer files
  // leave the deprecated field at its 127 cap (or 0) and use builtin_code, so the real code is the larger.
  const opcodes = model
    .tables(1)
    .map((c) => ({ code: Math.max(c.int8(0, 0), c.int32(3, 0)), custom: c.string(1) }));
  const buffers = model.tables(4).map((b) => {
    // Buffer: data 0, offset 1 (ulong), size 2 (ulong): files over 2 GB keep data outside the flatbuffer.
    const data = b.bytes(0);
    const offset = b.uint64(1);
    if (data.length || offset <= 1) return data;
    const size = b.uint64(2);
    if (offset + size > bytes.length)
      throw new TfliteImportError(file, 'truncated file (a weight buffer ends past the end)');
    return bytes.subarray(offset, offset + size);
  });
  const subgraphs = model.tables(2).map((g): Subgraph => {
    // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
    // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4.
    const operators = g.tables(3).map((op, index): Operator => {
      const opcodeIndex = op.uint32(0, 0);
      const opcode = opcodes[opcodeIndex];
      if (opcode === undefined) {
        throw new TfliteImportError(
          file,
          `operator ${index} names operator code ${opcodeIndex}, which does not exist`,
        );
      }
      const options = op.table(4);
      return {
        index,
        builtinCode: opcode.code,
        customCode: opcode.custom,
        inputs: op.int32s(1),
        outputs: op.int32s(2),
        ...(options ? { options } : {}),
      };
    });
    return { tensors: g.tables(0).map(readTensor), inputs: g.int32s(1), outputs: g.int32s(2), operators };
  });
  if (subgraphs.length === 0) throw new TfliteImportError(file, 'the model has no subgraph');
  return { file, subgraphs, buffers };
}
