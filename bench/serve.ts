// Dynamic batching's worth, in one process: 200 concurrent JSON inference requests (one digit image
// each) through createInferenceServer's handler, no HTTP, with maxBatch 1 (every request its own
// run) and maxBatch 32, in interleaved rounds; prints requests/s of each, their ratio, and the mean
// requests per run.
//
//   npx tsx bench/serve.ts [--rounds 8] [--worker]

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession } from '../src/node.js';
import { createInferenceServer, type InferenceServer } from '../src/serve/handler.js';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 8) || 8;
const worker = args.includes('--worker');
const model = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'spec-models/digits/digits_cnn_opset17.onnx');
const bytes = new Uint8Array(readFileSync(model));
const images = Array.from({ length: 200 }, (_, i) => Array.from({ length: 64 }, (_, k) => ((i * 7 + k) % 17) / 16));

async function server(maxBatch: number): Promise<InferenceServer> {
  const s = createInferenceServer({
    models: [{ name: 'digits', load: () => (worker ? InferenceSession.create(model, { worker: true }) : InferenceSession.create(bytes)) }],
    maxBatch,
  });
  await s.ready();
  return s;
}

async function round(s: InferenceServer): Promise<number> {
  const t0 = performance.now();
  await Promise.all(images.map(async (data) => {
    const r = await s.handle(new Request('http://bench/v2/models/digits/infer', {
      method: 'POST', body: JSON.stringify({ inputs: [{ name: 'image', shape: [1, 1, 8, 8], datatype: 'FP32', data }] }),
    }));
    if (r.status !== 200) throw new Error(`status ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
  }));
  return images.length / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const single = await server(1);
const batched = await server(32);
await round(single);
await round(batched); // warm-up
const rates: { single: number[]; batched: number[] } = { single: [], batched: [] };
for (let i = 0; i < rounds; i++) {
  // Interleaved, each round starting with the other one.
  for (const which of i % 2 === 0 ? ['single', 'batched'] as const : ['batched', 'single'] as const) {
    rates[which].push(await round(which === 'single' ? single : batched));
  }
}
const perRun = (s: InferenceServer): string => {
  const text = s.metrics();
  const sum = Number(/tessera_batch_size_sum\{model="digits"\} (\d+)/.exec(text)?.[1]);
  const count = Number(/tessera_batch_size_count\{model="digits"\} (\d+)/.exec(text)?.[1]);
  return (sum / count).toFixed(1);
};
console.log(`sessions ${worker ? 'in workers' : 'on the main thread'}, 200 concurrent requests x ${rounds} rounds`);
console.log(`maxBatch 1:  median ${median(rates.single).toFixed(0)} req/s (requests per run ${perRun(single)})`);
console.log(`maxBatch 32: median ${median(rates.batched).toFixed(0)} req/s (requests per run ${perRun(batched)})`);
console.log(`ratio batched / single: ${(median(rates.batched) / median(rates.single)).toFixed(2)}x`);
await single.close();
await batched.close();
