import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX IR version 7 and opset 13: old enough for any onnxruntime since 1.8, new enough for Clip with inputs. */
const IR_VERSION = 7;
export const OPSET = 13;

type Attribute = number | number[] | string;

/** Collects ONNX nodes and initializers, then serialises them as one ModelProto. */
export class OnnxGraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly usedNames = new Set<string>();

  /** A graph-unique tensor name derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  constant(base: string, dims: number[], values: Float32Array): string {
    return this.typedConstant(base, dims, values);
  }

  /** An initializer of float32, int32, int64, uint8 or int8 values (the element type follows the array's type). */
  typedConstant(
    base: string,
    dims: number[],
    values: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array,
  ): string {
    const name = this.uniqueName(base);
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const { DataType } = onnx.TensorProto;
    const dataType =
      values instanceof Float32Array
        ? DataType.FLOAT
        : values instanceof Int32Array
          ? DataType.INT32
          : values instanceof BigInt64Array
            ? DataType.INT64
            : values instanceof Int8Array
              ? DataType.INT8
              : DataType.UINT8;
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType, rawData: raw.slice() }));
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  node(
    opType: string,
    inputs: string[],
    outputBase: string,
    attributes: Record<string, Attribute> = {},
  ): string {
    const output = this.uniqueName(outputBase);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: output,
        attribute: Object.entries(attributes).map(([name, value]) => attributeProto(name, value)),
      }),
    );
    return output;
  }

  /** Serialises the graph: one float32 input [batch, ...inputDims] and one float32 output [batch, ...outputDims]. */
  toModel(options: {
    graphName: string;
    input: { name: string; dims: number[] };
    output: { name: string; dims: number[] };
    /** Further float32 outputs after `output` (which stays the first). */
    extraOutputs?: { name: string; dims: number[] }[];
    producer: string;
    docString: string;
  }): Uint8Array {
    const valueInfo = (name: string, dims: number[]) =>
      onnx.ValueInfoProto.create({
        name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({
            elemType: onnx.TensorProto.DataType.FLOAT,
            shape: onnx.TensorShapeProto.create({
              dim: [{ dimParam: 'batch' }, ...dims.map((d) => ({ dimValue: d }))],
            }),
          }),
        }),
      });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: options.producer,
      docString: options.docString,
      graph: onnx.GraphProto.create({
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo(options.input.name, options.input.dims)],
        output: [options.output, ...(options.extraOutputs ?? [])].map((o) => valueInfo(o.name, o.dims)),
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attributeProto(name: string, value: Attribute) {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({
      name,
      type: AttributeType.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (Array.isArray(value))
    return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value });
  return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value });
}
