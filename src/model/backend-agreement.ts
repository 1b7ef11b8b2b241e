/**
 * The start-up check that a tfjs backend computes what the reference cpu backend computes, on the operations
 * a MobileNet-style backbone uses (conv2d, depthwise conv2d, relu6, batch-norm-like scale/offset, mean
 * pooling, a dense layer), with deterministic inputs.
 */
import * as tf from '@tensorflow/tfjs';

/** Largest |backend - cpu| accepted, relative to the largest output magnitude (at least 1). */
export const CPU_AGREEMENT_TOLERANCE = 1e-3;

/** A smooth, repeatable pattern of `n` values in [-1, 1]. */
function pattern(n: number, phase: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase) * Math.cos(i * 0.011));
}

/** A small conv net on the active backend; returns its [2, 32] output. */
async function probeNet(): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const images = tf.tensor4d(pattern(2 * 32 * 32 * 3, 0), [2, 32, 32, 3]);
    const conv = tf.tensor4d(
      pattern(3 * 3 * 3 * 16, 1).map((v) => v * 0.5),
      [3, 3, 3, 16],
    );
    const depthwise = tf.tensor4d(pattern(3 * 3 * 16, 2), [3, 3, 16, 1]);
    const pointwise = tf.tensor4d(
      pattern(16 * 24, 3).map((v) => v * 0.3),
      [1, 1, 16, 24],
    );
    const dense = tf.tensor2d(pattern(24 * 32, 4), [24, 32]);
    let x: tf.Tensor4D = tf.conv2d(images, conv, 2, 'same');
    x = tf.clipByValue(x.mul(1.3).add(0.1), 0, 6) as tf.Tensor4D;
    x = tf.depthwiseConv2d(x, depthwise, 1, 'same');
    x = tf.relu(tf.conv2d(x, pointwise, 1, 'same'));
    return tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, dense);
  });
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * Runs the probe on the cpu backend and on `backend`, leaves `backend` active, and returns the largest absolute
 * difference divided by max(1, largest |cpu output|).
 */
export async function agreementWithCpu(backend: string): Promise<number> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend could not start');
  const reference = await probeNet();
  if (!(await tf.setBackend(backend))) throw new Error(`the '${backend}' backend could not start again`);
  const actual = await probeNet();
  let diff = 0;
  let scale = 1;
  reference.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - actual[i]!));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}
