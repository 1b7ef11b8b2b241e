/** The shape a RESHAPE or SQUEEZE produces (batch first), from whatever the file stores about it. */
import { dequantize } from './dequantize.ts';
import { reshapeOptions, squeezeOptions } from './options.ts';
import { BuiltinOp, type Operator, type TfliteModel } from './schema.ts';

/**
 * The target shape including the batch dimension, or 'flatten' for a squeeze of axes 1 and 2 of a tensor whose
 * shape the file does not store (MobileNet-EdgeTPU stores none after its classifier): squeeze requires those axes
 * to be 1, so an NHWC tensor keeps [batch, channels], exactly what Flatten gives.
 */
export function reshapeTarget(
  model: TfliteModel,
  op: Operator,
  fail: (problem: string) => never,
): number[] | 'flatten' {
  const g = model.subgraphs[0]!;
  const inShape = g.tensors[op.inputs[0]!]!.shape;
  if (op.builtinCode === BuiltinOp.SQUEEZE) {
    const dims = squeezeOptions(op.options).squeezeDims;
    if (inShape.length === 0) {
      if (dims.length !== 2 || dims[0] !== 1 || dims[1] !== 2)
        fail(
          `operator ${op.index} (SQUEEZE) squeezes axes [${dims.join(', ')}] of a tensor whose shape the file ` +
            'does not store; the importer handles only axes [1, 2] there',
        );
      return 'flatten';
    }
    const axes = dims.map((d) => (d < 0 ? d + inShape.length : d));
    return inShape.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1) || i === 0);
  }
  const outShape = g.tensors[op.outputs[0]!]!.shape;
  if (outShape.length) return outShape;
  const { newShape } = reshapeOptions(op.options);
  if (newShape.length) return newShape;
  const shapeInput = op.inputs[1] !== undefined ? g.tensors[op.inputs[1]] : undefined;
  if (shapeInput) return Array.from(dequantize(model, shapeInput));
  return fail(`operator ${op.index} (RESHAPE) has no target shape`);
}
