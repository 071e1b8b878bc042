// Runs the shipped digits model through the built package's core entry (web-standard APIs only)
// and prints one JSON line. Executed by Node, Deno and Bun from test/portability/runtimes.test.ts.
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor, parseNpy } from '../../dist/src/index.js';

const dir = new URL('../../spec-models/digits/', import.meta.url);
const read = (f) => new Uint8Array(readFileSync(new URL(f, dir)));
const images = parseNpy(read('test_images.npy'));
const labels = parseNpy(read('test_labels.npy')).toNumbers();
const ref = parseNpy(read('test_logits.npy')).data;
const session = await InferenceSession.create(read('digits_cnn_opset17.onnx'));
const { logits } = await session.run({ image: new Tensor('float32', images.data, images.dims) });
let correct = 0;
let maxDiff = 0;
for (let i = 0; i < labels.length; i++) {
  let best = 0;
  for (let k = 0; k < 10; k++) {
    maxDiff = Math.max(maxDiff, Math.abs(logits.data[i * 10 + k] - ref[i * 10 + k]));
    if (logits.data[i * 10 + k] > logits.data[i * 10 + best]) best = k;
  }
  if (best === labels[i]) correct++;
}
console.log(JSON.stringify({ n: labels.length, accuracy: correct / labels.length, maxDiff, dims: logits.dims }));
