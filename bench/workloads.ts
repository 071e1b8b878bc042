// What `npm run bench` times: single-op ONNX models built here (matmul, conv) and whole models
// exported by spec-models/bench_models.py (ONNX and traced TorchScript of the same weights).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModel, f32raw } from '../test/helpers/onnx-writer.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const GENERATE_COMMAND = '/usr/bin/python3 spec-models/bench_models.py';

export interface Feed {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export interface Workload {
  /** What --only matches: `matmul256`, `resnet18@224`, `lstm`. */
  readonly name: string;
  readonly description: string;
  /** Floating-point operations per run, for GFLOP/s (CNNs: their Conv and Linear layers only). */
  readonly flops?: number;
  /** ONNX bytes, or the path of an absent file. */
  readonly onnx: Uint8Array | { absent: string };
  /** Traced TorchScript of the same model (whole models only). */
  readonly torchscript?: Uint8Array | { absent: string };
  /** Inputs in the ONNX graph's order; the TorchScript forward takes the same tensors positionally. */
  readonly feeds: readonly Feed[];
}

/** Deterministic uniform values in [-0.5, 0.5) (xorshift32). */
export function rand(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

function randInt(n: number, below: number, seed: number): BigInt64Array {
  return BigInt64Array.from(rand(n, seed), (v) => BigInt(Math.floor((v + 0.5) * below)));
}

const FLOAT = 1;

export function matmul(n: number): Workload {
  return {
    name: `matmul${n}`,
    description: `MatMul [${n},${n}] x [${n},${n}]`,
    flops: 2 * n * n * n,
    onnx: writeModel({
      opsets: [['', 13]],
      graph: {
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['c'] }],
        inputs: [{ name: 'a', elemType: FLOAT, shape: [n, n] }, { name: 'b', elemType: FLOAT, shape: [n, n] }],
        outputs: [{ name: 'c', elemType: FLOAT, shape: [n, n] }],
      },
    }),
    feeds: [{ name: 'a', dims: [n, n], data: rand(n * n, 1) }, { name: 'b', dims: [n, n], data: rand(n * n, 2) }],
  };
}

function conv(name: string, c: number, h: number, m: number, k: number, group = 1): Workload {
  const wShape = [m, c / group, k, k];
  const wSize = wShape.reduce((a, b) => a * b, 1);
  const pad = (k - 1) / 2;
  return {
    name,
    description: `Conv ${k}x${k} ${c}->${m}${group > 1 ? ` group ${group}` : ''} on 1x${c}x${h}x${h}, pad ${pad}, bias`,
    flops: 2 * m * h * h * (c / group) * k * k,
    onnx: writeModel({
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
    feeds: [{ name: 'x', dims: [1, c, h, h], data: rand(c * h * h, 5) }],
  };
}

function read(rel: string): Uint8Array | { absent: string } {
  const path = join(ROOT, rel);
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : { absent: relative(process.cwd(), path) || path };
}

/** Conv2d + Linear FLOPs per CNN, written by bench_models.py next to the models. */
function modelFlops(): Map<string, number> {
  const path = join(ROOT, 'spec-models/onnx/large/bench_models.json');
  if (!existsSync(path)) return new Map();
  const info = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { flops?: number }>;
  return new Map(Object.entries(info).flatMap(([k, v]) => (typeof v.flops === 'number' ? [[k, v.flops]] : [])));
}

function model(name: string, file: string, description: string, feeds: Feed[], flops?: number): Workload {
  return {
    name,
    description,
    flops,
    // Read lazily by the caller through `load`; the bytes of every model at once would be ~400 MB.
    get onnx() { return read(`spec-models/onnx/large/bench_${file}.onnx`); },
    get torchscript() { return read(`spec-models/torchscript/large/bench_${file}.pt`); },
    feeds,
  };
}

/** Every workload, in the order the bench runs them. */
export function workloads(sizes: readonly number[]): Workload[] {
  const list: Workload[] = [
    matmul(256), matmul(512), matmul(1024),
    conv('conv3x3', 64, 56, 64, 3),
    conv('conv1x1', 128, 28, 128, 1),
    conv('depthwise3x3', 128, 56, 128, 3, 128),
  ];
  const flops = modelFlops();
  for (const net of ['resnet18', 'mobilenet_v2', 'efficientnet_b0']) {
    for (const size of sizes) {
      const f = flops.get(`${net}_${size}`);
      list.push(model(`${net}@${size}`, `${net}_${size}`,
        `torchvision ${net}, random init, image 1x3x${size}x${size}${f ? `; ${(f / 1e9).toFixed(2)} GFLOP in Conv/Linear` : ''}`,
        [{ name: 'image', dims: [1, 3, size, size], data: rand(3 * size * size, 7) }], f));
    }
  }
  list.push(
    model('gpt_decoder', 'gpt_decoder', 'GPT-style decoder (2 blocks, dim 64, 4 heads, vocab 100), tokens 1x16',
      [{ name: 'tokens', dims: [1, 16], data: randInt(16, 100, 8) }]),
    model('lstm', 'lstm', '2-layer LSTM (12->32) + Linear head, features 1x10x12',
      [{ name: 'features', dims: [1, 10, 12], data: rand(120, 9) }]),
    model('transformer_encoder', 'transformer_encoder', 'nn.TransformerEncoder (2 layers, d 32, 4 heads, ff 64), src 2x6x32',
      [{ name: 'src', dims: [2, 6, 32], data: rand(384, 10) }]),
  );
  return list;
}
