// Whole models through sessions at 1 and N threads (wasm backend), interleaved in one process:
//   npx tsx bench/threads-session.ts [MODEL.onnx ...] [--threads N] [--rounds R]
// Prints each model's median and min per thread count and the speedup (1-thread time ÷ N-thread time).
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '../src/node.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args.splice(i, 2)[1]) : def; };
const threads = opt('--threads', 2);
const rounds = opt('--rounds', 15);
const models = args.length ? args : ['spec-models/onnx/large/bench_resnet18_224.onnx'];
for (const path of models) {
  const bytes = new Uint8Array(readFileSync(path));
  const s1 = await InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: 1 });
  const sN = await InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: threads });
  const meta = s1.inputMetadata[0]!;
  const dims = (meta.shape ?? []).map((d) => (typeof d === 'number' ? d : 1));
  const x = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const feeds = { [s1.inputNames[0]!]: new Tensor('float32', x, dims) };
  const out1 = (await s1.run(feeds))[s1.outputNames[0]!]!.data as Float32Array;
  const outN = (await sN.run(feeds))[sN.outputNames[0]!]!.data as Float32Array;
  const same = out1.every((v, i) => Object.is(v, outN[i]));
  const t: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of (r % 2 ? [[1, sN], [0, s1]] : [[0, s1], [1, sN]]) as [number, InferenceSession][]) {
      const t0 = performance.now();
      await s.run(feeds);
      t[i]!.push(performance.now() - t0);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const min = (a: number[]) => Math.min(...a);
  console.log(`${path}: 1 thread ${med(t[0]).toFixed(1)} / ${min(t[0]).toFixed(1)} ms, ${sN.threads} threads ${med(t[1]).toFixed(1)} / ${min(t[1]).toFixed(1)} ms ` +
    `(median / min); speedup ${(med(t[0]) / med(t[1])).toFixed(2)} / ${(min(t[0]) / min(t[1])).toFixed(2)}; bit-identical: ${same}`);
}
process.exit(0);
