/**
 * Converts the frozen part of a Keras (tfjs layers) CNN, from its input up to the embedding layer, into an
 * ONNX graph. The graph may branch and merge (residual Add blocks, as in MobileNet v2 / EdgeTPU); only the
 * layer kinds listed in SUPPORTED_LAYERS are converted, anything else is refused with OnnxConversionError so
 * the caller keeps the tfjs backbone.
 *
 * Layout: the graph takes NHWC input like tfjs (one Transpose to NCHW up front, as ONNX Conv is NCHW) and
 * returns [batch, features]. Batch norm is folded into the preceding convolution's weights and bias.
 */
import {
  activationOf,
  checkChannelsLast,
  pair,
  str,
  subgraphTo,
  weightOf,
  zeroPaddingOf,
  type KerasSubgraph,
} from './keras-graph.ts';
import { OnnxConversionError, type KerasLayer, type LayersModelFiles } from './layers-model.ts';
import { OnnxGraphBuilder } from './onnx-graph.ts';

export const SUPPORTED_LAYERS =
  'InputLayer, Conv2D, DepthwiseConv2D, BatchNormalization, Activation/ReLU (relu, relu6, linear), ' +
  'ZeroPadding2D, Add, AveragePooling2D, GlobalAveragePooling2D, Reshape/Flatten (to [batch, features])';

/** Bump when the emitted graph changes, so cached .onnx files from an older converter are not reused. */
export const CONVERTER_VERSION = 2;

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
  /** False once global pooling or a reshape has reduced it to [batch, channels]. */
  spatial: boolean;
  /**
   * Set on a ZeroPadding2D's output, which is not emitted: `name` is still the unpadded tensor and the
   * convolution reading it adds these pads [top, left, bottom, right] to its own.
   */
  zeroPads?: [number, number, number, number];
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

const isActivationLayer = (layer: KerasLayer | undefined) =>
  layer?.class_name === 'Activation' || layer?.class_name === 'ReLU';

/** The one layer reading `layerName`, when exactly one does: only then can it be fused into its producer. */
function soleReader(graph: KerasSubgraph, layerName: string): KerasLayer | undefined {
  const readers = graph.readersOf(layerName);
  return readers.length === 1 ? readers[0] : undefined;
}

/**
 * Emits a convolution together with the BatchNormalization and activation that follow it alone (each the only
 * reader of the one before), and returns the names of the layers it stands for.
 */
function emitConvBlock(
  graph: OnnxGraphBuilder,
  keras: KerasSubgraph,
  files: LayersModelFiles,
  layer: KerasLayer,
  input: Value,
): { value: Value; layers: string[] } {
  const conv = convFrom(layer, files, input);
  if (input.zeroPads) {
    const extra = input.zeroPads;
    conv.input = { ...input, zeroPads: undefined };
    conv.pads = conv.pads.map((pad, i) => pad + extra[i]!) as [number, number, number, number];
  }
  const layers = [layer.name];
  const batchNorm = soleReader(keras, layer.name);
  if (batchNorm?.class_name === 'BatchNormalization' && conv.activation === 'linear') {
    foldBatchNorm(conv, batchNorm, files);
    layers.push(batchNorm.name);
  }
  const activation = soleReader(keras, layers[layers.length - 1]!);
  if (isActivationLayer(activation) && conv.activation === 'linear') {
    conv.activation = activationOf(activation!);
    layers.push(activation!.name);
  }
  return { value: emitConv(graph, conv), layers };
}

function emitAdd(graph: OnnxGraphBuilder, layer: KerasLayer, inputs: Value[]): Value {
  const [first, ...rest] = inputs;
  if (!first || rest.length === 0)
    throw new OnnxConversionError(`layer '${layer.name}' (Add) has fewer than 2 inputs`);
  const shape = (v: Value) => `${v.spatial ? `${v.height}x${v.width}x` : ''}${v.channels}`;
  for (const other of rest) {
    if (shape(other) !== shape(first) || other.spatial !== first.spatial) {
      throw new OnnxConversionError(
        `layer '${layer.name}' (Add) adds shapes ${inputs.map(shape).join(' and ')}; only equal shapes are supported`,
      );
    }
  }
  let sum = first.name;
  for (const other of rest) sum = graph.node('Add', [sum, other.name], layer.name);
  return { ...first, name: sum };
}

function emitAveragePooling(graph: OnnxGraphBuilder, layer: KerasLayer, input: Value): Value {
  checkChannelsLast(layer);
  if (!input.spatial) throw new OnnxConversionError(`layer '${layer.name}' follows global pooling`);
  const pool = pair(layer.config.pool_size, [2, 2]);
  // Keras: strides null means strides = pool_size.
  const strides = pair(layer.config.strides, pool);
  const { pads, output } = tfPadding(
    str(layer.config.padding) ?? 'valid',
    [input.height, input.width],
    pool,
    strides,
    [1, 1],
  );
  // count_include_pad 0: TensorFlow averages 'same' windows over the real pixels only.
  const name = graph.node('AveragePool', [input.name], layer.name, {
    kernel_shape: pool,
    strides,
    pads,
    count_include_pad: 0,
  });
  return { name, channels: input.channels, height: output[0], width: output[1], spatial: true };
}

/** [batch, features] in tfjs's order: NHWC flattened (a 1x1 map needs no transpose). */
function flattenNhwc(graph: OnnxGraphBuilder, value: Value, base: string): string {
  if (!value.spatial) return value.name;
  const source =
    value.height * value.width === 1
      ? value.name
      : graph.node('Transpose', [value.name], `${base}_nhwc`, { perm: [0, 2, 3, 1] });
  return graph.node('Flatten', [source], `${base}_flat`, { axis: 1 });
}

