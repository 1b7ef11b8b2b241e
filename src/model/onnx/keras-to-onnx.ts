/**
 * Converts the frozen part of a Keras (tfjs layers) CNN, from its input up to the embedding layer, into an
 * ONNX graph. Only the layer kinds of MobileNet-v1-style backbones are supported; anything else is refused
 * with OnnxConversionError so the caller keeps the tfjs backbone.
 *
 * Layout: the graph takes NHWC input like tfjs (one Transpose to NCHW up front, as ONNX Conv is NCHW) and
 * returns [batch, features]. Batch norm is folded into the preceding convolution's weights and bias.
 */
import {
  OnnxConversionError,
  type KerasLayer,
  type LayersModelFiles,
  type WeightTensor,
} from './layers-model.ts';
import { OnnxGraphBuilder } from './onnx-graph.ts';

export const SUPPORTED_LAYERS =
  'InputLayer, Conv2D, DepthwiseConv2D, BatchNormalization, Activation/ReLU (relu, relu6, linear), ' +
  'ZeroPadding2D, GlobalAveragePooling2D';

/** Bump when the emitted graph changes, so cached .onnx files from an older converter are not reused. */
export const CONVERTER_VERSION = 1;

export interface ConvertOptions {
  /** The layer whose output is the embedding, e.g. 'global_average_pooling2d_1'. */
  outputLayer: string;
  producer?: string;
}

export interface ConvertedBackbone {
  onnx: Uint8Array;
  inputShape: [number, number, number];
  embeddingDim: number;
  inputName: string;
  outputName: string;
}

/** A tensor in the graph being built: its name and its NCHW shape without the batch dimension. */
interface Value {
  name: string;
  channels: number;
  height: number;
  width: number;
  /** False once global pooling has reduced it to [batch, channels]. */
  spatial: boolean;
}

/** A convolution not yet emitted, so a following BatchNormalization can be folded into it. */
interface PendingConv {
  layer: KerasLayer;
  input: Value;
  /** ONNX layout [out, in/group, kh, kw]. */
  weight: Float64Array;
  weightDims: [number, number, number, number];
  bias: Float64Array;
  group: number;
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  output: { channels: number; height: number; width: number };
  activation: string;
}

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
export const pair = (v: unknown, fallback: [number, number]): [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x)) ? [v[0], v[1]] : fallback;

function inboundNames(layer: KerasLayer): string[] {
  const nodes = layer.inbound_nodes as unknown[][][];
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) {
    throw new OnnxConversionError(
      `layer '${layer.name}' is shared (called ${nodes.length} times); not supported`,
    );
  }
  return (nodes[0] ?? []).map((entry) => String(entry[0]));
}

/** The layers from the input to `outputLayer`, in order; the network must be a single chain there. */
export function chainTo(layers: KerasLayer[], outputLayer: string): KerasLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const chain: KerasLayer[] = [];
  let current = byName.get(outputLayer);
  if (!current) throw new OnnxConversionError(`layer '${outputLayer}' is not in the model`);
  while (current) {
    chain.push(current);
    const inbound = inboundNames(current);
    if (inbound.length === 0) break;
    if (inbound.length > 1) {
      throw new OnnxConversionError(
        `layer '${current.name}' (${current.class_name}) has ${inbound.length} inputs; ` +
          'only single-chain backbones are supported',
      );
    }
    const previous = byName.get(inbound[0]!);
    if (!previous)
      throw new OnnxConversionError(`layer '${current.name}' reads unknown layer '${inbound[0]}'`);
    current = previous;
  }
  return chain.reverse();
}

export function weightOf(files: LayersModelFiles, layer: KerasLayer, param: string, rank?: number): WeightTensor {
  const w = files.weights.get(`${layer.name}/${param}`);
  if (!w)
    throw new OnnxConversionError(`weight '${layer.name}/${param}' is missing from the weights manifest`);
  if (rank !== undefined && w.shape.length !== rank) {
    throw new OnnxConversionError(
      `weight '${layer.name}/${param}' has shape [${w.shape}], expected rank ${rank}`,
    );
  }
  return w;
}

