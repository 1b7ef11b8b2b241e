"""TensorFlow Lite's own kernel sets on the tflite-reference inputs, written for test/tflite-kernels.test.ts.

../shared/models/tflite-reference/tflite-reference.json holds one TFLite build's answers (tensorflow 2.21's
tf.lite.Interpreter, XNNPACK). This runs the same tensorflow on the same inputs with each of its three kernel sets:
  AUTO                               XNNPACK, the default (what made tflite-reference.json)
  BUILTIN_WITHOUT_DEFAULT_DELEGATES  TFLite's optimized builtin kernels, no XNNPACK
  BUILTIN_REF                        TFLite's reference kernels, the plain implementation of the spec
and stores each model's raw uint8 softmax output per input (base64) with its quantization, so the Node test can
say how far TFLite's kernels are from each other, and where breedbot's importer sits among them.

Needs Python 3.11 and tensorflow-cpu 2.21 (no Node.js); breedbot itself never runs it:
  python3 -m venv .tmp/tfvenv && .tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0
  .tmp/tfvenv/bin/python scripts/tflite-kernels.py [--out test/fixtures/tflite-2.21-kernels.json]
(offline, where pip has a local package index, add --index-url file:///path/to/that/index).
"""
import argparse
import base64
import json
import os

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, '..', '..', 'shared', 'models'))
MODELS = {
    'mobilenet_edgetpu_224_1.0': 'mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite',
    'mobilenet_v2_1.0_224_quant': 'mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite',
}
KERNELS = ['AUTO', 'BUILTIN_WITHOUT_DEFAULT_DELEGATES', 'BUILTIN_REF']


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', 'test', 'fixtures', 'tflite-2.21-kernels.json'))
    args = parser.parse_args()
    reference_dir = os.path.join(SHARED, 'tflite-reference')
    photos = sorted(f for f in os.listdir(reference_dir) if f.endswith('.rgb'))
    report = {'tensorflow': tf.__version__, 'kernels': KERNELS, 'models': {}}
    for model_id, file in MODELS.items():
        entry = {}
        for kernel in KERNELS:
            interpreter = tf.lite.Interpreter(
                model_path=os.path.join(SHARED, file),
                experimental_op_resolver_type=getattr(tf.lite.experimental.OpResolverType, kernel),
            )
            interpreter.allocate_tensors()
            source = interpreter.get_input_details()[0]
            sink = interpreter.get_output_details()[0]
            outputs = {}
            for photo in photos:
                pixels = np.fromfile(os.path.join(reference_dir, photo), dtype=np.uint8).reshape(1, 224, 224, 3)
                interpreter.set_tensor(source['index'], pixels)
                interpreter.invoke()
                raw = interpreter.get_tensor(sink['index'])[0].astype(np.uint8)
                outputs[photo] = base64.b64encode(raw.tobytes()).decode('ascii')
            scale, zero_point = sink['quantization']
            entry[kernel] = {'scale': float(scale), 'zeroPoint': int(zero_point), 'outputs': outputs}
        report['models'][model_id] = entry
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(args.out))


if __name__ == '__main__':
    main()
