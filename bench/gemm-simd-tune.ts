// `npx tsx bench/gemm-simd-tune.ts [shape...]`: GFLOP/s of the WebAssembly SIMD GEMM engine
// (kernels/wasm/engine.ts) for its cache blocks (rows per block call, columns per block) and
// arithmetic (mul+add or relaxed fma), interleaved in one process (best of BENCH_ROUNDS rounds,
// CPU time), to choose defaultGemmSimdConfig. The register tile is fixed at 4x8 by the panel
// layout every source packs (see kernels/wasm/gemm-simd.ts for the tile measurements).
// Run under `node --experimental-wasm-relaxed-simd --import tsx` to include fma on Node 20.
// Shapes: `MxKxN`, default 512x512x512 and two resnet18 conv shapes.

import { createWasmSimdGemmEngine, gemmSimdF32, relaxedSimdAvailable, type WasmSimdGemmEngine } from '../kernels/wasm/engine.js';
import { now as cpuNow, values } from './clock.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const now = (): number => cpuNow(false);

function timeOnce(fn: () => void, minMs: number): number {
  let reps = 0;
  const t0 = now();
  let t = t0;
  do { fn(); reps++; t = now(); } while (t - t0 < minMs);
  return (t - t0) / reps;
}

const fmas = relaxedSimdAvailable() ? [false, true] : [false];
const configs: { fma: boolean; mc: number; nc: number; engine: WasmSimdGemmEngine }[] = [];
for (const fma of fmas) {
  for (const mc of [64, 128, 256]) {
    for (const nc of [256, 1024, 4096]) {
      const engine = createWasmSimdGemmEngine({ fma, mc, nc });
      if (engine !== null) configs.push({ fma, mc, nc, engine });
    }
  }
}

const shapes = (process.argv.slice(2).length ? process.argv.slice(2) : ['512x512x512', '64x576x3136', '256x2304x196'])
  .map((s) => s.split('x').map(Number) as [number, number, number]);
for (const [m, k, n] of shapes) {
  const a = values(m * k, 1), b = values(k * n, 2), c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const runs = configs.map((cfg) => () => gemmSimdF32(a, {}, b, {}, c, m, n, k, {}, cfg.engine));
  for (const r of runs) r();
  const best = configs.map(() => Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    const order = configs.map((_, i) => i);
    if (round % 2) order.reverse();
    for (const i of order) best[i] = Math.min(best[i]!, timeOnce(runs[i]!, 80));
  }
  console.log(`M=${m} K=${k} N=${n}`);
  const rows = configs.map((cfg, i) => [flops / best[i]! / 1e6, cfg] as const).sort((x, y) => y[0] - x[0]);
  for (const [g, cfg] of rows) {
    console.log(`  ${g.toFixed(2).padStart(6)}  ${cfg.fma ? 'fma' : 'mul+add'} mc${cfg.mc} nc${cfg.nc}`);
  }
}
