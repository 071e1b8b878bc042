// A Cloudflare worker that runs the digits model with tessera's core entry. workerd refuses code
// generation from strings, so this also proves the core needs no eval / new Function.
// Bundled by test/portability/workerd.test.ts; the model and data arrive as data modules.

import model from 'digits_cnn_opset17.onnx';
import imagesNpy from 'test_images.npy';
import labelsNpy from 'test_labels.npy';
import logitsNpy from 'test_logits.npy';
import gemm from 'gemm.wasm';
import gemmFma from 'gemm-fma.wasm';
import conv from 'conv.wasm';
import convFma from 'conv-fma.wasm';
import winograd from 'winograd.wasm';
import { InferenceSession, Tensor, parseNpy, registerPrecompiledModules } from '../../../src/index.js';

// workerd refuses to compile bytes at run time: the wasm engine's modules come from the build
// (dist/wasm), compiled by workerd's loader, each checked against the key of the bytes it stands for.
// dist/wasm/modules.json, put in by the bundler (workerd.test.ts).
declare const WASM_KEYS: Record<string, { key: string }>;
const modules = { gemm, 'gemm-fma': gemmFma, conv, 'conv-fma': convFma, winograd };
registerPrecompiledModules(Object.fromEntries(Object.entries(modules).map(([name, module]) => [name, { module, key: WASM_KEYS[name]!.key }])));

export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return new Response('ok');
    const images = parseNpy(new Uint8Array(imagesNpy));
    const labels = parseNpy(new Uint8Array(labelsNpy)).toNumbers();
    const ref = parseNpy(new Uint8Array(logitsNpy)).data as Float32Array;
    const session = await InferenceSession.create(new Uint8Array(model));
    // The JS kernels must give the same answer here too.
    const cpu = await InferenceSession.create(new Uint8Array(model), { executionProviders: ['cpu'] });
    const cpuOut = (await cpu.run({ image: new Tensor('float32', images.data, images.dims) })).logits!.data as Float32Array;
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
    let cpuDiff = 0;
    for (let i = 0; i < ref.length; i++) cpuDiff = Math.max(cpuDiff, Math.abs(cpuOut[i]! - ref[i]!));
    // workerd has no Worker: a worker session must be refused with a typed error saying so.
    const workerMode = await InferenceSession.create(new Uint8Array(model), { worker: true })
      .then(() => 'created', (e: Error & { code?: string }) => `${e.name} ${e.code}: ${e.message}`);
    // No gpu.js and no WebGL here: 'webgl' alone is refused with a typed error, and skipped before 'cpu'.
    const webglMode = await InferenceSession.create(new Uint8Array(model), { executionProviders: ['webgl'] })
      .then(() => 'created', (e: Error & { code?: string }) => `${e.name} ${e.code}: ${e.message}`);
    const webglFallback = (await InferenceSession.create(new Uint8Array(model), { executionProviders: ['webgl', 'cpu'] })).backend;
    return Response.json({
      n: labels.length, accuracy: correct / labels.length, maxDiff, cpuDiff, dims: logits!.dims, workerMode, backend: session.backend, cpuBackend: cpu.backend,
      webglMode, webglFallback,
    });
  },
};
