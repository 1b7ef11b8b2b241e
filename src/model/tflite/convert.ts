/** Rewrites a TFLite graph as a float32 Keras functional model (topology JSON + weights in TF layout). */
import { TfliteImportError } from './errors.ts';
import { dequantize } from './dequantize.ts';
import { addOptions, conv2dOptions, depthwiseOptions, pool2dOptions, softmaxOptions } from './options.ts';
import { reshapeTarget } from './reshape-target.ts';
import { Activation, BuiltinOp, Padding, otherOpNames, type Operator, type TfliteModel } from './schema.ts';

export const embeddingLayerName = 'embedding_pool';
export const logitsLayerName = 'imagenet_logits';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}
export interface ConvertedModel {
  /** Keras `Model` topology, as tfjs's model.json `modelTopology` holds it. */
  topology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weightData: Float32Array[];
  embeddingDim: number;
  /** The input tensor's quantization: real = (p - zeroPoint) * scale. */
  input: { shape: number[]; scale: number; zeroPoint: number };
  /** The classifier's dropped output 0 (background): logit = embedding · kernel + bias. */
  background?: { kernel: number[]; bias: number };
}

const opNames: Record<number, string> = Object.fromEntries(Object.entries(BuiltinOp).map(([k, v]) => [v, k]));

interface Node {
  layer: string;
  /** Last dimension had the background class removed (1001 → 1000). */
  dropped: boolean;
}

