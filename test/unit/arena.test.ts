// The activation arena (src/runtime/arena.ts): a steady-state run of a fixed-shape CNN or
// Transformer creates no new typed-array storage except its outputs, and reusing storage never
// changes a result — the same runs with the arena switched off (enableCpuMemArena: false) are the
// reference, bit for bit.
//
// Counting: the global typed-array constructors are wrapped in Proxies that count constructions
// with a length (storage), not views over an existing buffer; everything in tessera that allocates
// storage resolves the global constructor at call time, so it is counted. (`slice()` and friends
// construct through the species of the instance and are not counted: kernels do not use them.)

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceSession, op, Tensor } from '../../src/index.js';
import { reportAbsent } from '../helpers/absent-files.js';
import { writeModel } from '../helpers/onnx-writer.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KINDS = ['Float32Array', 'Float64Array', 'Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array', 'BigInt64Array', 'BigUint64Array'] as const;

type Globals = Record<string, unknown>;
const originals = new Map<string, unknown>();

/** Counts typed-array storage constructions while `fn` runs; returns the count and where they came from. */
async function countAllocations(fn: () => Promise<unknown>): Promise<{ count: number; sites: string[] }> {
  const g = globalThis as unknown as Globals;
  let count = 0;
  const sites: string[] = [];
  for (const k of KINDS) {
    const orig = g[k] as new (...a: unknown[]) => object;
    originals.set(k, orig);
    g[k] = new Proxy(orig, {
      construct(target, args, newTarget) {
        const a0 = args[0];
        if (!(a0 instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== 'undefined' && a0 instanceof SharedArrayBuffer)) {
          count++;
          if (sites.length < 10) sites.push(`${k}: ${new Error().stack?.split('\n').slice(2, 5).map((l) => l.trim()).join(' < ')}`);
        }
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
  }
  try {
    await fn();
  } finally {
    restore();
  }
  return { count, sites };
}

function restore(): void {
  const g = globalThis as unknown as Globals;
  for (const [k, v] of originals) g[k] = v;
  originals.clear();
}
afterEach(restore);

function bits(t: Tensor): string {
  return Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength).toString('hex');
}

/** Feeds `feedsFor(r)` through an arena session and a plain one: equal bits on every run; then counts run `runs`. */
async function checkModel(bytes: Uint8Array, feedsFor: (r: number) => Record<string, Tensor>, outputs: number): Promise<void> {
  const arena = await InferenceSession.create(bytes);
  const plain = await InferenceSession.create(bytes, { enableCpuMemArena: false });
  for (let r = 0; r < 3; r++) {
    const feeds = feedsFor(r);
    const a = await arena.run(feeds);
    const p = await plain.run(feeds);
    for (const name of arena.outputNames) expect(bits(a[name]!), `run ${r}, output ${name}`).toBe(bits(p[name]!));
  }
  const feeds = feedsFor(3);
  const { count, sites } = await countAllocations(() => arena.run(feeds));
  expect(count, `typed arrays created by a steady-state run:\n${sites.join('\n')}`).toBe(outputs);
  expect(arena.arenaStats.reused).toBeGreaterThan(0);
  // The plain session creates storage for every activation: the count can tell the difference.
  const plainCount = (await countAllocations(() => plain.run(feeds))).count;
  expect(plainCount).toBeGreaterThan(outputs);
}

function image(dims: number[], seed: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37 + seed);
  return new Tensor('float32', d, dims);
}

describe('activation arena', () => {
  it('digits CNN: a steady-state run creates only its output, and results equal the arena-free run', async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'spec-models/digits/digits_cnn_opset17.onnx')));
    await checkModel(bytes, (r) => ({ image: image([2, 1, 8, 8], r) }), 1);
  });

  it('GPT decoder: a steady-state run creates only its output, and results equal the arena-free run', async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'spec-models/onnx/gpt_decoder_opset17.onnx')));
    const tokens = (r: number): Tensor => new Tensor('int64', BigInt64Array.from({ length: 16 }, (_, i) => BigInt((i * 7 + r * 13) % 100)), [1, 16]);
    const s = await InferenceSession.create(bytes);
    await checkModel(bytes, (r) => ({ [s.inputNames[0]!]: tokens(r) }), 1);
  });

  const large = [
    ['resnet18 at 96', 'spec-models/onnx/large/bench_resnet18_96.onnx', [1, 3, 96, 96]],
    ['mobilenet_v2 at 96', 'spec-models/onnx/large/bench_mobilenet_v2_96.onnx', [1, 3, 96, 96]],
  ] as const;
  const absent = large.filter(([, f]) => !existsSync(join(ROOT, f))).map(([, f]) => f);
  if (absent.length) reportAbsent('activation arena', absent, '/usr/bin/python3 spec-models/bench_models.py');
  for (const [what, file, dims] of large) {
    it.skipIf(!existsSync(join(ROOT, file)))(`${what}: a steady-state run creates only its output`, async () => {
      const bytes = new Uint8Array(readFileSync(join(ROOT, file)));
      const s = await InferenceSession.create(bytes);
      await checkModel(bytes, (r) => ({ [s.inputNames[0]!]: image([...dims], r) }), 1);
    }, 120_000);
  }

  it('an op that returns a view of its input keeps that input\'s storage from being reused', async () => {
    // ViewTail returns x.data.subarray(4): a view, not a copy. Its input A is released after it
    // runs; B (which needs V's sum, so it comes after) has A's size and would take A's array from
    // the arena if the view did not pin it; Y reads V after B is written.
    const viewTail = op({
      domain: 'test.arena', name: 'ViewTail', since: 1,
      run: ([x]) => [new Tensor('float32', (x!.data as Float32Array).subarray(4), [x!.size - 4])],
    });
    const model = writeModel({
      opsets: [['', 17], ['test.arena', 1]],
      graph: {
        nodes: [
          { op: 'Relu', inputs: ['x'], outputs: ['a'] },
          { op: 'ViewTail', domain: 'test.arena', inputs: ['a'], outputs: ['v'] },
          { op: 'ReduceSum', inputs: ['v'], outputs: ['c'] },
          { op: 'Add', inputs: ['x', 'c'], outputs: ['b'] },
          { op: 'ReduceSum', inputs: ['b'], outputs: ['d'] },
          { op: 'Add', inputs: ['v', 'd'], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', elemType: 1, shape: [64] }],
        outputs: [{ name: 'y', elemType: 1, shape: [60] }],
      },
    });
    const s = await InferenceSession.create(model, { customOps: [viewTail] });
    const plain = await InferenceSession.create(model, { customOps: [viewTail], enableCpuMemArena: false });
    for (let r = 0; r < 3; r++) {
      const x = image([64], r);
      expect(bits((await s.run({ x })).y!), `run ${r}`).toBe(bits((await plain.run({ x })).y!));
    }
  });

  it('outputs handed to the caller are never reused by a later run', async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'spec-models/digits/digits_cnn_opset17.onnx')));
    const s = await InferenceSession.create(bytes);
    const first = await s.run({ image: image([2, 1, 8, 8], 0) });
    const kept = bits(first[s.outputNames[0]!]!);
    for (let r = 1; r < 4; r++) await s.run({ image: image([2, 1, 8, 8], r) });
    expect(bits(first[s.outputNames[0]!]!)).toBe(kept);
  });

  it('release() empties the arena', async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'spec-models/digits/digits_cnn_opset17.onnx')));
    const s = await InferenceSession.create(bytes);
    await s.run({ image: image([2, 1, 8, 8], 0) });
    expect(s.arenaStats.freeBytes).toBeGreaterThan(0);
    await s.release();
    expect(s.arenaStats.freeBytes).toBe(0);
  });
});
