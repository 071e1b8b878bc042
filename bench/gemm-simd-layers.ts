// `npx tsx bench/gemm-simd-layers.ts [filter]`: the conv layers of resnet18, mobilenet_v2 and
// efficientnet_b0 (at 96 and 224) through tessera's kernels on the JS engine and on the
// WebAssembly SIMD engine (kernels/wasm/engine.ts), beside onnxruntime-web (wasm, one thread)
// running the same layer as a one-node model, in one process, interleaved round by round (best
// of BENCH_ROUNDS rounds, default 5; CPU time, or wall time with BENCH_WALL=1). Prints GFLOP/s
// (of the direct convolution) and the ratios wasm/js and wasm/ort-web (above 1: tessera faster).
//
// Every layer has a bias and a fused relu (ort-web fuses Conv + Relu the same way). The tessera
// variants run the kernel the Conv op picks (Winograd where winogradPlanFor says so for their
// engine, else im2col or depthwise), with W packed once as a session would; `wasm im2col` is the wasm engine without
// Winograd, for the 3x3 stride-1 layers. Run with `node --experimental-wasm-relaxed-simd --import
// tsx` for relaxed fma on Node 20.

import type { ConvGeometry } from '../kernels/conv.js';
import { type ConvEpilogueF32, convPackedF32, packConvF32 } from '../kernels/conv-f32.js';
import type { GemmEngine } from '../kernels/gemm-f32.js';
import { relaxedSimdAvailable, wasmSimdGemmEngine } from '../kernels/wasm/engine.js';
import { packWinogradF32, winogradConvF32, winogradPlanFor } from '../kernels/winograd-f32.js';
import { f32raw, writeModel } from '../test/helpers/onnx-writer.js';
import { now, values, WALL } from './clock.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const filter = process.argv[2] ?? '';

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

interface Layer {
  readonly name: string;
  readonly g: ConvGeometry;
}

/** A 2-D conv on 1 x c x h x h: k x k kernel, stride s, padding (k - 1) / 2, `group` groups. */
function layer(name: string, c: number, h: number, m: number, k: number, s = 1, group = 1): Layer {
  const pad = (k - 1) >> 1;
  const out = Math.floor((h + 2 * pad - k) / s) + 1;
  return {
    name: `${name} ${c}->${m} k${k}${s > 1 ? ` s${s}` : ''}${group > 1 ? ` dw` : ''} @${h}`,
    g: {
      batch: 1, inChannels: c, outChannels: m, group, inSize: [h, h], outSize: [out, out], kernel: [k, k],
      strides: [s, s], dilations: [1, 1], padsBegin: [pad, pad],
    },
  };
}

/** The layers of each net at input size `size` (224 or 96; spatial sizes scale with it). */
function layers(size: number): Layer[] {
  const q = (h: number) => Math.round((h * size) / 224);
  const at = `@${size}`;
  return [
    layer(`resnet18${at} conv1`, 3, q(224), 64, 7, 2),
    layer(`resnet18${at} layer1`, 64, q(56), 64, 3),
    layer(`resnet18${at} layer2.0`, 64, q(56), 128, 3, 2),
    layer(`resnet18${at} layer2.down`, 64, q(56), 128, 1, 2),
    layer(`resnet18${at} layer2`, 128, q(28), 128, 3),
    layer(`resnet18${at} layer3`, 256, q(14), 256, 3),
    layer(`resnet18${at} layer4`, 512, q(7), 512, 3),
    layer(`mobilenet_v2${at} stem`, 3, q(224), 32, 3, 2),
    layer(`mobilenet_v2${at} dw`, 32, q(112), 32, 3, 1, 32),
    layer(`mobilenet_v2${at} pw`, 16, q(112), 96, 1),
    layer(`mobilenet_v2${at} dw`, 96, q(112), 96, 3, 2, 96),
    layer(`mobilenet_v2${at} pw`, 144, q(56), 24, 1),
    layer(`mobilenet_v2${at} dw`, 144, q(56), 144, 3, 1, 144),
    layer(`mobilenet_v2${at} dw`, 384, q(14), 384, 3, 1, 384),
    layer(`mobilenet_v2${at} pw`, 960, q(7), 160, 1),
    layer(`mobilenet_v2${at} dw`, 960, q(7), 960, 3, 1, 960),
    layer(`mobilenet_v2${at} pw`, 320, q(7), 1280, 1),
    layer(`efficientnet_b0${at} dw`, 144, q(56), 144, 5, 2, 144),
    layer(`efficientnet_b0${at} dw`, 672, q(14), 672, 5, 1, 672),
  ];
}

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

/** The tessera kernel the Conv op would run, with W packed once, on `engine`. */
function tessera(l: Layer, x: Float32Array, w: Float32Array, bias: Float32Array, y: Float32Array, engine: GemmEngine, winograd = true): () => void {
  const ep: ConvEpilogueF32 = { bias, activation: { kind: 'relu' }, engine };
  const plan = winograd ? winogradPlanFor(l.g, false, engine) : null;
  if (plan !== null) {
    const packed = packWinogradF32(w, l.g, plan);
    return () => winogradConvF32(x, packed, y, l.g, ep);
  }
  const packed = packConvF32(w, l.g);
  return () => convPackedF32(x, packed, y, l.g, ep);
}

