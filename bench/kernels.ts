// `npx tsx bench/kernels.ts [filter]`: GFLOP/s of the float32 GEMM and conv kernels on the
// shapes of resnet18 and mobilenet_v2: plain, with the constant operand prepacked, and with a
// fused epilogue, in one process; and (filter `winograd`) the 3x3 stride-1 convs as im2col
// against kernels/winograd-f32.ts's variants, GFLOP/s-equivalent of the direct convolution, and
// (filter `winograd-wasm`) the same on the WebAssembly SIMD engine. (The comparison with the kernels before issue 10 is in the
// commit that introduced kernels/gemm-f32.ts; peers are compared in bench/run.ts.)
//
// The machine is shared and noisy, so every variant of a workload is timed in interleaved
// rounds and the best round counts. Time is this process's CPU time (process.cpuUsage),
// which other processes on the machine do not inflate the way they do wall time; set
// BENCH_WALL=1 to time wall-clock instead. BENCH_ROUNDS sets the rounds (default 5).

import type { ConvGeometry } from '../kernels/conv.js';
import { convF32 } from '../kernels/conv.js';
import { convPackedF32, packConvF32 } from '../kernels/conv-f32.js';
import { type GemmEngine, gemmF32, gemmPackedAF32, packGemmA } from '../kernels/gemm-f32.js';
import { wasmSimdGemmEngine } from '../kernels/wasm/engine.js';
import { packWinogradF32, winogradConvF32, winogradPlanFor } from '../kernels/winograd-f32.js';
import { now, values, WALL } from './clock.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const filter = process.argv[2] ?? '';

interface Workload {
  readonly name: string;
  readonly flops: number;
  /** Variant name -> one run. */
  readonly variants: readonly (readonly [string, () => void])[];
}

/** Milliseconds per run: repeats until at least `minMs` have passed. */
function timeOnce(fn: () => void, minMs: number): number {
  let reps = 0;
  const t0 = now();
  let t = t0;
  do {
    fn();
    reps++;
    t = now();
  } while (t - t0 < minMs);
  return (t - t0) / reps;
}

function gemmWorkload(name: string, m: number, k: number, n: number): Workload {
  const a = values(m * k, 1);
  const b = values(k * n, 2);
  const c = new Float32Array(m * n);
  const packed = packGemmA(a, m, k);
  return {
    name: `gemm ${name} M=${m} K=${k} N=${n}`,
    flops: 2 * m * n * k,
    variants: [
      ['new', () => gemmF32(a, {}, b, {}, c, m, n, k)],
      ['new A packed', () => gemmPackedAF32(packed, b, {}, c, n)],
    ],
  };
}

/** A 2-D conv layer on a 1 x c x h x h input: k x k kernel, stride s, "same"-style padding (k - 1) / 2. */
function convWorkload(name: string, c: number, h: number, m: number, k: number, s: number, group = 1): Workload {
  const pad = (k - 1) >> 1;
  const out = Math.floor((h + 2 * pad - k) / s) + 1;
  const g: ConvGeometry = {
    batch: 1, inChannels: c, outChannels: m, group,
    inSize: [h, h], outSize: [out, out], kernel: [k, k],
    strides: [s, s], dilations: [1, 1], padsBegin: [pad, pad],
  };
  const x = values(c * h * h, 3);
  const w = values((m * c / group) * k * k, 4);
  const bias = values(m, 5);
  const y = new Float32Array(m * out * out);
  const packed = packConvF32(w, g);
  const act = { kind: 'relu' } as const;
  return {
    name: `conv ${name} ${c}->${m} k${k} s${s}${group > 1 ? ` g${group}` : ''} @${h}`,
    flops: 2 * m * (c / group) * k * k * out * out,
    variants: [
      ['new', () => convF32(x, w, bias, y, g)],
      ['new W packed', () => convPackedF32(x, packed, y, g, { bias })],
      ['new W packed + relu', () => convPackedF32(x, packed, y, g, { bias, activation: act })],
    ],
  };
}

