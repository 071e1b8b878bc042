// `tessera demo`: classifies the shipped held-back handwritten digits with the shipped ONNX model.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNpy } from '../formats/npy/npy.js';
import { InferenceSession } from '../runtime/session.js';
import { Tensor } from '../tensor.js';
import type { Io } from './main.js';

export async function demoCommand(root: string, io: Io): Promise<void> {
  const dir = join(root, 'spec-models', 'digits');
  const load = async (f: string) => parseNpy(new Uint8Array(await readFile(join(dir, f))), f);
  const images = await load('test_images.npy');
  const labels = (await load('test_labels.npy')).toNumbers();
  const reference = (await load('test_logits.npy')).data as Float32Array;
  const session = await InferenceSession.create(new Uint8Array(await readFile(join(dir, 'digits_cnn_opset17.onnx'))));
  const [n, , h, w] = images.dims as [number, number, number, number];
  const pixels = images.data as Float32Array;
  const per = h * w;
  let correct = 0;
  let maxDiff = 0;
  // Warm up once, then time image by image, as a user classifying one digit at a time would.
  await session.run({ image: new Tensor('float32', pixels.slice(0, per), [1, 1, h, w]) });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const image = new Tensor('float32', pixels.slice(i * per, (i + 1) * per), [1, 1, h, w]);
    const logits = (await session.run({ image })).logits!.data as Float32Array;
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
    if (best === labels[i]) correct++;
    for (let k = 0; k < logits.length; k++) maxDiff = Math.max(maxDiff, Math.abs(logits[k]! - reference[i * 10 + k]!));
  }
  const ms = performance.now() - t0;
  io.out(`tessera demo: digits CNN (spec-models/digits/digits_cnn_opset17.onnx) on ${n} held-back 8x8 digits`);
  io.out(`accuracy: ${((100 * correct) / n).toFixed(2)}% (${correct}/${n})`);
  io.out(`time per image: ${(ms / n).toFixed(3)} ms`);
  io.out(`max |logit - PyTorch logit|: ${maxDiff.toExponential(2)}`);
}
