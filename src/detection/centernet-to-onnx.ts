/**
 * The detector's convolutional trunk (a tfjs graph model: image -> per-class heatmap and box sizes) as an ONNX
 * graph, so ONNX Runtime can run the part that costs; the small decoding tail (peak finding, top-k, gathers) stays
 * in tfjs, fed with the trunk's outputs (onnx-trunk.ts, DogDetector). The ops are the ones a MobileNet-v3 CenterNet
 * uses: convolutions with fused bias and ReLU, depthwise convolutions, hard-swish and squeeze-excite arithmetic
 * with scalars, global means, concatenation and bilinear upsampling. NHWC becomes NCHW inside the graph and back
 * at its outputs. Anything else is refused with the node's name and op.
 */
import type * as tf from '@tensorflow/tfjs';
import { tfPadding } from '../model/onnx/onnx-conv.ts';
import { OnnxGraphBuilder } from '../model/onnx/onnx-graph.ts';

/** Part of the cache key: a new version re-converts cached trunks. */
export const TRUNK_CONVERTER_VERSION = 1;

export class DetectorConversionError extends Error {
  constructor(message: string) {
    super(`detector ONNX conversion: ${message}`);
    this.name = 'DetectorConversionError';
  }
}

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; b?: boolean; i?: string; list?: { i?: string[]; s?: string[] } }>;
}

/** An NCHW tensor of the graph being built (batch 1), or a constant known at conversion time. */
interface Value {
  name: string;
  channels: number;
  height: number;
  width: number;
}

export interface TrunkOnnx {
  onnx: Uint8Array;
  /** ONNX output name -> the graph node it stands for (NHWC, as tfjs would compute it). */
  outputs: { onnxName: string; node: string; shape: [number, number, number, number] }[];
}

const decode = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
const baseName = (input: string) => input.replace(/^\^/, '').split(':')[0]!;

