"""How XNNPACK's integer arithmetic differs from the exact one, layer by layer, on one tflite-reference input.

Every operator's output is made a model output (so XNNPACK materialises it), the model runs once under XNNPACK
(tensorflow 2.21's default), and each CONV_2D, DEPTHWISE_CONV_2D and ADD is recomputed exactly from the integer
inputs XNNPACK itself produced: dequantize, convolve or add in float64, add the bias, apply the fused activation,
round to nearest and clip to uint8. Prints, per layer, the share of outputs that differ and in which direction.
Same setup as scripts/tflite-kernels.py:
  .tmp/tfvenv/bin/python scripts/tflite-xnnpack-rounding.py [model id] [reference input]
"""
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'models'))
FILES = {
    'mobilenet_edgetpu_224_1.0': 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
    'mobilenet_v2_1.0_224_quant': 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
}
OP_NAMES = {v: k for k, v in schema.BuiltinOperator.__dict__.items() if not k.startswith('_')}


def main():
    model_id = sys.argv[1] if len(sys.argv) > 1 else 'mobilenet_edgetpu_224_1.0'
    photo = sys.argv[2] if len(sys.argv) > 2 else 'n02086240_n02086240_10642.rgb'
    model = flatbuffer_utils.read_model(os.path.join(SHARED, FILES[model_id]))
    graph = model.subgraphs[0]
    tensors = graph.tensors
    codes = [OP_NAMES[max(c.builtinCode, c.deprecatedBuiltinCode)] for c in model.operatorCodes]
    graph.outputs = np.array(sorted({t for op in graph.operators for t in op.outputs}), dtype=np.int32)
    with tempfile.TemporaryDirectory() as work:
        every_output = os.path.join(work, 'every-output.tflite')
        flatbuffer_utils.write_model(model, every_output)
        interpreter = tf.lite.Interpreter(model_path=every_output)
        interpreter.allocate_tensors()
        pixels = np.fromfile(os.path.join(SHARED, 'tflite-reference', photo), dtype=np.uint8).reshape(1, 224, 224, 3)
        interpreter.set_tensor(interpreter.get_input_details()[0]['index'], pixels)
        interpreter.invoke()
        values = {d['index']: interpreter.get_tensor(d['index']) for d in interpreter.get_output_details()}
    values[graph.inputs[0]] = pixels

    def quant(t):
        return float(tensors[t].quantization.scale[0]), int(tensors[t].quantization.zeroPoint[0])

    def real(t):
        scale, zero = quant(t)
        if t in values:
            return (values[t].astype(np.float64) - zero) * scale
        data = np.frombuffer(bytes(model.buffers[tensors[t].buffer].data),
                             dtype=np.int32 if tensors[t].type == schema.TensorType.INT32 else np.uint8)
        return (data.reshape(tensors[t].shape).astype(np.float64) - zero) * scale

    print(f'{model_id}, {photo}: exact minus XNNPACK, per layer')
    for index, op in enumerate(graph.operators):
        kind = codes[op.opcodeIndex]
        if kind not in ('CONV_2D', 'DEPTHWISE_CONV_2D', 'ADD'):
            continue
        options = op.builtinOptions
        if kind == 'ADD':
            y = real(op.inputs[0]) + real(op.inputs[1])
        else:
            x, w = real(op.inputs[0]), real(op.inputs[1])
            padding = 'SAME' if options.padding == schema.Padding.SAME else 'VALID'
            strides = [1, options.strideH, options.strideW, 1]
            if kind == 'CONV_2D':
                y = tf.nn.conv2d(x, np.transpose(w, (1, 2, 3, 0)), strides, padding).numpy()
            else:
                kernel = np.transpose(w, (1, 2, 3, 0)).reshape(w.shape[1], w.shape[2], -1, 1)
                y = tf.nn.depthwise_conv2d(x, kernel, strides, padding).numpy()
            y = y + real(op.inputs[2])
        if options.fusedActivationFunction == schema.ActivationFunctionType.RELU:
            y = np.maximum(y, 0)
        elif options.fusedActivationFunction == schema.ActivationFunctionType.RELU6:
            y = np.clip(y, 0, 6)
        scale, zero = quant(op.outputs[0])
        exact = np.clip(np.round(y / scale) + zero, 0, 255)
        diff = exact - values[op.outputs[0]].astype(np.float64)
        print(f'  op {index:2d} {kind:17s} differ {np.mean(diff != 0):.4f}  '
              f'XNNPACK higher {np.mean(diff < 0):.4f}  lower {np.mean(diff > 0):.4f}  max |step| {int(np.abs(diff).max())}')


if __name__ == '__main__':
    main()
