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
  zeroPaddingOf,
  type KerasSubgraph,
} from './keras-graph.ts';
import { OnnxConversionError, type KerasLayer, type LayersModelFiles } from './layers-model.ts';
import { OnnxGraphBuilder } from './onnx-graph.ts';
import { tfPadding, convFrom, foldBatchNorm, emitActivation, emitConv, type Value } from './onnx-conv.ts';

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