/** Reshape or Flatten to one dimension of features; other target shapes are refused. */
function emitFlatten(graph: OnnxGraphBuilder, layer: KerasLayer, input: Value): Value {
  const features = input.spatial ? input.channels * input.height * input.width : input.channels;
  if (layer.class_name === 'Reshape') {
    const target = layer.config.target_shape;
    const flat = Array.isArray(target) && target.length === 1 && (target[0] === features || target[0] === -1);
    if (!flat) {
      throw new OnnxConversionError(
        `layer '${layer.name}' reshapes to ${JSON.stringify(target)}; the ONNX converter supports only [features] (${features})`,
      );
    }
  }
  return {
    name: flattenNhwc(graph, input, layer.name),
    channels: features,
    height: 1,
    width: 1,
    spatial: false,
  };
}

function emitGlobalAveragePooling(graph: OnnxGraphBuilder, layer: KerasLayer, input: Value): Value {
  checkChannelsLast(layer);
  if (layer.config.keepdims === true) throw new OnnxConversionError(`layer '${layer.name}' keeps dims`);
  const pooled = graph.node('GlobalAveragePool', [input.name], layer.name);
  return {
    name: graph.node('Flatten', [pooled], `${layer.name}/flatten`, { axis: 1 }),
    channels: input.channels,
    height: 1,
    width: 1,
    spatial: false,
  };
}

/** The model's fixed [H, W, C] input, from the one InputLayer the subgraph starts at. */
function inputShapeOf(keras: KerasSubgraph, outputLayer: string): [number, number, number] {
  const sources = keras.order.filter((l) => keras.inputsOf(l.name).length === 0);
  const inputLayer = sources[0]!;
  if (sources.length !== 1 || inputLayer.class_name !== 'InputLayer') {
    throw new OnnxConversionError(
      `the graph to '${outputLayer}' starts at ${sources.map((l) => `'${l.name}' (${l.class_name})`).join(', ')}; ` +
        'it must start at exactly one InputLayer',
    );
  }
  const shape = (inputLayer.config.batch_input_shape ?? inputLayer.config.batch_shape) as (number | null)[];
  const [, height, width, channels] = shape ?? [];
  if (!height || !width || !channels || shape.length !== 4) {
    throw new OnnxConversionError(
      `input layer shape ${JSON.stringify(shape)} is not a fixed [batch, H, W, C]`,
    );
  }
  return [height, width, channels];
}

/** Builds the ONNX graph of `files` cut at `options.outputLayer`. */
export function convertLayersBackbone(files: LayersModelFiles, options: ConvertOptions): ConvertedBackbone {
  const keras = subgraphTo(files.layers, options.outputLayer);
  const [height, width, channels] = inputShapeOf(keras, options.outputLayer);

  const graph = new OnnxGraphBuilder();
  const inputName = graph.uniqueName('input');
  const values = new Map<string, Value>();
  values.set(keras.order[0]!.name, {
    name: graph.node('Transpose', [inputName], 'input_nchw', { perm: [0, 3, 1, 2] }),
    channels,
    height,
    width,
    spatial: true,
  });

  for (const layer of keras.order) {
    if (values.has(layer.name)) continue; // the input, or fused into the convolution before it
    const inputs = keras.inputsOf(layer.name).map((name) => values.get(name)!);
    const isConv = layer.class_name === 'Conv2D' || layer.class_name === 'DepthwiseConv2D';
    if (!isConv && inputs.some((v) => v.zeroPads)) {
      throw new OnnxConversionError(
        `ZeroPadding2D before '${layer.name}' (${layer.class_name}) is not supported`,
      );
    }
    const single = (): Value => {
      if (inputs.length !== 1) {
        throw new OnnxConversionError(
          `layer '${layer.name}' (${layer.class_name}) has ${inputs.length} inputs`,
        );
      }
      return inputs[0]!;
    };
    const set = (value: Value) => values.set(layer.name, value);
    switch (layer.class_name) {
      case 'ZeroPadding2D': {
        checkChannelsLast(layer);
        const input = single();
        const [top, bottom, left, right] = zeroPaddingOf(layer);
        const before = input.zeroPads ?? [0, 0, 0, 0];
        set({
          ...input,
          height: input.height + top + bottom,
          width: input.width + left + right,
          zeroPads: [before[0] + top, before[1] + left, before[2] + bottom, before[3] + right],
        });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const block = emitConvBlock(graph, keras, files, layer, single());
        for (const name of block.layers) values.set(name, block.value);
        break;
      }
      case 'BatchNormalization':
        throw new OnnxConversionError(
          `layer '${layer.name}': BatchNormalization is supported only directly after a linear convolution`,
        );
      case 'Activation':
      case 'ReLU': {
        const input = single();
        set({ ...input, name: emitActivation(graph, input.name, activationOf(layer), layer.name) });
        break;
      }
      case 'Add':
        set(emitAdd(graph, layer, inputs));
        break;
      case 'AveragePooling2D':
        set(emitAveragePooling(graph, layer, single()));
        break;
      case 'GlobalAveragePooling2D':
        set(emitGlobalAveragePooling(graph, layer, single()));
        break;
      case 'Reshape':
      case 'Flatten':
        set(emitFlatten(graph, layer, single()));
        break;
      default:
        throw new OnnxConversionError(
          `layer '${layer.name}' is a ${layer.class_name}; the ONNX converter supports ${SUPPORTED_LAYERS}`,
        );
    }
  }
  const value = values.get(options.outputLayer)!;
  if (value.zeroPads) throw new OnnxConversionError('the model ends in ZeroPadding2D');

  // A cut inside the convolutional part returns tfjs's NHWC order, flattened, like the tfjs backbone does.
  const outputValue = flattenNhwc(graph, value, 'output');
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
