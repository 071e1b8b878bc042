// `npx tsx bench/gemm-simd.ts [filter]`: GFLOP/s of float32 matrix products through the JS GEMM
// (kernels/gemm-f32.ts), the WebAssembly SIMD GEMM (kernels/wasm/gemm-simd.ts) and
// onnxruntime-web's MatMul (wasm, one thread), in one process, interleaved round by round
// (best of BENCH_ROUNDS rounds, default 5; CPU time, or wall time with BENCH_WALL=1).
// Every variant reads its operands from JS Float32Arrays and writes a JS Float32Array, so the
// wasm variants both pay to copy in and out. Run with
// `node --experimental-wasm-relaxed-simd --import tsx bench/gemm-simd.ts` to use relaxed fma on
// Node 20 (where relaxed-simd is behind that flag).

import { gemmF32 } from '../kernels/gemm-f32.js';
import { gemmSimdF32, relaxedSimdAvailable, simdAvailable } from '../kernels/wasm/engine.js';
import { writeModel } from '../test/helpers/onnx-writer.js';
import { now, values, WALL } from './clock.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const filter = process.argv[2] ?? '';

/** Milliseconds per run: repeats until at least `minMs` have passed. */
async function timeOnce(fn: () => unknown, minMs: number): Promise<number> {
  let reps = 0;
  const t0 = now();
  let t = t0;
  do {
    await fn();
    reps++;
    t = now();
  } while (t - t0 < minMs);
  return (t - t0) / reps;
}

type Ort = typeof import('onnxruntime-web');
let ort: Ort | null = null;
try {
  ort = await import('onnxruntime-web');
  const wasm = ort.env.wasm as { numThreads?: number; proxy?: boolean };
  wasm.numThreads = 1;
  wasm.proxy = false;
} catch (e) {
  console.log(`(onnxruntime-web unavailable: ${(e as Error).message.split('\n')[0]})`);
}

async function ortMatmul(m: number, k: number, n: number, a: Float32Array, b: Float32Array): Promise<(() => Promise<unknown>) | null> {
  if (ort === null) return null;
  const o = ort;
  const model = writeModel({
    opsets: [['', 13]],
    graph: {
      nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
      inputs: [{ name: 'a', elemType: 1, shape: [m, k] }, { name: 'b', elemType: 1, shape: [k, n] }],
      outputs: [{ name: 'c', elemType: 1, shape: [m, n] }],
    },
  });
  const s = await o.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const feeds = { a: new o.Tensor('float32', a, [m, k]), b: new o.Tensor('float32', b, [k, n]) };
  return async () => (await s.run(feeds)).c!.data;
}

const shapes: [string, number, number, number][] = [
  ['matmul256', 256, 256, 256],
  ['matmul512', 512, 512, 512],
  ['matmul1024', 1024, 1024, 1024],
  // resnet18 conv GEMM shapes at 224 (M = Cout, K = Cin*kh*kw, N = H*W)
  ['resnet18.layer1', 64, 576, 3136],
  ['resnet18.layer3', 256, 2304, 196],
  ['mobilenet_v2.pw', 24, 144, 3136],
];

console.log(`float32 GEMM, GFLOP/s by ${WALL ? 'wall' : 'CPU'} time, best of ${ROUNDS} interleaved rounds`);
console.log(`wasm SIMD: ${simdAvailable() ? 'available' : 'unavailable'}, relaxed fma: ${relaxedSimdAvailable() ? 'yes' : 'no'}`);
for (const [name, m, k, n] of shapes.filter((s) => s[0].includes(filter))) {
  const a = values(m * k, 1), b = values(k * n, 2);
  const c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const variants: [string, () => unknown][] = [['js', () => gemmF32(a, {}, b, {}, c, m, n, k)]];
  if (simdAvailable()) variants.push(['wasm-simd', () => gemmSimdF32(a, {}, b, {}, c, m, n, k)]);
  const ortRun = await ortMatmul(m, k, n, a, b);
  if (ortRun) variants.push(['ort-web', ortRun]);
  for (const [, fn] of variants) await fn(); // warm-up
  const best = variants.map(() => Infinity);
  const budget = Math.min(300, Math.max(60, flops / 2e6));
  for (let r = 0; r < ROUNDS; r++) {
    const order = variants.map((_, i) => (i + r) % variants.length); // rotate who goes first
    for (const i of order) best[i] = Math.min(best[i]!, await timeOnce(variants[i]![1], budget));
  }
  const g = best.map((ms) => flops / ms / 1e6);
  const ortIdx = variants.findIndex((v) => v[0] === 'ort-web');
  const cells = variants.map(([v], i) => `${v} ${g[i]!.toFixed(2)}`);
  const ratio = ortIdx >= 0 && simdAvailable() ? `  wasm-simd/ort-web ${(g[1]! / g[ortIdx]!).toFixed(2)}x` : '';
  console.log(`${`${name} M=${m} K=${k} N=${n}`.padEnd(40)} ${cells.join('  ')}${ratio}`);
}
