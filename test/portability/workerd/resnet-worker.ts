// A Cloudflare worker that runs resnet18 (1x3x96x96, spec-models/onnx/large) on whatever path
// workerd allows: the wasm engine from the build's precompiled modules. POST the input as raw
// float32 bytes; the answer is the logits and the backend that ran them.

import gemm from 'gemm.wasm';
import gemmFma from 'gemm-fma.wasm';
import conv from 'conv.wasm';
import convFma from 'conv-fma.wasm';
import winograd from 'winograd.wasm';
import model from 'resnet18.onnx';
import { InferenceSession, Tensor, registerPrecompiledModules } from '../../../src/index.js';

declare const WASM_KEYS: Record<string, { key: string }>;
const modules = { gemm, 'gemm-fma': gemmFma, conv, 'conv-fma': convFma, winograd };
registerPrecompiledModules(Object.fromEntries(Object.entries(modules).map(([name, module]) => [name, { module, key: WASM_KEYS[name]!.key }])));

let session: Promise<InferenceSession> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/health') return new Response('ok');
    session ??= InferenceSession.create(new Uint8Array(model));
    const s = await session;
    const x = new Float32Array(await request.arrayBuffer());
    const out = await s.run({ [s.inputNames[0]!]: new Tensor('float32', x, [1, 3, 96, 96]) });
    const y = out[s.outputNames[0]!]!;
    return Response.json({ backend: s.backend, dims: y.dims, logits: Array.from(y.data as Float32Array) });
  },
};
