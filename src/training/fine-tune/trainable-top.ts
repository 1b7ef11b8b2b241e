/**
 * The last blocks of a MobileNet-style backbone, rebuilt from tfjs ops with their convolution weights as
 * trainable variables. The frozen rest of the network (the trunk) runs outside the gradient tape, so a training
 * step only pays for the blocks it changes.
 *
 * Why not `layer.apply` on the tfjs layers: it runs batch norm in training mode (batch statistics) under a
 * tape, and tfjs's Conv2DBackpropFilter on the pure-JS cpu backend took ~8 minutes for one 1x1 convolution of
 * block 12 (measured here); a 1x1 convolution written as a matMul takes seconds. Batch norm stays frozen
 * (its moving statistics and scale fold into a per-channel affine map): with a few hundred photos and small
 * batches, batch statistics are noise, and freezing them is the usual fine-tuning practice.
 */
import * as tf from '@tensorflow/tfjs';
import {
  activationOf,
  checkChannelsLast,
  pair,
  str,
  weightOf,
  zeroPaddingOf,
} from '../../model/onnx/keras-graph.ts';
import type { KerasLayer, LayersModelFiles, WeightTensor } from '../../model/onnx/layers-model.ts';
import { splitTop, UnsupportedBackboneError, type TopSplit } from './top-split.ts';

type Params = (name: string) => tf.Tensor;
/** Constants computed from the model's weights (folded batch norm), kept apart from the weights to save. */
type DerivedWeights = Map<string, WeightTensor>;
type Op = (x: tf.Tensor, params: Params) => tf.Tensor;

function activate(x: tf.Tensor, activation: string): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'relu6') return tf.relu6(x);
  return x;
}

function convOp(layer: KerasLayer, files: LayersModelFiles): { op: Op; weights: string[] } {
  checkChannelsLast(layer);
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const kernelName = `${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`;
  const kernel = weightOf(files, layer, depthwise ? 'depthwise_kernel' : 'kernel', 4);
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const strides = pair(layer.config.strides, [1, 1]);
  const dilations = pair(layer.config.dilation_rate, [1, 1]);
  const padding = (str(layer.config.padding) ?? 'valid') as 'same' | 'valid';
  const useBias = layer.config.use_bias !== false;
  const biasName = `${layer.name}/bias`;
  if (useBias) weightOf(files, layer, 'bias', 1);
  const activation = activationOf(layer);
  const pointwise =
    !depthwise && kh === 1 && kw === 1 && strides.every((s) => s === 1) && dilations.every((d) => d === 1);
  const op: Op = (x, params) => {
    const k = params(kernelName);
    let y: tf.Tensor;
    if (depthwise) {
      y = tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, strides, padding, 'NHWC', dilations);
    } else if (pointwise) {
      const [n, h, w] = x.shape as [number, number, number, number];
      y = tf.matMul(x.reshape([n * h * w, cin]), k.reshape([cin, cout])).reshape([n, h, w, cout]);
    } else {
      y = tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, strides, padding, 'NHWC', dilations);
    }
    if (useBias) y = tf.add(y, params(biasName));
    return activate(y, activation);
  };
  return { op, weights: useBias ? [kernelName, biasName] : [kernelName] };
}

/** Frozen batch norm as y = x * scale + shift, per channel. */
function batchNormOp(layer: KerasLayer, files: LayersModelFiles, derived: DerivedWeights): Op {
  const eps = typeof layer.config.epsilon === 'number' ? layer.config.epsilon : 1e-3;
  const mean = weightOf(files, layer, 'moving_mean', 1).data;
  const variance = weightOf(files, layer, 'moving_variance', 1).data;
  const gamma = layer.config.scale === false ? undefined : weightOf(files, layer, 'gamma', 1).data;
  const beta = layer.config.center === false ? undefined : weightOf(files, layer, 'beta', 1).data;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + eps);
    shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!;
  }
  const scaleName = `${layer.name}/folded_scale`;
  const shiftName = `${layer.name}/folded_shift`;
  derived.set(scaleName, { shape: [scale.length], data: scale });
  derived.set(shiftName, { shape: [shift.length], data: shift });
  return (x, params) => tf.add(tf.mul(x, params(scaleName)), params(shiftName));
}

