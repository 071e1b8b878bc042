// The wasm engine on worker threads (kernels/wasm/threaded-engine.ts) gives the same bits as on
// one thread, for any thread count: convs (im2col, pointwise, depthwise, groups, strides, pads,
// residual and activation epilogues), Winograd, GEMMs; and whole sessions at intraOpNumThreads
// 1, 2 and 3. Bits are compared, NaN payloads and signed zeros included.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { InferenceSession, parseNpy, Tensor } from '../../src/node.js';
import type { WasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { gemmSimdF32, wasmSimdGemmEngine } from '../../kernels/wasm/engine.js';
import { sharedMemoryAvailable } from '../../kernels/wasm/host.js';
import { threadedWasmSimdGemmEngine } from '../../kernels/wasm/threaded-engine.js';
import { allActs, convProblem, type ConvProblem, exactActs, runConv, runWinograd, special, wide, type WinogradProblem, winogradProblem } from '../helpers/conv-problems.js';
import { convPackedF32, packConvF32 } from '../../kernels/conv-f32.js';
import { packWinogradF32, winogradConvF32 } from '../../kernels/winograd-f32.js';
import { reportAbsent } from '../helpers/absent-files.js';

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
const ROOT = join(import.meta.dirname, '..', '..');

describe.skipIf(!sharedMemoryAvailable())('the threaded wasm engine is bit-identical to one thread', () => {
  const engines = new Map<number, WasmSimdGemmEngine>();
  beforeAll(async () => {
    engines.set(1, wasmSimdGemmEngine()!);
    for (const t of [2, 3]) {
      const e = await threadedWasmSimdGemmEngine(t, { inlineBelow: 0 }); // every batch on the pool, however small
      expect(e, `${t} threads`).not.toBeNull();
      expect(e!.threads).toBe(t);
      engines.set(t, e!);
    }
  });
  const values = fc.oneof({ weight: 30, arbitrary: wide }, { weight: 1, arbitrary: special });

  it('convs: im2col, pointwise, groups, depthwise, epilogues', () => {
    fc.assert(fc.property(convProblem(values, allActs, { maxSize: 12, cg: [1, 9], mg: [1, 12] }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runConv(p, engines.get(t)))).toEqual(bits(runConv(p, engines.get(1))));
    }), { numRuns: 80 });
    fc.assert(fc.property(convProblem(values, allActs, { rank: 2, depthwise: true, kernels: [3, 5], strides: [1, 2], maxSize: 14 }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runConv(p, engines.get(t)))).toEqual(bits(runConv(p, engines.get(1))));
    }), { numRuns: 60 });
  });

  it('Winograd convs', () => {
    fc.assert(fc.property(winogradProblem(wide, wide, allActs), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runWinograd(p, undefined, engines.get(t)))).toEqual(bits(runWinograd(p, undefined, engines.get(1))));
    }), { numRuns: 40 });
    // Several K blocks (over 256 input channels: blocks of unequal depth), tile rows split among the calls.
    fc.assert(fc.property(winogradProblem(wide, wide, exactActs, { cin: [257, 300], cout: [1, 9], maxSize: 13 }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runWinograd(p, undefined, engines.get(t)))).toEqual(bits(runWinograd(p, undefined, engines.get(1))));
    }), { numRuns: 6 });
  });

  it('sigmoid and silu passes (engine.activation)', () => {
    fc.assert(fc.property(fc.integer({ min: 2048, max: 40_000 }), fc.constantFrom('sigmoid', 'silu') as fc.Arbitrary<'sigmoid' | 'silu'>, fc.constantFrom(2, 3), fc.integer(), (n, name, t, seed) => {
      const x = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 3.7 + seed) * 20));
      const want = new Float32Array(n), got = new Float32Array(n);
      expect(engines.get(1)!.activation(name, x, want)).toBe(true);
      expect(engines.get(t)!.activation(name, x, got)).toBe(true);
      expect(bits(got)).toEqual(bits(want));
    }), { numRuns: 12 });
  });

  // A threaded session keeps its activations in the engine's shared memory (tensorStorage), and
  // the kernels then read X and the residual and write Y where they are. Same bits as plain
  // arrays; and a guard array allocated right after Y stays untouched (no padding row or column
  // written past Y).
  const GUARD = 64;
  function resident(e: WasmSimdGemmEngine, values: ArrayLike<number>): Float32Array {
    const a = e.tensorStorage(Math.max(1, values.length))!;
    expect(a, 'tensor storage in the shared memory').not.toBeNull();
    a.set(Float32Array.from(values));
    return values.length === 0 ? a.subarray(0, 0) : a;
  }
  function inPlace(e: WasmSimdGemmEngine, yLength: number, run: (y: Float32Array) => void): Float32Array {
    const y = resident(e, new Float32Array(yLength).fill(Number.NaN));
    const guard = resident(e, new Float32Array(GUARD).fill(-7.25));
    run(y);
    expect(Array.from(guard)).toEqual(Array(GUARD).fill(-7.25));
    return Float32Array.from(y);
  }
  const outLength = (p: ConvProblem | WinogradProblem) => p.g.batch * p.g.outChannels * p.g.outSize.reduce((a, b) => a * b, 1);
  function runConvInPlace(p: ConvProblem, e: WasmSimdGemmEngine): Float32Array {
    const packed = packConvF32(Float32Array.from(p.w), p.g);
    const x = resident(e, p.x);
    return inPlace(e, outLength(p), (y) => convPackedF32(x, packed, y, p.g, {
      bias: p.bias && Float32Array.from(p.bias), ...(p.residual ? { residual: resident(e, p.residual) } : {}), activation: p.act, engine: e,
    }));
  }
  function runWinogradInPlace(p: WinogradProblem, e: WasmSimdGemmEngine): Float32Array {
    const packed = packWinogradF32(Float32Array.from(p.w), p.g, p);
    const x = resident(e, p.x);
    return inPlace(e, outLength(p), (y) => winogradConvF32(x, packed, y, p.g, {
      bias: p.bias && Float32Array.from(p.bias), ...(p.residual ? { residual: resident(e, p.residual) } : {}), activation: p.act, engine: e,
    }));
  }

  it('activations in the engine\'s memory: convs read and write them in place, with the bits of plain arrays', () => {
    // Pointwise convs (the GEMM path with B and C in place) with sizes that are and are not whole strips.
    fc.assert(fc.property(convProblem(values, allActs, { rank: 2, kernels: [1], strides: [1], maxSize: 12, cg: [1, 12], mg: [1, 12] }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runConvInPlace(p, engines.get(t)!))).toEqual(bits(runConv(p, engines.get(1))));
    }), { numRuns: 60 });
    fc.assert(fc.property(convProblem(values, allActs, { maxSize: 12, cg: [1, 9], mg: [1, 12] }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runConvInPlace(p, engines.get(t)!))).toEqual(bits(runConv(p, engines.get(1))));
    }), { numRuns: 60 });
    fc.assert(fc.property(convProblem(values, allActs, { rank: 2, depthwise: true, kernels: [3, 5], strides: [1, 2], maxSize: 14 }), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runConvInPlace(p, engines.get(t)!))).toEqual(bits(runConv(p, engines.get(1))));
    }), { numRuns: 60 });
    fc.assert(fc.property(winogradProblem(wide, wide, allActs), fc.constantFrom(2, 3), (p, t) => {
      expect(bits(runWinogradInPlace(p, engines.get(t)!))).toEqual(bits(runWinograd(p, undefined, engines.get(1))));
    }), { numRuns: 40 });
  });

  it('GEMMs of many blocks', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 1100 }), fc.integer({ min: 1, max: 600 }), fc.constantFrom(2, 3), fc.integer(),
      (m, n, k, t, seed) => {
        const rand = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.fround(Math.sin((i + 1) * 12.9898 + s) * 100));
        const a = rand(m * k, seed), b = rand(k * n, seed + 1);
        const want = new Float32Array(m * n), got = new Float32Array(m * n);
        gemmSimdF32(a, {}, b, {}, want, m, n, k, {}, engines.get(1));
        gemmSimdF32(a, {}, b, {}, got, m, n, k, {}, engines.get(t));
        expect(bits(got)).toEqual(bits(want));
      }), { numRuns: 25 });
  });
});