export function convertTflite(model: TfliteModel): ConvertedModel {
  const file = model.file;
  const g = model.subgraphs[0]!;
  const fail = (problem: string): never => {
    throw new TfliteImportError(file, problem);
  };
  for (const op of g.operators) {
    if (opNames[op.builtinCode] === undefined) {
      const what = op.customCode
        ? `custom operator "${op.customCode}"`
        : (otherOpNames[op.builtinCode] ?? 'operator');
      fail(
        `operator ${op.index} is ${what} (builtin code ${op.builtinCode}), which the importer does not support ` +
          `(supported: ${Object.keys(BuiltinOp).join(', ')})`,
      );
    }
  }
  if (g.inputs.length !== 1) fail(`the model has ${g.inputs.length} inputs; the importer needs exactly one`);
  const inputTensor = g.tensors[g.inputs[0]!]!;
  const layers: Record<string, unknown>[] = [];
  const weightSpecs: WeightSpec[] = [];
  const weightData: Float32Array[] = [];
  const nodes = new Map<number, Node>();
  nodes.set(inputTensor.index, { layer: 'input', dropped: false });
  layers.push({
    class_name: 'InputLayer',
    name: 'input',
    config: {
      name: 'input',
      batch_input_shape: [null, ...inputTensor.shape.slice(1)],
      dtype: 'float32',
      sparse: false,
    },
    inbound_nodes: [],
  });

  const pools = g.operators.filter((op) => op.builtinCode === BuiltinOp.AVERAGE_POOL_2D);
  const embeddingOp = pools[pools.length - 1];
  let embeddingDim = 0;
  let background: ConvertedModel['background'];

  const source = (op: Operator, i = 0): Node => {
    const n = nodes.get(op.inputs[i]!);
    if (!n)
      return fail(
        `operator ${op.index} (${opNames[op.builtinCode]}) reads tensor ${op.inputs[i]}, which no supported layer produces`,
      );
    return n;
  };
  const inbound = (...srcs: Node[]) => [srcs.map((s) => [s.layer, 0, 0, {}])];
  const activationName = (op: Operator, code: number): string => {
    if (code === Activation.NONE) return 'linear';
    if (code === Activation.RELU) return 'relu';
    if (code === Activation.RELU6) return 'relu6';
    return fail(
      `operator ${op.index} (${opNames[op.builtinCode]}) has fused activation ${code}, which the importer does not support`,
    );
  };
  const padding = (code: number) => (code === Padding.VALID ? 'valid' : 'same');
  const addWeight = (name: string, shape: number[], data: Float32Array) => {
    weightSpecs.push({ name, shape, dtype: 'float32' });
    weightData.push(data);
  };
  const output = (op: Operator, node: Node) => nodes.set(op.outputs[0]!, node);

  for (const op of g.operators) {
    const kind = opNames[op.builtinCode]!;
    const name = `${kind.toLowerCase()}_${op.index}`;
    switch (op.builtinCode) {
      case BuiltinOp.CONV_2D: {
        const o = conv2dOptions(op.options);
        const filter = g.tensors[op.inputs[1]!]!;
        const [outC, kh, kw, inC] = filter.shape as [number, number, number, number];
        const w = dequantize(model, filter);
        const bias =
          op.inputs[2] !== undefined && op.inputs[2] >= 0
            ? dequantize(model, g.tensors[op.inputs[2]]!)
            : new Float32Array(outC);
        const isLogits =
          embeddingOp !== undefined &&
          op.inputs[0] === embeddingOp.outputs[0] &&
          kh === 1 &&
          kw === 1 &&
          outC === 1001;
        const first = isLogits ? 1 : 0;
        const filters = outC - first;
        // TFLite filters are OHWI; Keras wants HWIO.
        const kernel = new Float32Array(kh * kw * inC * filters);
        for (let oc = first; oc < outC; oc++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++)
              for (let ic = 0; ic < inC; ic++)
                kernel[((y * kw + x) * inC + ic) * filters + oc - first] =
                  w[((oc * kh + y) * kw + x) * inC + ic]!;
        if (isLogits) {
          background = { kernel: Array.from(w.subarray(0, inC)), bias: bias[0]! };
          embeddingDim = inC;
        }
        const layer = isLogits ? logitsLayerName : name;
        layers.push({
          class_name: 'Conv2D',
          name: layer,
          config: {
            name: layer,
            filters,
            kernel_size: [kh, kw],
            strides: [o.strideH, o.strideW],
            padding: padding(o.padding),
            data_format: 'channels_last',
            dilation_rate: [o.dilationH, o.dilationW],
            activation: activationName(op, o.activation),
            use_bias: true,
          },
          inbound_nodes: inbound(source(op)),
        });
        addWeight(`${layer}/kernel`, [kh, kw, inC, filters], kernel);
        addWeight(`${layer}/bias`, [filters], bias.slice(first));
        output(op, { layer, dropped: isLogits });
        break;
      }
      case BuiltinOp.DEPTHWISE_CONV_2D: {
        const o = depthwiseOptions(op.options);
        const filter = g.tensors[op.inputs[1]!]!;
        const [, kh, kw, channels] = filter.shape as [number, number, number, number];
        const inC = g.tensors[op.inputs[0]!]!.shape[3] ?? channels;
        const m = o.depthMultiplier || channels / inC;
        // [1,H,W,C*M] and Keras's [H,W,C,M] are the same bytes (channel c*M + m).
        const kernel = dequantize(model, filter);
        const bias =
          op.inputs[2] !== undefined && op.inputs[2] >= 0
            ? dequantize(model, g.tensors[op.inputs[2]]!)
            : new Float32Array(channels);
        layers.push({
          class_name: 'DepthwiseConv2D',
          name,
          config: {
            name,
            kernel_size: [kh, kw],
            strides: [o.strideH, o.strideW],
            padding: padding(o.padding),
            depth_multiplier: m,
            data_format: 'channels_last',
            dilation_rate: [o.dilationH, o.dilationW],
            activation: activationName(op, o.activation),
            use_bias: true,
          },
          inbound_nodes: inbound(source(op)),
        });
        addWeight(`${name}/depthwise_kernel`, [kh, kw, channels / m, m], kernel);
        addWeight(`${name}/bias`, [channels], bias);
        output(op, { layer: name, dropped: false });
        break;
      }
      case BuiltinOp.ADD: {
        const act = activationName(op, addOptions(op.options).activation);
        const a = source(op, 0);
        const b = source(op, 1);
        layers.push({ class_name: 'Add', name, config: { name }, inbound_nodes: inbound(a, b) });
        let out = name;
        if (act !== 'linear') {
          out = `${name}_${act}`;
          layers.push({
            class_name: 'Activation',
            name: out,
            config: { name: out, activation: act },
            inbound_nodes: inbound({ layer: name, dropped: false }),
          });
        }
        output(op, { layer: out, dropped: a.dropped });
        break;
      }
      case BuiltinOp.AVERAGE_POOL_2D: {
        const o = pool2dOptions(op.options);
        const act = activationName(op, o.activation);
        if (act !== 'linear')
          fail(
            `operator ${op.index} (AVERAGE_POOL_2D) has a fused activation, which the importer does not support`,
          );
        const layer = op === embeddingOp ? embeddingLayerName : name;
        layers.push({
          class_name: 'AveragePooling2D',
          name: layer,
          config: {
            name: layer,
            pool_size: [o.filterH, o.filterW],
            strides: [o.strideH, o.strideW],
            padding: padding(o.padding),
            data_format: 'channels_last',
          },
          inbound_nodes: inbound(source(op)),
        });
        output(op, { layer, dropped: false });
        break;
      }
      case BuiltinOp.RESHAPE:
      case BuiltinOp.SQUEEZE: {
        const src = source(op);
        const target = reshapeTarget(model, op, fail);
        if (target === 'flatten') {
          layers.push({ class_name: 'Flatten', name, config: { name }, inbound_nodes: inbound(src) });
          output(op, { layer: name, dropped: src.dropped });
          break;
        }
        const perExample = target.slice(1);
        if (src.dropped && perExample[perExample.length - 1] === 1001)
          perExample[perExample.length - 1] = 1000;
        layers.push({
          class_name: 'Reshape',
          name,
          config: { name, target_shape: perExample },
          inbound_nodes: inbound(src),
        });
        output(op, { layer: name, dropped: src.dropped });
        break;
      }
      case BuiltinOp.SOFTMAX: {
        const beta = softmaxOptions(op.options).beta;
        if (beta !== 1) fail(`operator ${op.index} (SOFTMAX) has beta ${beta}; the importer supports only 1`);
        const src = source(op);
        layers.push({ class_name: 'Softmax', name, config: { name, axis: -1 }, inbound_nodes: inbound(src) });
        output(op, { layer: name, dropped: src.dropped });
        break;
      }
    }
  }
  if (!embeddingOp) fail('the model has no AVERAGE_POOL_2D, so no embedding layer');
  if (!background)
    fail('no 1x1 CONV_2D with 1001 outputs follows the last AVERAGE_POOL_2D, so no ImageNet classifier');
  const outputs = g.outputs.map(
    (t) => nodes.get(t)?.layer ?? fail(`output tensor ${t} is produced by no layer`),
  );
  const q = inputTensor.quantization;
  return {
    topology: {
      class_name: 'Model',
      config: {
        name: 'tflite_import',
        layers,
        input_layers: [['input', 0, 0]],
        output_layers: outputs.map((l) => [l, 0, 0]),
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightSpecs,
    weightData,
    embeddingDim,
    input: { shape: inputTensor.shape, scale: q?.scale[0] ?? 1, zeroPoint: q?.zeroPoint[0] ?? 0 },
    ...(background ? { background } : {}),
  };
}