/**
 * A 3x3 stride-1 pad-1 conv (c -> m on 1 x c x h x h, bias and relu) five ways: im2col GEMM and
 * Winograd F(2x2, 3x3) / F(4x4, 3x3) with the tiles as the GEMM's rows or columns, on the JS
 * kernels or (`engine`) the WebAssembly SIMD engine; the name ends with what winogradPlanFor picks
 * for that engine. GFLOP/s are of the direct convolution (2 m c 9 h^2), so Winograd's read as
 * "equivalent" GFLOP/s.
 */
function winogradWorkload(name: string, c: number, h: number, m: number, engine?: GemmEngine): Workload {
  const g: ConvGeometry = {
    batch: 1, inChannels: c, outChannels: m, group: 1, inSize: [h, h], outSize: [h, h], kernel: [3, 3],
    strides: [1, 1], dilations: [1, 1], padsBegin: [1, 1],
  };
  const x = values(c * h * h, 3);
  const w = values(m * c * 9, 4);
  const bias = values(m, 5);
  const y = new Float32Array(m * h * h);
  const ep = { bias, activation: { kind: 'relu' }, ...(engine ? { engine } : {}) } as const;
  const direct = packConvF32(w, g);
  const variants: [string, () => void][] = [['im2col', () => convPackedF32(x, direct, y, g, ep)]];
  for (const tile of [2, 4] as const) {
    for (const tilesAsRows of [true, false]) {
      const p = packWinogradF32(w, g, { tile, tilesAsRows });
      variants.push([`F(${tile}x${tile}) ${tilesAsRows ? 'rows' : 'cols'}`, () => winogradConvF32(x, p, y, g, ep)]);
    }
  }
  const plan = winogradPlanFor(g, false, engine);
  return {
    name: `winograd${engine ? '-wasm' : ''} ${name} ${c}->${m} @${h} [${plan === null ? 'im2col' : `F${plan.tile} ${plan.tilesAsRows ? 'rows' : 'cols'}`}]`,
    flops: 2 * m * c * 9 * h * h,
    variants,
  };
}

/** winogradWorkload on the WebAssembly SIMD engine, or null where it cannot run. */
function winogradWasmWorkload(name: string, c: number, h: number, m: number): Workload | null {
  const engine = wasmSimdGemmEngine();
  return engine === null ? null : winogradWorkload(name, c, h, m, engine);
}

const wasmWorkloads = (filter.includes('wasm') ? [
  winogradWasmWorkload('resnet18.layer1', 64, 56, 64),
  winogradWasmWorkload('resnet18.layer2', 128, 28, 128),
  winogradWasmWorkload('resnet18.layer3', 256, 14, 256),
  winogradWasmWorkload('resnet18.layer4', 512, 7, 512),
  winogradWasmWorkload('resnet18@96.layer1', 64, 24, 64),
  winogradWasmWorkload('resnet18@96.layer2', 128, 12, 128),
  winogradWasmWorkload('resnet18@96.layer3', 256, 6, 256),
  winogradWasmWorkload('resnet18@96.layer4', 512, 3, 512),
  winogradWasmWorkload('small', 16, 56, 16),
  winogradWasmWorkload('small', 64, 4, 64),
  winogradWasmWorkload('small', 64, 2, 64),
] : []).filter((w) => w !== null);