/** TensorFlow's 'same'/'valid' padding as explicit ONNX pads [top, left, bottom, right] (extra pixel at the end). */
function tfPadding(
  padding: string,
  input: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): { pads: [number, number, number, number]; output: [number, number] } {
  if (padding === 'valid') {
    const out = input.map(
      (size, i) => Math.floor((size - (kernel[i]! - 1) * dilations[i]! - 1) / strides[i]!) + 1,
    );
    return { pads: [0, 0, 0, 0], output: [out[0]!, out[1]!] };
  }
  if (padding !== 'same') throw new OnnxConversionError(`padding '${padding}' is not supported`);
  const out = input.map((size, i) => Math.ceil(size / strides[i]!));
  const total = input.map((size, i) =>
    Math.max((out[i]! - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - size, 0),
  );
  const before = total.map((t) => Math.floor(t / 2));
  return {
    pads: [before[0]!, before[1]!, total[0]! - before[0]!, total[1]! - before[1]!],
    output: [out[0]!, out[1]!],
  };
}

export function checkChannelsLast(layer: KerasLayer) {
  const format = str(layer.config.data_format);
  if (format !== undefined && format !== 'channels_last') {
    throw new OnnxConversionError(
      `layer '${layer.name}' uses data_format '${format}'; only channels_last is supported`,
    );
  }
}

export function activationOf(layer: KerasLayer): string {
  if (layer.class_name === 'ReLU') {
    const max = layer.config.max_value;
    const slope = layer.config.negative_slope ?? 0;
    const threshold = layer.config.threshold ?? 0;
    if (slope !== 0 || threshold !== 0)
      throw new OnnxConversionError(`layer '${layer.name}': leaky/thresholded ReLU`);
    if (max === null || max === undefined) return 'relu';
    if (max === 6) return 'relu6';
    throw new OnnxConversionError(
      `layer '${layer.name}': ReLU with max_value ${String(max)} is not supported`,
    );
  }
  const activation = str(layer.config.activation) ?? 'linear';
  if (!['linear', 'relu', 'relu6'].includes(activation)) {
    throw new OnnxConversionError(
      `layer '${layer.name}' uses activation '${activation}'; the ONNX converter supports relu, relu6 and linear`,
    );
  }
  return activation;
}

function convFrom(layer: KerasLayer, files: LayersModelFiles, input: Value): PendingConv {
  checkChannelsLast(layer);
  if (!input.spatial) throw new OnnxConversionError(`layer '${layer.name}' follows global pooling`);
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const groups = layer.config.groups ?? 1;
  if (groups !== 1) throw new OnnxConversionError(`layer '${layer.name}': grouped Conv2D is not supported`);

  const kernel = weightOf(files, layer, depthwise ? 'depthwise_kernel' : 'kernel', 4);
  const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
  if (cin !== input.channels) {
    throw new OnnxConversionError(`layer '${layer.name}' expects ${cin} channels, gets ${input.channels}`);
  }
  const outChannels = depthwise ? cin * last : last;
  // Keras [kh, kw, cin, cout] (depthwise: [kh, kw, cin, multiplier]) -> ONNX [cout, cin/group, kh, kw].
  const perOut = depthwise ? 1 : cin;
  const weight = new Float64Array(outChannels * perOut * kh * kw);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let c = 0; c < cin; c++) {
        for (let k = 0; k < last; k++) {
          const value = kernel.data[((y * kw + x) * cin + c) * last + k]!;
          const [out, inner] = depthwise ? [c * last + k, 0] : [k, c];
          weight[((out * perOut + inner) * kh + y) * kw + x] = value;
        }
      }
    }
  }
  const useBias = layer.config.use_bias !== false;
  const bias = new Float64Array(outChannels);
  if (useBias) bias.set(weightOf(files, layer, 'bias', 1).data);

  const strides = pair(layer.config.strides, [1, 1]);
  const dilations = pair(layer.config.dilation_rate, [1, 1]);
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new OnnxConversionError(`layer '${layer.name}' combines strides and dilation`);
  }
  const { pads, output } = tfPadding(
    str(layer.config.padding) ?? 'valid',
    [input.height, input.width],
    [kh, kw],
    strides,
    dilations,
  );
  return {
    layer,
    input,
    weight,
    weightDims: [outChannels, perOut, kh, kw],
    bias,
    group: depthwise ? cin : 1,
    strides,
    dilations,
    pads,
    output: { channels: outChannels, height: output[0], width: output[1] },
    activation: activationOf(layer),
  };
}

