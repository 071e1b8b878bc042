// Random operators: the generator against an independent transcription of xoshiro128**, seed
// determinism, and distribution sanity (ranges, moments, frequencies) for every operator.
// Exact numpy streams are out of scope (see ops/onnx/random.ts).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandomState, nextUint32 } from '../../kernels/random.js';
import { randomOps } from '../../ops/onnx/random.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute, Node } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

function attrs(map: Record<string, number | number[]>, floats: string[]): Attrs {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(map)) {
    if (Array.isArray(v)) m.set(k, { type: 'ints', value: v });
    else if (floats.includes(k)) m.set(k, { type: 'float', value: v });
    else m.set(k, { type: 'int', value: v });
  }
  return new Attrs(m);
}

const FLOAT_ATTRS = ['seed', 'low', 'high', 'mean', 'scale'];

function runOp(name: string, inputs: (Tensor | undefined)[], a: Record<string, number | number[]>): Tensor {
  const def = randomOps.find((d) => d.name === name)!;
  const node = { name: '', domain: '', opType: name, inputs: [], outputs: ['y'], attributes: new Map() } as unknown as Node;
  const ctx: OpContext = { node, opset: 22, runSubgraph: () => { throw new Error('no subgraph'); } };
  return def.run(inputs, def.parse!(attrs(a, FLOAT_ATTRS), node), ctx)[0] as Tensor;
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

describe('xoshiro128**', () => {
  it('matches a transcription of the reference C code', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const s = createRandomState(seed);
        const ref = [s[0]!, s[1]!, s[2]!, s[3]!];
        const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
        for (let i = 0; i < 20; i++) {
          // result = rotl(s[1] * 5, 7) * 9; t = s[1] << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
          const want = Number((BigInt(rotl(Number((BigInt(ref[1]!) * 5n) & 0xffffffffn), 7)) * 9n) & 0xffffffffn);
          const t = (ref[1]! * 512) % 2 ** 32;
          ref[2] = (ref[2]! ^ ref[0]!) >>> 0;
          ref[3] = (ref[3]! ^ ref[1]!) >>> 0;
          ref[1] = (ref[1]! ^ ref[2]!) >>> 0;
          ref[0] = (ref[0]! ^ ref[3]!) >>> 0;
          ref[2] = (ref[2]! ^ t) >>> 0;
          ref[3] = rotl(ref[3]!, 11);
          expect(nextUint32(s)).toBe(want);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('never starts from the all-zero state', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
      const s = createRandomState(seed);
      expect(s[0]! | s[1]! | s[2]! | s[3]!).not.toBe(0);
    }));
  });
});

