/**
 * Where a backbone is cut for fine-tuning: the chain of layers before the embedding that can be unfrozen, and
 * how many blocks of it the network allows.
 */
import { subgraphTo, type KerasSubgraph } from '../../model/onnx/keras-graph.ts';
import type { KerasLayer, LayersModelFiles } from '../../model/onnx/layers-model.ts';

export class UnsupportedBackboneError extends Error {
  /** What stops it, without the leading "the backbone cannot be fine-tuned". */
  readonly detail: string;
  constructor(detail: string) {
    super(`the backbone cannot be fine-tuned: ${detail}`);
    this.name = 'UnsupportedBackboneError';
    this.detail = detail;
  }
}

/** Where the backbone is cut: the trunk ends at `cutLayer`, the top runs `layers` up to the embedding. */
export interface TopSplit {
  cutLayer: string;
  layers: KerasLayer[];
  /** Blocks unfrozen: those asked for, or fewer when a residual network's tail has fewer. */
  blocks: number;
}

/**
 * The chain of single-input layers that ends at `embeddingLayer`, and the layer it follows: the input layer
 * of a single-chain network (MobileNet v1), or the last merge node (Add) of a residual one (MobileNet-EdgeTPU).
 */
function tailTo(
  files: LayersModelFiles,
  embeddingLayer: string,
): { layers: KerasLayer[]; after: KerasLayer } {
  let graph: KerasSubgraph;
  try {
    graph = subgraphTo(files.layers, embeddingLayer);
  } catch (err) {
    throw new UnsupportedBackboneError((err as Error).message);
  }
  const byName = new Map(graph.order.map((l) => [l.name, l]));
  const layers: KerasLayer[] = [];
  let layer = byName.get(embeddingLayer)!;
  for (let inputs = graph.inputsOf(layer.name); inputs.length === 1; inputs = graph.inputsOf(layer.name)) {
    layers.unshift(layer);
    layer = byName.get(inputs[0]!)!;
  }
  return { layers, after: layer };
}

const isConv = (l: KerasLayer) => l.class_name === 'Conv2D' || l.class_name === 'DepthwiseConv2D';

/**
 * The last `blocks` blocks before the embedding layer. A block starts at a depthwise convolution (MobileNet),
 * or at a convolution when the network has none, and includes a ZeroPadding2D right before it.
 *
 * Only the single chain after the last merge node can be unfrozen (the trunk before it runs as a frozen tfjs
 * model). In a residual network that chain is the trunk's natural end, so when it holds fewer blocks than asked,
 * all of it is unfrozen, from the layer after the merge (MobileNet-EdgeTPU: the 1x1 expansion, the depthwise
 * block and the final 1x1 convolutions after its last Add); a single-chain network must keep a frozen trunk.
 */
export function splitTop(files: LayersModelFiles, embeddingLayer: string, blocks: number): TopSplit {
  if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError('blocks must be a positive integer');
  const tail = tailTo(files, embeddingLayer);
  const afterMerge = tail.after.class_name !== 'InputLayer';
  const chain = tail.layers;
  const hasDepthwise = chain.some((l) => l.class_name === 'DepthwiseConv2D');
  const starts = chain
    .map((l, i) => ((hasDepthwise ? l.class_name === 'DepthwiseConv2D' : l.class_name === 'Conv2D') ? i : -1))
    .filter((i) => i >= 0);
  if (afterMerge && !chain.some(isConv)) {
    throw new UnsupportedBackboneError(
      `no convolution between its last merge layer '${tail.after.name}' (${tail.after.class_name}) and '${embeddingLayer}'`,
    );
  }
  if (afterMerge && starts.length < blocks) {
    return { cutLayer: tail.after.name, layers: chain, blocks: starts.length };
  }
  if (!afterMerge && starts.length <= blocks) {
    throw new UnsupportedBackboneError(
      `it has ${starts.length} blocks before '${embeddingLayer}'; unfreezing ${blocks} would leave no frozen trunk`,
    );
  }
  let start = starts[starts.length - blocks]!;
  if (chain[start - 1]?.class_name === 'ZeroPadding2D') start--;
  return { cutLayer: (chain[start - 1] ?? tail.after).name, layers: chain.slice(start), blocks };
}