/** Keras ZeroPadding2D's `padding` (int, [h, w] or [[top, bottom], [left, right]]) as [top, bottom, left, right]. */
export function zeroPaddingOf(layer: KerasLayer): [number, number, number, number] {
  const p = layer.config.padding;
  const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
  if (isInt(p)) return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2 && p.every(isInt)) {
    const [h, w] = p as [number, number];
    return [h, h, w, w];
  }
  if (
    Array.isArray(p) &&
    p.length === 2 &&
    p.every((q) => Array.isArray(q) && q.length === 2 && q.every(isInt))
  ) {
    const [[top, bottom], [left, right]] = p as [[number, number], [number, number]];
    return [top, bottom, left, right];
  }
  throw new OnnxConversionError(`layer '${layer.name}' has padding ${JSON.stringify(p)}`);
}

function foldBatchNorm(conv: PendingConv, bn: KerasLayer, files: LayersModelFiles) {
  const axis = bn.config.axis;
  if (
    axis !== -1 &&
    axis !== 3 &&
    !(Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
  ) {
    throw new OnnxConversionError(
      `layer '${bn.name}' normalises axis ${JSON.stringify(axis)}; only channels is supported`,
    );
  }
  const channels = conv.output.channels;
  const eps = typeof bn.config.epsilon === 'number' ? bn.config.epsilon : 1e-3;
  const gamma = bn.config.scale === false ? undefined : weightOf(files, bn, 'gamma', 1).data;
  const beta = bn.config.center === false ? undefined : weightOf(files, bn, 'beta', 1).data;
  const mean = weightOf(files, bn, 'moving_mean', 1).data;
  const variance = weightOf(files, bn, 'moving_variance', 1).data;
  if (mean.length !== channels)
    throw new OnnxConversionError(`layer '${bn.name}' has ${mean.length} channels`);
  const perChannel = conv.weight.length / channels;
  for (let c = 0; c < channels; c++) {
    const scale = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + eps);
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) conv.weight[i]! *= scale;
    conv.bias[c] = (conv.bias[c]! - mean[c]!) * scale + (beta?.[c] ?? 0);
  }
}

function emitActivation(graph: OnnxGraphBuilder, value: string, activation: string, base: string): string {
  if (activation === 'linear') return value;
  if (activation === 'relu') return graph.node('Relu', [value], base);
  const min = graph.constant(`${base}/min`, [], new Float32Array([0]));
  const max = graph.constant(`${base}/max`, [], new Float32Array([6]));
  return graph.node('Clip', [value, min, max], base);
}

function emitConv(graph: OnnxGraphBuilder, conv: PendingConv): Value {
  const name = conv.layer.name;
  const weight = graph.constant(`${name}/weight`, conv.weightDims, Float32Array.from(conv.weight));
  const bias = graph.constant(`${name}/bias`, [conv.output.channels], Float32Array.from(conv.bias));
  const out = graph.node('Conv', [conv.input.name, weight, bias], name, {
    kernel_shape: [conv.weightDims[2], conv.weightDims[3]],
    strides: conv.strides,
    dilations: conv.dilations,
    pads: conv.pads,
    group: conv.group,
  });
  return {
    name: emitActivation(graph, out, conv.activation, `${name}/${conv.activation}`),
    ...conv.output,
    spatial: true,
  };
}

