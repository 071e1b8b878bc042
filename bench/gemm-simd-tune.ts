// `npx tsx bench/gemm-simd-tune.ts [shape...]`: GFLOP/s of the WebAssembly SIMD GEMM
// (kernels/wasm/gemm-simd.ts) for register tiles and cache blocks, interleaved in one
// process (best of BENCH_ROUNDS rounds, CPU time), to choose defaultGemmSimdConfig.
// Run under `node --experimental-wasm-relaxed-simd --import tsx` to include the fma variants on Node 20.
// Shapes: `MxKxN`, default 512x512x512 and two resnet18 conv shapes. TUNE=tile|block selects the sweep.

import { defaultGemmSimdConfig, gemmSimdF32With, relaxedSimdAvailable, type GemmSimdConfig } from '../kernels/wasm/gemm-simd.js';
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

const base = defaultGemmSimdConfig();
const fmas = relaxedSimdAvailable() ? [false, true] : [false];
const configs: GemmSimdConfig[] = [];
if ((process.env.TUNE ?? 'tile') === 'tile') {
  for (const fma of fmas) {
    for (const [mr, nr] of [[4, 8], [3, 8], [5, 8], [6, 8], [8, 8], [3, 12], [4, 12], [2, 16], [3, 16], [4, 16]] as const) {
      configs.push({ ...base, mr, nr, fma, mc: Math.ceil(base.mc / mr) * mr });
    }
  }
} else {
  for (const fma of fmas) {
    for (const kc of [128, 256, 512]) {
      for (const mc of [64, 128, 256]) {
        for (const nc of [256, 1024, 4096]) configs.push({ ...base, fma, kc, mc: Math.ceil(mc / base.mr) * base.mr, nc });
      }
    }
  }
}

const shapes = (process.argv.slice(2).length ? process.argv.slice(2) : ['512x512x512', '64x576x3136', '256x2304x196'])
  .map((s) => s.split('x').map(Number) as [number, number, number]);
for (const [m, k, n] of shapes) {
  const a = values(m * k, 1), b = values(k * n, 2), c = new Float32Array(m * n);
  const flops = 2 * m * n * k;
  const runs = configs.map((cfg) => () => gemmSimdF32With(cfg, a, {}, b, {}, c, m, n, k));
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
    console.log(`  ${g.toFixed(2).padStart(6)}  ${cfg.mr}x${cfg.nr} ${cfg.fma ? 'fma' : 'mul+add'} mc${cfg.mc} kc${cfg.kc} nc${cfg.nc}`);
  }
}
