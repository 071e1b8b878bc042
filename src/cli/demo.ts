// `tessera demo`: classifies the shipped held-back handwritten digits with the shipped ONNX model,
// then runs the same network from every format it was saved in and shows they agree.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNpy } from '../formats/npy/npy.js';
import { stateDict, torchLoad } from '../formats/pickle/index.js';
import { InferenceSession } from '../api/session.js';
import { Tensor } from '../tensor.js';
import type { Io } from './io.js';

function argmaxRows(logits: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k]! > logits[i * classes + best]!) best = k;
    out.push(best);
  }
  return out;
}

export async function demoCommand(root: string, io: Io): Promise<void> {
  const dir = join(root, 'spec-models', 'digits');
  const bytes = async (f: string) => new Uint8Array(await readFile(join(dir, f)));
  const npy = async (f: string) => parseNpy(await bytes(f), f);
  const images = await npy('test_images.npy');
  const labels = (await npy('test_labels.npy')).toNumbers();
  const reference = (await npy('test_logits.npy')).data as Float32Array;
  const session = await InferenceSession.create(await bytes('digits_cnn_opset17.onnx'));
  const [n, , h, w] = images.dims as [number, number, number, number];
  const pixels = images.data as Float32Array;
  const per = h * w;
  let correct = 0;
  // Warm up once, then time image by image, as a user classifying one digit at a time would.
  await session.run({ image: new Tensor('float32', pixels.slice(0, per), [1, 1, h, w]) });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const image = new Tensor('float32', pixels.slice(i * per, (i + 1) * per), [1, 1, h, w]);
    const logits = (await session.run({ image })).logits!.data as Float32Array;
    if (argmaxRows(logits, 10)[0] === labels[i]) correct++;
  }
  const ms = performance.now() - t0;
  io.out(`tessera demo: digits CNN (spec-models/digits/digits_cnn_opset17.onnx) on ${n} held-back 8x8 digits`);
  io.out(`accuracy: ${((100 * correct) / n).toFixed(2)}% (${correct}/${n})`);
  io.out(`time per image: ${(ms / n).toFixed(3)} ms`);

  // The same network from every format PyTorch saved it in, on the whole batch at once.
  const want = argmaxRows(reference, 10);
  io.out('every format against PyTorch (max |logit - PyTorch logit|, predictions equal to PyTorch\'s):');
  for (const file of ['digits_cnn_opset13.onnx', 'digits_cnn_opset17.onnx', 'digits_cnn_script.pt', 'digits_cnn_trace.pt']) {
    const s = await InferenceSession.create(await bytes(file));
    const out = await s.run({ [s.inputNames[0]!]: new Tensor('float32', pixels, images.dims) });
    const logits = out[s.outputNames[0]!]!.data as Float32Array;
    let maxDiff = 0;
    for (let k = 0; k < reference.length; k++) maxDiff = Math.max(maxDiff, Math.abs(logits[k]! - reference[k]!));
    const same = argmaxRows(logits, 10).filter((p, i) => p === want[i]).length;
    const kind = s.format === 'onnx' ? 'ONNX' : 'TorchScript';
    io.out(`  ${kind.padEnd(12)} ${file.padEnd(26)} ${maxDiff.toExponential(2)}  ${same}/${n}`);
  }
  // torch.save's state dict holds the very weights the TorchScript archive carries.
  const weights = stateDict(torchLoad(await bytes('digits_cnn_state_dict.pt')));
  const scripted = stateDict(torchLoad(await bytes('digits_cnn_script.pt')));
  let equal = 0;
  for (const [k, t] of weights) {
    const u = scripted.get(k);
    if (u && u.type === t.type && u.size === t.size && (t.data as Float32Array).every((v, i) => Object.is(v, (u.data as Float32Array)[i]))) equal++;
  }
  io.out(`  state dict   digits_cnn_state_dict.pt   ${equal}/${weights.size} tensors bit-identical to the TorchScript archive's`);
}
