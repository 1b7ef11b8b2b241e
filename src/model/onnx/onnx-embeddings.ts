import { log } from '../../log.ts';
import type { Backbone } from '../backbone.ts';
import { loadOnnxBackbone, type OnnxBackboneOptions } from './onnx-backbone.ts';
import { startOnnxWorker } from './onnx-worker.ts';

export interface OnnxEmbeddingOptions extends OnnxBackboneOptions {
  /** 'worker' (default): ONNX Runtime runs in a worker thread and never stalls the event loop. */
  thread?: 'worker' | 'main';
}

export type EmbeddingEngine = 'tfjs' | 'onnx';

export interface EngineChoice {
  backbone: Backbone;
  engine: EmbeddingEngine;
  /** Why ONNX Runtime is not used, when it was asked for and is not. */
  fallbackReason?: string;
}

/**
 * The same backbone with its embeddings computed by ONNX Runtime instead of tfjs. Everything else (config,
 * ImageNet classifier weights, id) is the tfjs backbone's, so heads and versions stay interchangeable.
 * When ONNX Runtime is missing or the model has layers the converter does not know, the tfjs backbone is
 * returned unchanged with the reason.
 */
export async function withOnnxEmbeddings(
  backbone: Backbone,
  options: OnnxEmbeddingOptions = {},
): Promise<EngineChoice> {
  try {
    const load = options.thread === 'main' ? loadOnnxBackbone : startOnnxWorker;
    const onnx = await load(backbone.source.dir, backbone.config, options);
    if (onnx.embeddingDim !== backbone.embeddingDim) {
      await onnx.dispose();
      throw new Error(`ONNX embedding has ${onnx.embeddingDim} values, tfjs ${backbone.embeddingDim}`);
    }
    return {
      engine: 'onnx',
      backbone: {
        ...backbone,
        embed: (inputs) => onnx.embed(inputs),
        dispose: () => {
          backbone.dispose();
          void onnx.dispose();
        },
      },
    };
  } catch (err) {
    const reason = (err as Error).message;
    log.warn({ backbone: backbone.id, reason }, 'ONNX Runtime backbone unavailable; embedding with tfjs');
    return { backbone, engine: 'tfjs', fallbackReason: reason };
  }
}
