// `npm run bench`: matmul GFLOP/s (256^3, 512^3, 1024^3) and conv timings, for tessera's JS
// kernels and, in the same run, onnxruntime-node (native CPU) and onnxruntime-web (wasm),
// on the same single-op ONNX models. Prints one line per workload with ratios.

import { InferenceSession, Tensor } from '../src/index.js';
import { writeModel, f32raw } from '../test/helpers/onnx-writer.js';

const FLOAT = 1;

interface Workload {
  name: string;
  flops: number;
  model: Uint8Array;
  feeds: Record<string, { dims: number[]; data: Float32Array }>;
}

function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

function matmulWorkload(n: number): Workload {
  return {
    name: `matmul ${n}x${n}x${n}`,
    flops: 2 * n * n * n,
    model: writeModel({
      opsets: [['', 13]],
      graph: {
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
        inputs: [{ name: 'a', elemType: FLOAT, shape: [n, n] }, { name: 'b', elemType: FLOAT, shape: [n, n] }],
        outputs: [{ name: 'c', elemType: FLOAT, shape: [n, n] }],
      },
    }),
    feeds: { a: { dims: [n, n], data: rand(n * n, 1) }, b: { dims: [n, n], data: rand(n * n, 2) } },
  };
}

function convWorkload(name: string, c: number, h: number, m: number, k: number, group = 1): Workload {
  const wShape = [m, c / group, k, k];
  const wSize = wShape.reduce((a, b) => a * b, 1);
  const pad = (k - 1) / 2;
  return {
    name,
    flops: 2 * m * h * h * (c / group) * k * k,
    model: writeModel({
      opsets: [['', 13]],
      graph: {
        nodes: [{
          op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'],
          attrs: [{ name: 'pads', ints: [pad, pad, pad, pad] }, { name: 'group', i: group }, { name: 'kernel_shape', ints: [k, k] }],
        }],
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1, c, h, h] }],
        outputs: [{ name: 'y', elemType: FLOAT, shape: [1, m, h, h] }],
        initializers: [
          { name: 'w', dataType: FLOAT, dims: wShape, raw: f32raw(Array.from(rand(wSize, 3))) },
          { name: 'b', dataType: FLOAT, dims: [m], raw: f32raw(Array.from(rand(m, 4))) },
        ],
      },
    }),
    feeds: { x: { dims: [1, c, h, h], data: rand(c * h * h, 5) } },
  };
}

/** Median milliseconds of `fn` over repeats after a warm-up, within a time budget. */
async function time(fn: () => Promise<unknown>, budgetMs = 1500): Promise<number> {
  await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 50)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

type Runner = (w: Workload) => Promise<() => Promise<unknown>>;

const tessera: Runner = async (w) => {
  const s = await InferenceSession.create(w.model);
  const feeds = Object.fromEntries(Object.entries(w.feeds).map(([k, v]) => [k, new Tensor('float32', v.data, v.dims)]));
  return () => s.run(feeds);
};

async function ortRunner(pkg: 'onnxruntime-node' | 'onnxruntime-web'): Promise<Runner | null> {
  try {
    const ort = (await import(pkg)) as typeof import('onnxruntime-node');
    if (pkg === 'onnxruntime-web') (ort.env.wasm as { numThreads: number }).numThreads = 1;
    return async (w) => {
      const s = await ort.InferenceSession.create(w.model, pkg === 'onnxruntime-node' ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {});
      const feeds = Object.fromEntries(Object.entries(w.feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
      return () => s.run(feeds);
    };
  } catch (e) {
    console.log(`(${pkg} unavailable: ${(e as Error).message.split('\n')[0]})`);
    return null;
  }
}

const workloads = [
  matmulWorkload(256), matmulWorkload(512), matmulWorkload(1024),
  convWorkload('conv 3x3 64->64 @56x56', 64, 56, 64, 3),
  convWorkload('conv 1x1 128->128 @28x28', 128, 28, 128, 1),
  convWorkload('depthwise 3x3 128 @56x56', 128, 56, 128, 3, 128),
];
const peers: [string, Runner | null][] = [
  ['ort-node', await ortRunner('onnxruntime-node')],
  ['ort-web', await ortRunner('onnxruntime-web')],
];
console.log('single-threaded; median ms; GFLOP/s; ratio = peer time / tessera time (higher: tessera faster)');
for (const w of workloads) {
  const ms = await time(await tessera(w));
  const gf = (x: number) => ((w.flops / x) / 1e6).toFixed(2);
  let line = `${w.name.padEnd(28)} tessera ${ms.toFixed(2).padStart(8)} ms ${gf(ms).padStart(7)} GFLOP/s`;
  for (const [name, runner] of peers) {
    if (!runner) continue;
    const pms = await time(await runner(w));
    line += ` | ${name} ${pms.toFixed(2)} ms ${gf(pms)} GFLOP/s ratio ${(pms / ms).toFixed(3)}`;
  }
  console.log(line);
}
