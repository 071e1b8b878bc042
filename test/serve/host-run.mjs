// Serves the digits model over the Open Inference Protocol with the built package's Deno or Bun
// host (serveWithDeno / serveWithBun), on a free loopback port. Prints one JSON line with the port
// once listening, and another when a SIGTERM has shut it down gracefully; then exits on its own.
// Started by test/serve/deno-bun-serve.test.ts.
import { readFileSync } from 'node:fs';
import { InferenceSession, createInferenceServer, serveWithBun, serveWithDeno } from '../../dist/src/index.js';

const runtime = typeof globalThis.Deno !== 'undefined' ? 'deno' : typeof globalThis.Bun !== 'undefined' ? 'bun' : 'other';
const model = new Uint8Array(readFileSync(new URL('../../spec-models/digits/digits_cnn_opset17.onnx', import.meta.url)));
const server = createInferenceServer({
  models: [{ name: 'digits_cnn_opset17', load: () => InferenceSession.create(model) }],
  maxBodyBytes: 1 << 20,
  // Long enough for the test to see concurrent requests merged, and in flight when it sends SIGTERM.
  batchDelayMs: 500,
});
const serve = runtime === 'deno' ? serveWithDeno : serveWithBun;
const host = await serve(server, { port: 0, hostname: '127.0.0.1' });
console.log(JSON.stringify({ runtime, port: host.port }));
await host.finished;
console.log(JSON.stringify({ runtime, shutdown: true }));
