// The activation arena with a storage source (src/runtime/arena.ts TensorStorageSource): a
// threaded wasm engine hands out float32 storage in its shared memory so that its kernels work on
// activations in place. Such arrays are views of one shared buffer, so the arena must keep them
// from escaping a run (outputs are detached: plain copies), recycle them when the run ends, and
// tell a view of one array from another array of the same buffer. A fake source over a
// SharedArrayBuffer stands in for the engine here; the engine itself, bit for bit against one
// thread, is test/props/threaded-engine.test.ts.

import { describe, expect, it } from 'vitest';
import { StorageArena, type TensorStorageSource } from '../../src/runtime/arena.js';
import { Tensor } from '../../src/tensor.js';
import { InferenceSession } from '../../src/index.js';
import { sharedMemoryAvailable } from '../../kernels/wasm/host.js';
import { threadedWasmSimdGemmEngine } from '../../kernels/wasm/threaded-engine.js';
import '../../src/node.js';
import { writeModel } from '../helpers/onnx-writer.js';

function fakeSource(floats: number): TensorStorageSource & { readonly buffer: SharedArrayBuffer; taken: number } {
  const buffer = new SharedArrayBuffer(4 * floats);
  let top = 0;
  return {
    buffer,
    taken: 0,
    tensorStorage(length) {
      if (top + length > floats) return null;
      const a = new Float32Array(buffer, 4 * top, length);
      top += Math.ceil(length / 4) * 4;
      this.taken++;
      return a;
    },
    offsetOf: (a) => (a.buffer === buffer ? a.byteOffset / 4 : -1),
  };
}