const workloads: Workload[] = [
  ...wasmWorkloads,
  gemmWorkload('square', 256, 256, 256),
  gemmWorkload('square', 512, 512, 512),
  gemmWorkload('square', 1024, 1024, 1024),
  // resnet18 conv GEMM shapes at 1x3x224x224 (M = Cout, K = Cin*kh*kw, N = H*W)
  gemmWorkload('resnet18.conv1', 64, 147, 12544),
  gemmWorkload('resnet18.layer1', 64, 576, 3136),
  gemmWorkload('resnet18.layer2', 128, 1152, 784),
  gemmWorkload('resnet18.layer3', 256, 2304, 196),
  gemmWorkload('resnet18.layer4', 512, 4608, 49),
  // mobilenet_v2 pointwise GEMM shapes
  gemmWorkload('mobilenet_v2.pw', 96, 16, 12544),
  gemmWorkload('mobilenet_v2.pw', 24, 144, 3136),
  gemmWorkload('mobilenet_v2.pw', 1280, 320, 49),
  convWorkload('resnet18.conv1', 3, 224, 64, 7, 2),
  convWorkload('resnet18.layer1', 64, 56, 64, 3, 1),
  convWorkload('resnet18.layer2.0', 64, 56, 128, 3, 2),
  convWorkload('resnet18.layer2', 128, 28, 128, 3, 1),
  convWorkload('resnet18.layer2.down', 64, 56, 128, 1, 2),
  convWorkload('resnet18.layer3', 256, 14, 256, 3, 1),
  convWorkload('resnet18.layer4', 512, 7, 512, 3, 1),
  convWorkload('mobilenet_v2.stem', 3, 224, 32, 3, 2),
  convWorkload('mobilenet_v2.pw', 16, 112, 96, 1, 1),
  convWorkload('mobilenet_v2.pw', 144, 56, 24, 1, 1),
  convWorkload('mobilenet_v2.pw', 960, 7, 160, 1, 1),
  convWorkload('mobilenet_v2.dw', 32, 112, 32, 3, 1, 32),
  convWorkload('mobilenet_v2.dw', 96, 112, 96, 3, 2, 96),
  convWorkload('mobilenet_v2.dw', 144, 56, 144, 3, 1, 144),
  convWorkload('efficientnet_b0.dw', 144, 56, 144, 5, 2, 144),
  convWorkload('efficientnet_b0.dw', 672, 14, 672, 5, 1, 672),
  // The 3x3 stride-1 convs of resnet18 at 224 and 96, and small channel counts / images.
  winogradWorkload('resnet18.layer1', 64, 56, 64),
  winogradWorkload('resnet18.layer2', 128, 28, 128),
  winogradWorkload('resnet18.layer3', 256, 14, 256),
  winogradWorkload('resnet18.layer4', 512, 7, 512),
  winogradWorkload('resnet18@96.layer1', 64, 24, 64),
  winogradWorkload('resnet18@96.layer2', 128, 12, 128),
  winogradWorkload('resnet18@96.layer3', 256, 6, 256),
  winogradWorkload('resnet18@96.layer4', 512, 3, 512),
  winogradWorkload('small', 3, 56, 16),
  winogradWorkload('small', 8, 56, 8),
  winogradWorkload('small', 16, 56, 16),
  winogradWorkload('small', 32, 28, 32),
  winogradWorkload('small', 64, 4, 64),
  winogradWorkload('small', 1, 28, 8),
  winogradWorkload('small', 3, 224, 64),
  winogradWorkload('small', 64, 2, 64),
  winogradWorkload('small', 512, 1, 512),
  winogradWorkload('small', 256, 5, 256),
  winogradWorkload('small', 4, 8, 4),
  winogradWorkload('small', 2, 3, 2),
].filter((w) => w.name.includes(filter));

console.log(`float32 kernels, GFLOP/s by ${WALL ? 'wall' : 'CPU'} time, best of ${ROUNDS} interleaved rounds`);
for (const w of workloads) {
  const best = w.variants.map(() => Infinity);
  const budget = Math.min(300, Math.max(60, w.flops / 2e6)); // ms per timing
  for (const [, fn] of w.variants) fn(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order each round so neither variant always runs first.
    const order = w.variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) best[i] = Math.min(best[i]!, timeOnce(w.variants[i]![1], budget));
  }
  const gflops = best.map((ms) => w.flops / ms / 1e6);
  const cells = w.variants.map(([name], i) => `${name} ${gflops[i]!.toFixed(2)}`);
  console.log(`${w.name.padEnd(60)} ${cells.join('  ')}`);
}