describe('RandomUniform / RandomNormal (and the Like forms)', () => {
  it('are deterministic for a seed and differ across seeds', () => {
    fc.assert(
      fc.property(fc.constantFrom('RandomUniform', 'RandomNormal'), fc.integer({ min: -1000, max: 1000 }), (name, seed) => {
        const a = runOp(name, [], { shape: [4, 5], seed });
        const b = runOp(name, [], { shape: [4, 5], seed });
        const c = runOp(name, [], { shape: [4, 5], seed: seed + 0.5 });
        expect(a.toNumbers()).toEqual(b.toNumbers());
        expect(a.toNumbers()).not.toEqual(c.toNumbers());
        expect(a.dims).toEqual([4, 5]);
        expect(a.type).toBe('float32');
      }),
      { numRuns: 50 },
    );
  });

  it('uniform values lie in [low, high) with the right mean', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0.5, max: 1e3, noNaN: true }), fc.integer(),
        (low, width, seed) => {
          const high = low + width;
          const y = runOp('RandomUniform', [], { shape: [2000], low, high, seed, dtype: 11 });
          const v = y.toNumbers();
          expect(y.type).toBe('float64');
          expect(v.every((x) => x >= low && x < high)).toBe(true);
          expect(Math.abs(mean(v) - (low + high) / 2)).toBeLessThan(width * 0.05);
        }),
      { numRuns: 30 },
    );
  });

  it('normal values have the requested mean and standard deviation', () => {
    fc.assert(
      fc.property(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.integer(),
        (mu, sigma, seed) => {
          const v = runOp('RandomNormal', [], { shape: [5001], mean: mu, scale: sigma, seed, dtype: 11 }).toNumbers();
          const m = mean(v);
          const sd = Math.sqrt(mean(v.map((x) => (x - m) ** 2)));
          expect(v.every(Number.isFinite)).toBe(true);
          expect(Math.abs(m - mu)).toBeLessThan(0.1 * sigma);
          expect(Math.abs(sd - sigma)).toBeLessThan(0.1 * sigma);
        }),
      { numRuns: 30 },
    );
  });

  it('Like forms copy the input shape and type unless dtype is given', () => {
    const x = new Tensor('float64', new Float64Array(6), [2, 3, 1]);
    const u = runOp('RandomUniformLike', [x], { seed: 1 });
    expect([u.type, u.dims]).toEqual(['float64', [2, 3, 1]]);
    const n = runOp('RandomNormalLike', [x], { seed: 1, dtype: 10 });
    expect([n.type, n.dims]).toEqual(['float16', [2, 3, 1]]);
    const empty = runOp('RandomUniformLike', [new Tensor('float32', [], [0, 3])], {});
    expect(empty.dims).toEqual([0, 3]);
  });
});

describe('Bernoulli', () => {
  it('gives 0/1 with frequency p, exactly 0 for p = 0 and 1 for p = 1', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (p, seed) => {
        const n = 4000;
        const y = runOp('Bernoulli', [new Tensor('float64', new Float64Array(n).fill(p), [n])], { seed });
        const v = y.toNumbers();
        expect(v.every((x) => x === 0 || x === 1)).toBe(true);
        expect(Math.abs(mean(v) - p)).toBeLessThan(0.04);
        const edges = runOp('Bernoulli', [new Tensor('float32', [0, 1, 0, 1], [4])], { seed }).toNumbers();
        expect(edges).toEqual([0, 1, 0, 1]);
      }),
      { numRuns: 30 },
    );
  });

  it('honours dtype (bool, int32) and is deterministic for a seed', () => {
    const x = new Tensor('float32', [0.3, 0.6, 0.9, 0.1], [2, 2]);
    const b = runOp('Bernoulli', [x], { seed: 7, dtype: 9 });
    expect([b.type, b.dims]).toEqual(['bool', [2, 2]]);
    const i = runOp('Bernoulli', [x], { seed: 7, dtype: 6 });
    expect(i.type).toBe('int32');
    expect(i.toNumbers()).toEqual(b.toNumbers());
  });
});

describe('Multinomial', () => {
  it('samples class frequencies close to softmax(logits) and never picks -Inf classes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.constant(-Infinity)), { minLength: 1, maxLength: 5 })
          .filter((l) => l.some((v) => v !== -Infinity)),
        fc.integer(), fc.constantFrom(6, 7),
        (logits, seed, dtype) => {
          const samples = 3000;
          const x = new Tensor('float32', [...logits, ...logits], [2, logits.length]);
          const y = runOp('Multinomial', [x], { sample_size: samples, seed, dtype });
          expect(y.type).toBe(dtype === 6 ? 'int32' : 'int64');
          expect(y.dims).toEqual([2, samples]);
          const v = y.toNumbers();
          const lf = logits.map(Math.fround);
          const mx = Math.max(...lf);
          const w = lf.map((l) => Math.exp(l - mx));
          const total = w.reduce((a, b) => a + b, 0);
          lf.forEach((l, c) => {
            const freq = v.slice(0, samples).filter((k) => k === c).length / samples;
            if (l === -Infinity) expect(freq).toBe(0);
            else expect(Math.abs(freq - w[c]! / total)).toBeLessThan(0.05);
          });
        }),
      { numRuns: 30 },
    );
  });
});