describe('activation arena with a storage source', () => {
  it('takes float32 storage from the source, other types as plain arrays, and a plain array once the source is full', () => {
    const src = fakeSource(256);
    const arena = new StorageArena();
    arena.useSource(src);
    const a = arena.take(Float32Array, 100, 4, true) as Float32Array;
    const i = arena.take(Int32Array, 100, 4, true);
    const b = arena.take(Float32Array, 200, 4, true) as Float32Array; // 100 + 200 > 256
    expect(a.buffer).toBe(src.buffer);
    expect(i.buffer).not.toBe(src.buffer);
    expect(b.buffer).not.toBe(src.buffer);
    expect(src.taken).toBe(1);
  });

  it('detaches outputs: storage from the source comes back as a plain copy, other values as they are', () => {
    const src = fakeSource(1024);
    const arena = new StorageArena();
    arena.useSource(src);
    const a = arena.take(Float32Array, 64, 4, false) as Float32Array;
    a.forEach((_, k) => (a[k] = k / 3));
    const view = a.subarray(8, 24);
    const plain = new Tensor('float32', new Float32Array([1, 2, 3]), [3]);
    const [ta, tv, tp] = arena.detach([new Tensor('float32', a, [8, 8]), new Tensor('float32', view, [16]), plain]) as Tensor[];
    expect(ta!.data).not.toBe(a);
    expect((ta!.data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(ta!.data as Float32Array)).toEqual(Array.from(a));
    expect(ta!.dims).toEqual([8, 8]);
    expect((tv!.data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(tv!.data as Float32Array)).toEqual(Array.from(view));
    expect(tp).toBe(plain);
  });

  it('recycles the source\'s arrays when a run ends, even those still owned (outputs) or pinned by a view', () => {
    const src = fakeSource(4096);
    const arena = new StorageArena();
    arena.useSource(src);
    const out = arena.take(Float32Array, 64, 4, true) as Float32Array;
    const t = new Tensor('float32', out, [64]);
    arena.holdOutputs([t], [], false);
    const pinned = arena.take(Float32Array, 32, 4, true) as Float32Array;
    const pt = new Tensor('float32', pinned, [32]);
    arena.holdOutputs([pt], [], false);
    // An op returning a view of `pinned` pins it: it is not reused within the run.
    arena.holdOutputs([new Tensor('float32', pinned.subarray(4, 8), [4])], [pt], true);
    arena.release(pt);
    expect(arena.take(Float32Array, 32, 4, true)).not.toBe(pinned);
    arena.endRun();
    const again = [arena.take(Float32Array, 64, 4, true), arena.take(Float32Array, 32, 4, true), arena.take(Float32Array, 32, 4, true)];
    expect(again[0]).toBe(out);
    expect(again).toContain(pinned);
    expect(src.taken).toBe(3);
    // Recycled storage is zeroed when asked.
    expect(Array.from(again[0] as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('a view of one array pins that array only, not every array of the shared buffer', () => {
    const src = fakeSource(4096);
    const arena = new StorageArena();
    arena.useSource(src);
    const x = arena.take(Float32Array, 64, 4, true) as Float32Array;
    const y = arena.take(Float32Array, 64, 4, true) as Float32Array;
    const tx = new Tensor('float32', x, [64]), ty = new Tensor('float32', y, [64]);
    arena.holdOutputs([tx], [], false);
    arena.holdOutputs([ty], [], false);
    arena.holdOutputs([new Tensor('float32', y.subarray(0, 16), [16])], [tx, ty], true);
    arena.release(tx);
    arena.release(ty);
    // x went back to the free list; y is pinned by the view.
    const next = [arena.take(Float32Array, 64, 4, true), arena.take(Float32Array, 64, 4, true)];
    expect(next).toContain(x);
    expect(next).not.toContain(y);
  });
});

describe.skipIf(!sharedMemoryAvailable())('a threaded session keeps activations in the engine\'s memory', () => {
  it('computes in place, hands back plain arrays, and gives the bits of one thread', async () => {
    // Two 3x3 convs (Winograd on wasm) with a residual add and relu, as resnet blocks have.
    const C = 16, S = 20;
    const w = (seed: number) => Float32Array.from({ length: C * C * 9 }, (_, k) => Math.sin(seed + k * 0.7) * 0.2);
    const model = writeModel({
      opsets: [['', 17]],
      graph: {
        nodes: [
          { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
          { op: 'Relu', inputs: ['a'], outputs: ['b'] },
          { op: 'Conv', inputs: ['b', 'w2'], outputs: ['c'], attrs: [{ name: 'pads', ints: [1, 1, 1, 1] }] },
          { op: 'Add', inputs: ['c', 'x'], outputs: ['d'] },
          { op: 'Relu', inputs: ['d'], outputs: ['y'] },
        ],
        inputs: [{ name: 'x', elemType: 1, shape: [1, C, S, S] }],
        outputs: [{ name: 'y', elemType: 1, shape: [1, C, S, S] }],
        initializers: [
          { name: 'w1', dataType: 1, dims: [C, C, 3, 3], floats: Array.from(w(1)) },
          { name: 'w2', dataType: 1, dims: [C, C, 3, 3], floats: Array.from(w(2)) },
        ],
      },
    });
    const x = new Tensor('float32', Float32Array.from({ length: C * S * S }, (_, k) => Math.cos(k * 0.11)), [1, C, S, S]);
    const s1 = await InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: 1 });
    const s2 = await InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: 2 });
    expect(s2.threads).toBe(2);
    const engine = (await threadedWasmSimdGemmEngine(2))!;
    const ref = (await s1.run({ x })).y!.data as Float32Array;
    for (let run = 0; run < 3; run++) {
      const before = engine.residentFloats;
      const y = (await s2.run({ x })).y!.data as Float32Array;
      expect(y.buffer).toBeInstanceOf(ArrayBuffer);
      expect(new Uint32Array(y.buffer, y.byteOffset, y.length)).toEqual(new Uint32Array(ref.buffer, ref.byteOffset, ref.length));
      // The activations live in the engine's memory from the first run on; later runs reuse them.
      if (run === 0) expect(before).toBeLessThan(engine.residentFloats);
      if (run === 2) expect(engine.residentFloats).toBe(before);
    }
  });
});
