// A Cloudflare worker that runs the digits model with tessera's core entry. workerd refuses code
// generation from strings, so this also proves the core needs no eval / new Function.
// Bundled by test/portability/workerd.test.ts; the model and data arrive as data modules.

import model from 'digits_cnn_opset17.onnx';
import imagesNpy from 'test_images.npy';
import labelsNpy from 'test_labels.npy';
import logitsNpy from 'test_logits.npy';
import { InferenceSession, Tensor, parseNpy } from '../../../src/index.js';

export default {
  async fetch(): Promise<Response> {
    const images = parseNpy(new Uint8Array(imagesNpy));
    const labels = parseNpy(new Uint8Array(labelsNpy)).toNumbers();
    const ref = parseNpy(new Uint8Array(logitsNpy)).data as Float32Array;
    const session = await InferenceSession.create(new Uint8Array(model));
    const { logits } = await session.run({ image: new Tensor('float32', images.data, images.dims) });
    const got = logits!.data as Float32Array;
    let maxDiff = 0;
    let correct = 0;
    for (let i = 0; i < labels.length; i++) {
      let best = 0;
      for (let k = 0; k < 10; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i * 10 + k]! - ref[i * 10 + k]!));
        if (got[i * 10 + k]! > got[i * 10 + best]!) best = k;
      }
      if (best === labels[i]) correct++;
    }
    // workerd has no Worker: a worker session must be refused with a typed error saying so.
    const workerMode = await InferenceSession.create(new Uint8Array(model), { worker: true })
      .then(() => 'created', (e: Error & { code?: string }) => `${e.name} ${e.code}: ${e.message}`);
    return Response.json({ n: labels.length, accuracy: correct / labels.length, maxDiff, dims: logits!.dims, workerMode });
  },
};