function layerOp(
  layer: KerasLayer,
  files: LayersModelFiles,
  derived: DerivedWeights,
): { op: Op; weights: string[] } {
  switch (layer.class_name) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
      return convOp(layer, files);
    case 'BatchNormalization':
      return { op: batchNormOp(layer, files, derived), weights: [] };
    case 'Activation':
    case 'ReLU': {
      const activation = activationOf(layer);
      return { op: (x) => activate(x, activation), weights: [] };
    }
    case 'ZeroPadding2D': {
      checkChannelsLast(layer);
      const [top, bottom, left, right] = zeroPaddingOf(layer);
      const op: Op = (x) =>
        tf.pad(x, [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ]);
      return { op, weights: [] };
    }
    case 'GlobalAveragePooling2D':
      checkChannelsLast(layer);
      return { op: (x) => tf.mean(x, [1, 2]), weights: [] };
    case 'AveragePooling2D': {
      checkChannelsLast(layer);
      const size = pair(layer.config.pool_size, [2, 2]);
      const strides = pair(layer.config.strides, size);
      const padding = (str(layer.config.padding) ?? 'valid') as 'same' | 'valid';
      return { op: (x) => tf.avgPool(x as tf.Tensor4D, size, strides, padding), weights: [] };
    }
    default:
      throw new UnsupportedBackboneError(
        `layer '${layer.name}' is a ${layer.class_name}; the top blocks may hold Conv2D, DepthwiseConv2D, ` +
          'BatchNormalization, ReLU/Activation, ZeroPadding2D, AveragePooling2D and GlobalAveragePooling2D',
      );
  }
}

export interface TrainableTop {
  readonly split: TopSplit;
  /** Trainable convolution weights by their tfjs weight name (e.g. 'conv_pw_13/kernel'). */
  readonly variables: Map<string, tf.Variable>;
  /** Trunk features [N, H, W, C] -> embeddings [N, D] with the current (trained) weights. */
  apply(features: tf.Tensor): tf.Tensor2D;
  /** The same with the weights the top started from (the teacher for distillation). */
  applyInitial(features: tf.Tensor): tf.Tensor2D;
  /** Current values of the trainable weights. */
  read(): Promise<Map<string, Float32Array>>;
  /** Sets the trainable weights (e.g. back to the best epoch's). */
  assign(values: Map<string, Float32Array>): void;
  dispose(): void;
}

function errorsAsUnsupported<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UnsupportedBackboneError || err instanceof RangeError) throw err;
    throw new UnsupportedBackboneError((err as Error).message);
  }
}

export function buildTrainableTop(
  files: LayersModelFiles,
  embeddingLayer: string,
  blocks: number,
): TrainableTop {
  const split = splitTop(files, embeddingLayer, blocks);
  const derived: DerivedWeights = new Map();
  const ops = errorsAsUnsupported(() => split.layers.map((layer) => layerOp(layer, files, derived)));
  const trainable = ops.flatMap((o) => o.weights);
  const constants = new Map<string, tf.Tensor>();
  const variables = new Map<string, tf.Variable>();
  const initial = new Map<string, tf.Tensor>();
  const tensorOf = (name: string) => {
    const w = derived.get(name) ?? files.weights.get(name);
    if (!w) throw new UnsupportedBackboneError(`weight '${name}' is missing`);
    return tf.tensor(w.data, w.shape, 'float32');
  };
  for (const name of trainable) {
    initial.set(name, tensorOf(name));
    variables.set(name, tf.variable(initial.get(name)!, true, `finetune/${name}`));
  }
  const param = (source: Map<string, tf.Tensor>) => (name: string) => {
    const fromSource = source.get(name);
    if (fromSource) return fromSource;
    let constant = constants.get(name);
    if (!constant) {
      constant = tf.keep(tensorOf(name)); // first use may be inside a tidy
      constants.set(name, constant);
    }
    return constant;
  };
  const run = (features: tf.Tensor, params: Params) => {
    let x = features;
    for (const { op } of ops) x = op(x, params);
    // A pooling layer that leaves 1x1 (MobileNet-EdgeTPU's embedding): the backbone serves it flattened too.
    if (x.rank === 4 && x.shape[1] === 1 && x.shape[2] === 1) x = x.reshape([x.shape[0]!, x.shape[3]!]);
    if (x.rank !== 2)
      throw new UnsupportedBackboneError(`the embedding layer gives rank ${x.rank}, expected 2`);
    return x as tf.Tensor2D;
  };
  const current = param(variables as Map<string, tf.Tensor>);
  const start = param(initial);
  return {
    split,
    variables,
    apply: (features) => run(features, current),
    applyInitial: (features) => run(features, start),
    read: async () => {
      const out = new Map<string, Float32Array>();
      for (const [name, v] of variables) out.set(name, (await v.data()) as Float32Array);
      return out;
    },
    assign: (values) => {
      for (const [name, data] of values) {
        const v = variables.get(name);
        if (!v) throw new Error(`'${name}' is not a trainable weight of the top`);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
      }
    },
    dispose: () => {
      for (const t of [...constants.values(), ...variables.values(), ...initial.values()]) t.dispose();
    },
  };
}