export function convertDetectorTrunk(options: {
  nodes: GraphNode[];
  /** The graph model's constants (GraphModel.weights: one tensor, or a list of one, per name). */
  weights: Record<string, tf.Tensor | tf.Tensor[]>;
  inputNode: string;
  inputSize: number;
  outputNodes: string[];
}): TrunkOnnx {
  const { nodes, weights, inputSize } = options;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const g = new OnnxGraphBuilder();
  const values = new Map<string, Value>();
  const tensorOf = (input: string) => {
    const t = weights[baseName(input)];
    return Array.isArray(t) ? t[0] : t;
  };
  const constOf = (input: string) => tensorOf(input)?.dataSync() as Float32Array | Int32Array | undefined;
  const shapeOf = (input: string) => tensorOf(input)?.shape;

  const inputName = 'images';
  values.set(options.inputNode, {
    name: g.node('Transpose', [inputName], 'images_nchw', { perm: [0, 3, 1, 2] }),
    channels: 3,
    height: inputSize,
    width: inputSize,
  });

  const order = topologicalOrder(options.outputNodes, byName, (n) => values.has(n) || !!weights[n]);
  for (const node of order) values.set(node.name, emit(node));

  function valueOf(input: string, by: GraphNode): Value {
    const v = values.get(baseName(input));
    if (!v)
      throw new DetectorConversionError(
        `'${by.name}' (${by.op}) reads '${input}', which is not a tensor here`,
      );
    return v;
  }

  function conv(node: GraphNode, depthwise: boolean): Value {
    const a = node.attr ?? {};
    const x = valueOf(node.input![0]!, node);
    const filter = constOf(node.input![1]!);
    const dims = shapeOf(node.input![1]!);
    if (!filter || !dims || dims.length !== 4)
      throw new DetectorConversionError(`'${node.name}': its filter is not a constant`);
    const [kh, kw, cin, last] = dims as [number, number, number, number];
    if (cin !== x.channels)
      throw new DetectorConversionError(`'${node.name}' expects ${cin} channels, gets ${x.channels}`);
    const strides = (a.strides?.list?.i ?? ['1', '1', '1', '1']).map(Number);
    const dilations = (a.dilations?.list?.i ?? ['1', '1', '1', '1']).map(Number);
    if (decode(a.data_format?.s) !== 'NHWC' && a.data_format)
      throw new DetectorConversionError(`'${node.name}': data format ${decode(a.data_format.s)}`);
    const outChannels = depthwise ? cin * last : last;
    const perOut = depthwise ? 1 : cin;
    const weight = new Float32Array(outChannels * perOut * kh * kw);
    for (let y = 0; y < kh; y++)
      for (let xx = 0; xx < kw; xx++)
        for (let c = 0; c < cin; c++)
          for (let k = 0; k < last; k++) {
            const [out, inner] = depthwise ? [c * last + k, 0] : [k, c];
            weight[((out * perOut + inner) * kh + y) * kw + xx] =
              filter[((y * kw + xx) * cin + c) * last + k]!;
          }
    const padding = decode(a.padding?.s).toLowerCase();
    const { pads, output } = tfPadding(
      padding,
      [x.height, x.width],
      [kh, kw],
      [strides[1]!, strides[2]!],
      [dilations[1]!, dilations[2]!],
    );
    const inputs = [x.name, g.constant(`${node.name}/w`, [outChannels, perOut, kh, kw], weight)];
    const fused = (a.fused_ops?.list?.s ?? []).map(decode);
    if (fused.length && fused[0] !== 'BiasAdd')
      throw new DetectorConversionError(`'${node.name}': fused ops ${fused.join('+')}`);
    if (fused[0] === 'BiasAdd') {
      const bias = constOf(node.input![2]!);
      if (!bias) throw new DetectorConversionError(`'${node.name}': its bias is not a constant`);
      inputs.push(g.constant(`${node.name}/b`, [outChannels], Float32Array.from(bias)));
    }
    let name = g.node('Conv', inputs, node.name, {
      kernel_shape: [kh, kw],
      strides: [strides[1]!, strides[2]!],
      dilations: [dilations[1]!, dilations[2]!],
      pads: [pads[0], pads[1], pads[2], pads[3]],
      group: depthwise ? cin : 1,
    });
    for (const op of fused.slice(1)) {
      if (op === 'Relu') name = g.node('Relu', [name], `${node.name}/relu`);
      else if (op === 'Relu6') name = relu6(name, node.name);
      else throw new DetectorConversionError(`'${node.name}': fused activation ${op}`);
    }
    return { name, channels: outChannels, height: output[0], width: output[1] };
  }

  function relu6(x: string, base: string) {
    const lo = g.constant(`${base}/zero`, [], new Float32Array([0]));
    const hi = g.constant(`${base}/six`, [], new Float32Array([6]));
    return g.node('Clip', [x, lo, hi], `${base}/relu6`);
  }

  /** Add or Mul of two tensors, or of a tensor and a scalar constant. */
  function binary(node: GraphNode, op: 'Add' | 'Mul' | 'Sub'): Value {
    const [a, b] = node.input!;
    const operand = (input: string) => {
      const v = values.get(baseName(input));
      if (v) return v;
      const c = constOf(input);
      if (c && c.length === 1)
        return {
          name: g.constant(`${node.name}/c`, [], Float32Array.from(c)),
          channels: 0,
          height: 0,
          width: 0,
        };
      throw new DetectorConversionError(
        `'${node.name}' (${node.op}): operand '${input}' is neither a tensor nor a scalar`,
      );
    };
    const [x, y] = [operand(a!), operand(b!)];
    const shaped = [x, y]
      .filter((v) => v.channels > 0)
      .sort((p, q) => q.height * q.width - p.height * p.width)[0]!;
    return { ...shaped, name: g.node(op, [x.name, y.name], node.name) };
  }

  function emit(node: GraphNode): Value {
    const first = () => valueOf(node.input![0]!, node);
    switch (node.op) {
      case 'Identity':
        return first();
      case '_FusedConv2D':
      case 'Conv2D':
        return conv(node, false);
      case 'FusedDepthwiseConv2dNative':
      case 'DepthwiseConv2dNative':
        return conv(node, true);
      case 'Add':
      case 'AddV2':
        return binary(node, 'Add');
      case 'Mul':
        return binary(node, 'Mul');
      case 'Relu':
        return { ...first(), name: g.node('Relu', [first().name], node.name) };
      case 'Relu6':
        return { ...first(), name: relu6(first().name, node.name) };
      case 'Sigmoid':
        return { ...first(), name: g.node('Sigmoid', [first().name], node.name) };
      case 'Mean': {
        const axes = Array.from(constOf(node.input![1]!) ?? []);
        if (axes.join() !== '1,2' || node.attr?.keep_dims?.b !== true)
          throw new DetectorConversionError(
            `'${node.name}': a mean over axes ${axes} (only the spatial one is supported)`,
          );
        const x = first();
        return {
          ...x,
          height: 1,
          width: 1,
          name: g.node('ReduceMean', [x.name], node.name, { axes: [2, 3], keepdims: 1 }),
        };
      }
      case 'ConcatV2': {
        const parts = node.input!.slice(0, -1).map((i) => valueOf(i, node));
        const axis = (constOf(node.input!.at(-1)!) ?? [])[0];
        if (axis !== 3 && axis !== -1)
          throw new DetectorConversionError(`'${node.name}': concatenation on axis ${axis}`);
        return {
          name: g.node(
            'Concat',
            parts.map((p) => p.name),
            node.name,
            { axis: 1 },
          ),
          channels: parts.reduce((s, p) => s + p.channels, 0),
          height: parts[0]!.height,
          width: parts[0]!.width,
        };
      }
      case 'ResizeBilinear': {
        const x = first();
        const size = Array.from(constOf(node.input![1]!) ?? []);
        const a = node.attr ?? {};
        const mode = a.align_corners?.b
          ? 'align_corners'
          : a.half_pixel_centers?.b
            ? 'half_pixel'
            : 'asymmetric';
        const sizes = g.typedConstant(
          `${node.name}/sizes`,
          [4],
          BigInt64Array.from([1, x.channels, size[0]!, size[1]!], BigInt),
        );
        const roi = g.constant(`${node.name}/roi`, [0], new Float32Array(0));
        const scales = g.constant(`${node.name}/scales`, [0], new Float32Array(0));
        return {
          name: g.node('Resize', [x.name, roi, scales, sizes], node.name, {
            mode: 'linear',
            coordinate_transformation_mode: mode,
          }),
          channels: x.channels,
          height: size[0]!,
          width: size[1]!,
        };
      }
      default:
        throw new DetectorConversionError(`'${node.name}': op ${node.op} is not supported`);
    }
  }

  const outputs = options.outputNodes.map((node) => {
    const v = values.get(node)!;
    return {
      onnxName: g.node('Transpose', [v.name], `${node}/nhwc`, { perm: [0, 2, 3, 1] }),
      node,
      shape: [1, v.height, v.width, v.channels] as [number, number, number, number],
    };
  });
  const [main, ...rest] = outputs;
  const onnx = g.toModel({
    graphName: 'detector_trunk',
    input: { name: inputName, dims: [inputSize, inputSize, 3] },
    output: { name: main!.onnxName, dims: main!.shape.slice(1) },
    extraOutputs: rest.map((o) => ({ name: o.onnxName, dims: o.shape.slice(1) })),
    producer: 'breedbot detector trunk',
    docString: `the trunk of a tfjs graph model up to ${options.outputNodes.join(', ')}`,
  });
  return { onnx, outputs };
}

/** The non-constant nodes the outputs depend on, inputs first. */
function topologicalOrder(
  outputs: string[],
  byName: Map<string, GraphNode>,
  known: (name: string) => boolean,
): GraphNode[] {
  const order: GraphNode[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || known(name)) return;
    seen.add(name);
    const node = byName.get(name);
    if (!node) throw new DetectorConversionError(`no node '${name}'`);
    if (node.op === 'Const') return;
    for (const input of node.input ?? []) visit(baseName(input));
    order.push(node);
  };
  outputs.forEach(visit);
  return order;
}
