/**
 * Converts a uint8-quantized TFLite backbone (input up to the last AVERAGE_POOL_2D, the embedding) straight into a
 * QDQ ONNX graph: the TFLite file's own integer weights, int32 biases and every activation tensor's (scale, zero
 * point), as DequantizeLinear / QuantizeLinear pairs. ONNX Runtime's graph optimizer fuses them into QLinearConv
 * and friends, so the CPU runs the model's integer arithmetic instead of the float32 dequantized import.
 *
 * Same interface as the float graph (keras-to-onnx.ts): NHWC float input, normalised as the model entry says
 * (the first QuantizeLinear turns it back into the model's uint8 pixels), [batch, features] float output.
 * Served (int8 weights) where the CPU has VNNI, float elsewhere: onnx-precision.ts; measured in bench/int8-qdq.ts
 * (README, "The integer ONNX path").
 */
import { OnnxConversionError } from './layers-model.ts';
import { tfPadding } from './onnx-conv.ts';
import { OnnxGraphBuilder } from './onnx-graph.ts';
import { convConstants, type QdqWeights, type QuantizedConstant } from './qdq-weights.ts';
import { addOptions, conv2dOptions, depthwiseOptions, pool2dOptions } from '../tflite/options.ts';
import {
  Activation,
  BuiltinOp,
  Padding,
  TensorType,
  type Tensor,
  type TfliteModel,
} from '../tflite/schema.ts';

/** Bump when the emitted graph changes, so cached .onnx files from an older converter are not reused. */
export const QDQ_CONVERTER_VERSION = 1;

export interface QdqOptions {
  /** Also output the ImageNet logits (all 1001, background first) as a second output, for fidelity checks. */
  withLogits?: boolean;
  /** How the weights are stored (see qdq-weights.ts); default 'uint8', the file's own. */
  weights?: QdqWeights;
}

export interface QdqBackbone {
  onnx: Uint8Array;
  inputShape: [number, number, number];
  embeddingDim: number;
  inputName: string;
  outputName: string;
  logitsName?: string;
}

/** An activation in the graph being built: the name of its dequantized (float) value, and its NCHW shape. */
interface Act {
  name: string;
  channels: number;
  height: number;
  width: number;
}

interface Quant {
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

function quantOf(tensor: Tensor): Quant {
  const q = tensor.quantization;
  if (!q || q.scale.length === 0)
    throw new OnnxConversionError(
      `tensor ${tensor.name} is not quantized; the int8 converter needs uint8 tensors`,
    );
  return {
    scale: q.scale,
    zeroPoint: q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0),
    axis: q.quantizedDimension,
  };
}