/** Builds the ONNX graph of `files` cut at `options.outputLayer`. */
export function convertLayersBackbone(files: LayersModelFiles, options: ConvertOptions): ConvertedBackbone {
  const chain = chainTo(files.layers, options.outputLayer);
  const inputLayer = chain[0]!;
  if (inputLayer.class_name !== 'InputLayer') {
    throw new OnnxConversionError(`the chain to '${options.outputLayer}' does not start at an InputLayer`);
  }
  const shape = (inputLayer.config.batch_input_shape ?? inputLayer.config.batch_shape) as (number | null)[];
  const [, height, width, channels] = shape ?? [];
  if (!height || !width || !channels || shape.length !== 4) {
    throw new OnnxConversionError(
      `input layer shape ${JSON.stringify(shape)} is not a fixed [batch, H, W, C]`,
    );
  }

  const graph = new OnnxGraphBuilder();
  const inputName = graph.uniqueName('input');
  let value: Value = {
    name: graph.node('Transpose', [inputName], 'input_nchw', { perm: [0, 3, 1, 2] }),
    channels,
    height,
    width,
    spatial: true,
  };
  let pending: PendingConv | undefined;
  /** A ZeroPadding2D waiting to be merged into the convolution that follows it. */
  let padding: { pads: [number, number, number, number]; unpadded: Value } | undefined;
  const flush = () => {
    if (pending) value = emitConv(graph, pending);
    pending = undefined;
  };

  for (const layer of chain.slice(1)) {
    if (padding && !['Conv2D', 'DepthwiseConv2D'].includes(layer.class_name)) {
      throw new OnnxConversionError(
        `ZeroPadding2D before '${layer.name}' (${layer.class_name}) is not supported`,
      );
    }
    switch (layer.class_name) {
      case 'ZeroPadding2D': {
        flush();
        checkChannelsLast(layer);
        const [top, bottom, left, right] = zeroPaddingOf(layer);
        padding = { pads: [top, left, bottom, right], unpadded: value };
        value = { ...value, height: value.height + top + bottom, width: value.width + left + right };
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        flush();
        pending = convFrom(layer, files, value);
        if (padding) {
          const extra = padding.pads;
          pending.input = padding.unpadded;
          pending.pads = pending.pads.map((pad, i) => pad + extra[i]!) as [number, number, number, number];
          padding = undefined;
        }
        break;
      }
      case 'BatchNormalization':
        if (!pending || pending.activation !== 'linear') {
          throw new OnnxConversionError(
            `layer '${layer.name}': BatchNormalization is supported only directly after a linear convolution`,
          );
        }
        foldBatchNorm(pending, layer, files);
        break;
      case 'Activation':
      case 'ReLU': {
        const activation = activationOf(layer);
        if (pending && pending.activation === 'linear') {
          pending.activation = activation;
          flush();
        } else {
          flush();
          value = { ...value, name: emitActivation(graph, value.name, activation, layer.name) };
        }
        break;
      }
      case 'GlobalAveragePooling2D': {
        flush();
        checkChannelsLast(layer);
        if (layer.config.keepdims === true) throw new OnnxConversionError(`layer '${layer.name}' keeps dims`);
        const pooled = graph.node('GlobalAveragePool', [value.name], layer.name);
        value = {
          name: graph.node('Flatten', [pooled], `${layer.name}/flatten`, { axis: 1 }),
          channels: value.channels,
          height: 1,
          width: 1,
          spatial: false,
        };
        break;
      }
      default:
        throw new OnnxConversionError(
          `layer '${layer.name}' is a ${layer.class_name}; the ONNX converter supports ${SUPPORTED_LAYERS}`,
        );
    }
  }
  flush();
  if (padding) throw new OnnxConversionError('the model ends in ZeroPadding2D');

  // A cut inside the convolutional part returns tfjs's NHWC order, flattened, like the tfjs backbone does.
  let outputValue = value.name;
  if (value.spatial) {
    const nhwc = graph.node('Transpose', [value.name], 'output_nhwc', { perm: [0, 2, 3, 1] });
    outputValue = graph.node('Flatten', [nhwc], 'output_flat', { axis: 1 });
  }
  const embeddingDim = value.spatial ? value.channels * value.height * value.width : value.channels;
  const outputName = graph.node('Identity', [outputValue], 'embedding');
  return {
    onnx: graph.toModel({
      graphName: options.outputLayer,
      input: { name: inputName, dims: [height, width, channels] },
      output: { name: outputName, dims: [embeddingDim] },
      producer: options.producer ?? 'breedbot keras-to-onnx',
      docString: `Keras layers model cut at '${options.outputLayer}', batch norm folded (converter v${CONVERTER_VERSION})`,
    }),
    inputShape: [height, width, channels],
    embeddingDim,
    inputName,
    outputName,
  };
}
