/**
 * Reads the Keras functional graph of a tfjs layers model: which layers feed which, the part of the graph an
 * output depends on in topological order, and the layer settings the converters share. Knows nothing of ONNX.
 */
import {
  OnnxConversionError,
  type KerasLayer,
  type LayersModelFiles,
  type WeightTensor,
} from './layers-model.ts';

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
export const pair = (v: unknown, fallback: [number, number]): [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x)) ? [v[0], v[1]] : fallback;

/** The names of the layers `layer` reads, in argument order (empty for an InputLayer). */
export function inboundNames(layer: KerasLayer): string[] {
  const nodes = layer.inbound_nodes as unknown[][][];
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) {
    throw new OnnxConversionError(
      `layer '${layer.name}' is shared (called ${nodes.length} times); not supported`,
    );
  }
  return (nodes[0] ?? []).map((entry) => String(entry[0]));
}

/** The layers `outputLayer` depends on, inputs first, with who reads whom inside that part of the graph. */
export interface KerasSubgraph {
  /** Topological order: every layer comes after the layers it reads; the last is `outputLayer`. */
  order: KerasLayer[];
  inputsOf(layerName: string): string[];
  /** The layers of the subgraph that read `layerName` (once per argument). */
  readersOf(layerName: string): KerasLayer[];
}

export function subgraphTo(layers: KerasLayer[], outputLayer: string): KerasSubgraph {
  const byName = new Map(layers.map((l) => [l.name, l]));
  if (!byName.has(outputLayer)) throw new OnnxConversionError(`layer '${outputLayer}' is not in the model`);
  const inputs = new Map<string, string[]>();
  const readers = new Map<string, KerasLayer[]>();
  const order: KerasLayer[] = [];
  const done = new Set<string>();
  const inProgress = new Set<string>();

  // Depth-first from the output, emitting a layer once everything it reads has been emitted.
  const visit = (name: string, reader: KerasLayer | undefined) => {
    const layer = byName.get(name);
    if (!layer) throw new OnnxConversionError(`layer '${reader?.name}' reads unknown layer '${name}'`);
    if (done.has(name)) return;
    if (inProgress.has(name)) throw new OnnxConversionError(`layer '${name}' is part of a cycle`);
    inProgress.add(name);
    const names = inboundNames(layer);
    inputs.set(name, names);
    for (const input of names) {
      visit(input, layer);
      readers.set(input, [...(readers.get(input) ?? []), layer]);
    }
    inProgress.delete(name);
    done.add(name);
    order.push(layer);
  };
  visit(outputLayer, undefined);
  return {
    order,
    inputsOf: (name) => inputs.get(name) ?? [],
    readersOf: (name) => readers.get(name) ?? [],
  };
}

export function weightOf(
  files: LayersModelFiles,
  layer: KerasLayer,
  param: string,
  rank?: number,
): WeightTensor {
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