/** The layer as a one-node ONNX model (Conv + Relu) on onnxruntime-web. */
async function ortConv(l: Layer, x: Float32Array, w: Float32Array, bias: Float32Array): Promise<(() => Promise<unknown>) | null> {
  if (ort === null) return null;
  const o = ort;
  const { g } = l;
  const [k] = g.kernel as [number];
  const [s] = g.strides as [number];
  const [p] = g.padsBegin as [number];
  const xDims = [1, g.inChannels, ...g.inSize];
  const model = writeModel({
    opsets: [['', 13]],
    graph: {
      nodes: [
        {
          op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['t'],
          attrs: [
            { name: 'pads', ints: [p, p, p, p] }, { name: 'strides', ints: [s, s] }, { name: 'group', i: g.group },
            { name: 'kernel_shape', ints: [k, k] },
          ],
        },
        { op: 'Relu', inputs: ['t'], outputs: ['y'] },
      ],
      inputs: [{ name: 'x', elemType: 1, shape: xDims }],
      outputs: [{ name: 'y', elemType: 1, shape: [1, g.outChannels, ...g.outSize] }],
      initializers: [
        { name: 'w', dataType: 1, dims: [g.outChannels, g.inChannels / g.group, k, k], raw: f32raw(Array.from(w)) },
        { name: 'b', dataType: 1, dims: [g.outChannels], raw: f32raw(Array.from(bias)) },
      ],
    },
  });
  const session = await o.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const feeds = { x: new o.Tensor('float32', x, xDims) };
  return async () => (await session.run(feeds)).y!.data;
}

const wasm = wasmSimdGemmEngine();
console.log(`conv layers, GFLOP/s (of the direct conv) by ${WALL ? 'wall' : 'CPU'} time, best of ${ROUNDS} interleaved rounds`);
console.log(`wasm SIMD: ${wasm === null ? 'unavailable' : 'available'}, relaxed fma: ${relaxedSimdAvailable() ? 'yes' : 'no'}`);
const { jsGemmEngine } = await import('../kernels/gemm-f32.js');
const ratios: { wasmJs: number[]; wasmOrt: number[] } = { wasmJs: [], wasmOrt: [] };
for (const l of [...layers(96), ...layers(224)].filter((x) => x.name.includes(filter))) {
  const { g } = l;
  const x = values(g.inChannels * g.inSize[0]! * g.inSize[1]!, 1);
  const w = values((g.outChannels * g.inChannels / g.group) * g.kernel[0]! * g.kernel[1]!, 2);
  const bias = values(g.outChannels, 3);
  const y = new Float32Array(g.outChannels * g.outSize[0]! * g.outSize[1]!);
  const flops = 2 * g.outChannels * (g.inChannels / g.group) * g.kernel[0]! * g.kernel[1]! * g.outSize[0]! * g.outSize[1]!;
  const variants: [string, () => unknown][] = [['js', tessera(l, x, w, bias, y, jsGemmEngine)]];
  if (wasm !== null) {
    variants.push(['wasm', tessera(l, x, w, bias, y, wasm)]);
    if (winogradPlanFor(g, false, wasm) !== null) variants.push(['wasm im2col', tessera(l, x, w, bias, y, wasm, false)]);
  }
  const ortRun = await ortConv(l, x, w, bias);
  if (ortRun !== null) variants.push(['ort-web', ortRun]);
  for (const [, fn] of variants) { await fn(); await fn(); } // warm-up (and the wasm engine's resident upload)
  const best = variants.map(() => Infinity);
  const budget = Math.min(200, Math.max(40, flops / 4e6));
  for (let r = 0; r < ROUNDS; r++) {
    const order = variants.map((_, i) => (i + r) % variants.length);
    for (const i of order) best[i] = Math.min(best[i]!, await timeOnce(variants[i]![1], budget));
  }
  const gf = best.map((ms) => flops / ms / 1e6);
  const idx = (name: string) => variants.findIndex((v) => v[0] === name);
  const [iJs, iWasm, iOrt] = [idx('js'), idx('wasm'), idx('ort-web')];
  let tail = '';
  if (iWasm >= 0) {
    ratios.wasmJs.push(gf[iWasm]! / gf[iJs]!);
    tail += `  wasm/js ${(gf[iWasm]! / gf[iJs]!).toFixed(2)}x`;
    if (iOrt >= 0) {
      ratios.wasmOrt.push(gf[iWasm]! / gf[iOrt]!);
      tail += `  wasm/ort-web ${(gf[iWasm]! / gf[iOrt]!).toFixed(2)}x`;
    }
  }
  console.log(`${l.name.padEnd(44)} ${variants.map(([v], i) => `${v} ${gf[i]!.toFixed(1)}`).join('  ')}${tail}`);
}
const geo = (v: number[]) => Math.exp(v.reduce((s, r) => s + Math.log(r), 0) / v.length);
if (ratios.wasmJs.length) console.log(`geometric mean: wasm/js ${geo(ratios.wasmJs).toFixed(2)}x${ratios.wasmOrt.length ? `, wasm/ort-web ${geo(ratios.wasmOrt).toFixed(2)}x` : ''}`);
