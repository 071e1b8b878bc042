// A Cloudflare Worker that serves the digits model over the Open Inference Protocol (KServe v2 REST):
//   GET  /v2/health/live, /v2/health/ready, /v2, /v2/models/digits_cnn_opset17[/ready]
//   POST /v2/models/digits_cnn_opset17/infer   (JSON tensors or the binary tensor data extension)
// The model and the wasm engine's modules are embedded in the worker as modules (build.mjs puts
// them beside the bundle; wrangler.toml and config.capnp declare them): workerd refuses to compile
// WebAssembly bytes at run time, so the engine takes the modules workerd compiled at load.

import { InferenceSession, createInferenceServer, registerPrecompiledModules, type InferenceServer } from 'tessera';
import model from './digits_cnn_opset17.onnx';
import gemm from './wasm/gemm.wasm';
import gemmFma from './wasm/gemm-fma.wasm';
import conv from './wasm/conv.wasm';
import convFma from './wasm/conv-fma.wasm';
import winograd from './wasm/winograd.wasm';

// The key of each module's bytes (tessera's dist/wasm/modules.json), put in by build.mjs: the
// engine uses a module only if it was built from the same bytes as the engine's own.
declare const TESSERA_WASM_KEYS: Record<string, { key: string }>;
const modules = { gemm, 'gemm-fma': gemmFma, conv, 'conv-fma': convFma, winograd };
registerPrecompiledModules(Object.fromEntries(Object.entries(modules).map(([name, module]) => [name, { module, key: TESSERA_WASM_KEYS[name]!.key }])));

// Made on the first request: a worker may not start asynchronous work at global scope. An isolate
// keeps it (and the loaded session) for the requests that follow.
let server: InferenceServer | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    server ??= createInferenceServer({
      models: [{ name: 'digits_cnn_opset17', version: '1', load: () => InferenceSession.create(new Uint8Array(model)) }],
      maxBodyBytes: 8 << 20,
      timeoutMs: 20_000,
    });
    // An isolate starts cold on some request: an inference waits for the model to load rather than
    // get the protocol's 503 "still loading" (health and metadata answer at once, as they should).
    if (request.method === 'POST') await server.ready();
    return server.handle(request);
  },
};