export function convertTfliteToQdq(model: TfliteModel, options: QdqOptions = {}): QdqBackbone {
  const sub = model.subgraphs[0]!;
  const tensor = (i: number) => sub.tensors[i]!;
  const graph = new OnnxGraphBuilder();
  const acts = new Map<number, Act>();
  const qparams = new Map<number, [string, string]>();

  /** Q then DQ with the tensor's own grid: the float value rounded and saturated as TFLite stores it. */
  const requantize = (value: string, t: Tensor, base: string): string => {
    if (t.type !== TensorType.UINT8)
      throw new OnnxConversionError(
        `activation ${t.name} has type ${t.type}; the int8 converter reads uint8 models`,
      );
    let params = qparams.get(t.index);
    if (!params) {
      const q = quantOf(t);
      if (q.scale.length !== 1)
        throw new OnnxConversionError(`activation ${t.name} is quantized per channel`);
      params = [
        graph.typedConstant(`${base}/scale`, [], new Float32Array([q.scale[0]!])),
        graph.typedConstant(`${base}/zero_point`, [], new Uint8Array([q.zeroPoint[0]!])),
      ];
      qparams.set(t.index, params);
    }
    const quantized = graph.node('QuantizeLinear', [value, ...params], `${base}/q`);
    return graph.node('DequantizeLinear', [quantized, ...params], `${base}/dq`);
  };

  /** An integer constant and the DequantizeLinear that gives its real values. */
  const dequantized = (c: QuantizedConstant, dims: number[], base: string) => {
    const perChannel = c.scale.length > 1;
    const shape = perChannel ? [c.scale.length] : [];
    const scale = graph.typedConstant(`${base}/scale`, shape, Float32Array.from(c.scale));
    const zeros =
      c.values instanceof Int32Array
        ? Int32Array.from(c.zeroPoint)
        : c.values instanceof Int8Array
          ? Int8Array.from(c.zeroPoint)
          : Uint8Array.from(c.zeroPoint);
    const zp = graph.typedConstant(`${base}/zero_point`, shape, zeros);
    const data = graph.typedConstant(`${base}/q`, dims, c.values);
    return graph.node('DequantizeLinear', [data, scale, zp], `${base}/dq`, perChannel ? { axis: 0 } : {});
  };

  /** The fused activation, unless the output's quantized range already clips to it (then Q saturates the same). */
  const activate = (value: string, code: number, out: Tensor, base: string): string => {
    if (code === Activation.NONE) return value;
    const q = quantOf(out);
    const low = (0 - q.zeroPoint[0]!) * q.scale[0]!;
    const high = (255 - q.zeroPoint[0]!) * q.scale[0]!;
    if (code === Activation.RELU) return low >= 0 ? value : graph.node('Relu', [value], `${base}/relu`);
    if (code === Activation.RELU6) {
      if (low >= 0 && high <= 6 + q.scale[0]! / 2) return value;
      const min = graph.constant(`${base}/min`, [], new Float32Array([0]));
      const max = graph.constant(`${base}/max`, [], new Float32Array([6]));
      return graph.node('Clip', [value, min, max], `${base}/relu6`);
    }
    throw new OnnxConversionError(`fused activation ${code} is not supported by the int8 converter`);
  };

  const source = (i: number, opIndex: number): Act => {
    const act = acts.get(i);
    if (!act)
      throw new OnnxConversionError(
        `operator ${opIndex} reads tensor ${i}, which no converted operator produces`,
      );
    return act;
  };

  const inputTensor = tensor(sub.inputs[0]!);
  const [, height, width, channels] = inputTensor.shape as [number, number, number, number];
  const inputName = graph.uniqueName('input');
  const nchw = graph.node('Transpose', [inputName], 'input_nchw', { perm: [0, 3, 1, 2] });
  acts.set(inputTensor.index, { name: requantize(nchw, inputTensor, 'input'), channels, height, width });

  const pools = sub.operators.filter((op) => op.builtinCode === BuiltinOp.AVERAGE_POOL_2D);
  const embeddingOp = pools[pools.length - 1];
  if (!embeddingOp) throw new OnnxConversionError('the model has no AVERAGE_POOL_2D, so no embedding');
  let embedding: Act | undefined;
  let logits: string | undefined;
  let logitsDim = 0;

  for (const op of sub.operators) {
    const base = `op${op.index}`;
    const out = tensor(op.outputs[0]!);
    const afterEmbedding = embedding !== undefined;
    if (afterEmbedding && !(options.withLogits && op.builtinCode === BuiltinOp.CONV_2D && !logits)) continue;
    switch (op.builtinCode) {
      case BuiltinOp.CONV_2D:
      case BuiltinOp.DEPTHWISE_CONV_2D: {
        const depthwise = op.builtinCode === BuiltinOp.DEPTHWISE_CONV_2D;
        const o = depthwise ? depthwiseOptions(op.options) : conv2dOptions(op.options);
        const input = source(op.inputs[0]!, op.index);
        const biasIndex = op.inputs[2];
        const consts = convConstants(
          model,
          tensor(op.inputs[1]!),
          biasIndex !== undefined && biasIndex >= 0 ? tensor(biasIndex) : undefined,
          quantOf(tensor(op.inputs[0]!)).scale[0]!,
          depthwise,
          // The classifier (only in the fidelity-check graph) stays the file's own; a depthwise kernel sums no pairs.
          afterEmbedding
            ? 'uint8'
            : depthwise && options.weights === 'int7'
              ? 'int8'
              : (options.weights ?? 'uint8'),
        );
        const [outC, , kh, kw] = consts.dims;
        const inputs = [input.name, dequantized(consts.weight, consts.dims, `${base}/weight`)];
        if (consts.bias) inputs.push(dequantized(consts.bias, [outC], `${base}/bias`));
        const strides: [number, number] = [o.strideH, o.strideW];
        const dilations: [number, number] = [o.dilationH, o.dilationW];
        const { pads, output } = tfPadding(
          o.padding === Padding.VALID ? 'valid' : 'same',
          [input.height, input.width],
          [kh, kw],
          strides,
          dilations,
        );
        const conv = graph.node('Conv', inputs, `${base}/conv`, {
          kernel_shape: [kh, kw],
          strides,
          dilations,
          pads,
          group: depthwise ? input.channels : 1,
        });
        const act = {
          name: requantize(activate(conv, o.activation, out, base), out, base),
          channels: outC,
          height: output[0],
          width: output[1],
        };
        if (afterEmbedding) {
          logits = graph.node('Flatten', [act.name], 'logits_flat', { axis: 1 });
          logitsDim = outC;
        } else acts.set(out.index, act);
        break;
      }
      case BuiltinOp.ADD: {
        const a = source(op.inputs[0]!, op.index);
        const b = source(op.inputs[1]!, op.index);
        const sum = graph.node('Add', [a.name, b.name], `${base}/add`);
        const name = requantize(activate(sum, addOptions(op.options).activation, out, base), out, base);
        acts.set(out.index, { ...a, name });
        break;
      }
      case BuiltinOp.AVERAGE_POOL_2D: {
        const o = pool2dOptions(op.options);
        if (o.activation !== Activation.NONE)
          throw new OnnxConversionError(`operator ${op.index}: fused activation on a pool`);
        const input = source(op.inputs[0]!, op.index);
        const kernel: [number, number] = [o.filterH, o.filterW];
        const strides: [number, number] = [o.strideH, o.strideW];
        const { pads, output } = tfPadding(
          o.padding === Padding.VALID ? 'valid' : 'same',
          [input.height, input.width],
          kernel,
          strides,
          [1, 1],
        );
        const pool = graph.node('AveragePool', [input.name], `${base}/pool`, {
          kernel_shape: kernel,
          strides,
          pads,
          count_include_pad: 0,
        });
        const act = {
          name: requantize(pool, out, base),
          channels: input.channels,
          height: output[0],
          width: output[1],
        };
        acts.set(out.index, act);
        if (op === embeddingOp) embedding = act;
        break;
      }
      default:
        throw new OnnxConversionError(
          `operator ${op.index} (builtin code ${op.builtinCode}) before the embedding is not supported by the int8 converter`,
        );
    }
  }
  const emb = embedding!;
  const embeddingDim = emb.channels * emb.height * emb.width;
  if (emb.height * emb.width !== 1)
    throw new OnnxConversionError('the embedding pool does not reduce to 1x1');
  const flat = graph.node('Flatten', [emb.name], 'embedding_flat', { axis: 1 });
  const outputName = graph.node('Identity', [flat], 'embedding');
  const logitsName = logits ? graph.node('Identity', [logits], 'logits') : undefined;
  return {
    onnx: graph.toModel({
      graphName: 'tflite_qdq',
      input: { name: inputName, dims: [height, width, channels] },
      output: { name: outputName, dims: [embeddingDim] },
      ...(logitsName ? { extraOutputs: [{ name: logitsName, dims: [logitsDim] }] } : {}),
      producer: 'breedbot tflite-to-qdq-onnx',
      docString: `${model.file}: the TFLite file's uint8 arithmetic as QDQ (converter v${QDQ_CONVERTER_VERSION})`,
    }),
    inputShape: [height, width, channels],
    embeddingDim,
    inputName,
    outputName,
    ...(logitsName ? { logitsName } : {}),
  };
}