const RESNET = join(ROOT, 'spec-models/onnx/large/bench_resnet18_96.onnx');
const MOBILENET = join(ROOT, 'spec-models/onnx/large/bench_mobilenet_v2_96.onnx');

describe.skipIf(!sharedMemoryAvailable())('sessions at any intraOpNumThreads give the same bits', () => {
  it('the digits CNN', async () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'spec-models/digits/digits_cnn_opset17.onnx')));
    const npy = parseNpy(new Uint8Array(readFileSync(join(ROOT, 'spec-models/digits/test_images.npy'))));
    const outs: Float32Array[] = [];
    for (const t of [1, 2, 3]) {
      const s = await InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: t });
      expect(s.threads).toBe(t);
      outs.push((await s.run({ image: new Tensor('float32', npy.data as Float32Array, npy.dims) })).logits!.data as Float32Array);
    }
    expect(bits(outs[1]!)).toEqual(bits(outs[0]!));
    expect(bits(outs[2]!)).toEqual(bits(outs[0]!));
  });

  for (const path of [RESNET, MOBILENET]) {
    it.skipIf(!existsSync(path))(path.split('/').pop()!, async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const x = new Tensor('float32', Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => Math.sin(i * 0.37)), [1, 3, 96, 96]);
      const outs: Float32Array[] = [];
      for (const t of [1, 2, 3]) {
        const s = await InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: t });
        outs.push((await s.run({ [s.inputNames[0]!]: x }))[s.outputNames[0]!]!.data as Float32Array);
      }
      expect(bits(outs[1]!)).toEqual(bits(outs[0]!));
      expect(bits(outs[2]!)).toEqual(bits(outs[0]!));
    }, 60_000);
  }
});
reportAbsent('threaded sessions', [RESNET, MOBILENET].filter((p) => !existsSync(p)), '/usr/bin/python3 spec-models/bench_models.py');
