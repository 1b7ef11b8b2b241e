/**
 * The convolution half of the Keras-to-ONNX converter: a Keras Conv2D/DepthwiseConv2D as a pending ONNX Conv (so a
 * following BatchNormalization can be folded into its weights), and its emission with the fused activation.
 */
import { activationOf, checkChannelsLast, pair, str, weightOf } from './keras-graph.ts';
import { OnnxConversionError, type KerasLayer, type LayersModelFiles } from './layers-model.ts';
import type { OnnxGraphBuilder } from './onnx-graph.ts';

/** A tensor in the graph being built: its name and its NCHW shape without the batch dimension. */
export interface Value {
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
export interface PendingConv {
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
export function tfPadding(
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

export function convFrom(layer: KerasLayer, files: LayersModelFiles, input: Value): PendingConv {
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

export function foldBatchNorm(conv: PendingConv, bn: KerasLayer, files: LayersModelFiles) {
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

export function emitActivation(
  graph: OnnxGraphBuilder,
  value: string,
  activation: string,
  base: string,
): string {
  if (activation === 'linear') return value;
  if (activation === 'relu') return graph.node('Relu', [value], base);
  const min = graph.constant(`${base}/min`, [], new Float32Array([0]));
  const max = graph.constant(`${base}/max`, [], new Float32Array([6]));
  return graph.node('Clip', [value, min, max], base);
}

export function emitConv(graph: OnnxGraphBuilder, conv: PendingConv): Value {
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
