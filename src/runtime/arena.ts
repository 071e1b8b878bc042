// The activation arena: a session's typed arrays, reused from one value to the next and from one
// run to the next, so that a steady-state run of a fixed-shape model allocates no new storage.
//
// How it works. During a run, every op allocation of numeric storage goes through
// `allocate` / `allocFloat` (src/dtypes.ts, ops/compute.ts), which ask the current pool
// (StoragePool, installed by withStoragePool) first. The arena answers with a zeroed array
// of exactly the requested type and length from its free lists (cleared, unless the caller
// promised to write every element: allocFloatOut), or makes a new one; either way
// the array is *owned* for the rest of the run. When the executor releases a value (after its
// last reader ran) whose storage is owned and no other live value holds, the array goes back
// to the free lists. Graph outputs are never released, so the arrays handed to the caller are
// never reused; ownership ends with the run.
//
// What may never be recycled: storage another live value still holds. Identity (Reshape and
// Identity return the same array) is counted; a view (an op returning `subarray` of an input)
// is detected by comparing buffers and pins the input's array: pinned arrays are never reused.
// Plans with subgraphs, functions or non-tensor values (sequences, optionals, maps) do not use the
// arena at all: values can escape through them in ways the executor does not see.
//
// Memory. The free lists hold at most the arrays a run released, so the arena holds at most one
// run's peak of activations (its high-water mark, like onnxruntime's arena). `clear()` drops them.

import type { StoragePool, TensorData } from '../dtypes.js';
import { Tensor } from '../tensor.js';
import type { Value } from '../value.js';

type NumericArray = Exclude<TensorData, string[]>;
type ArrayCtor = new (n: number) => NumericArray;

/**
 * Where float32 storage may come from instead of `new Float32Array`: a threaded wasm engine's
 * shared memory (kernels/wasm/resident.ts tensorStorage), so that its kernels read and write
 * activations in place. Such arrays are views of one big shared buffer: they never leave a run
 * (the run's outputs are copied out: `detach`) and the arena keeps every one it made until it is
 * cleared, so that no view of one outlives it.
 */
export interface TensorStorageSource {
  /** A float32 array of `length` in the source's memory, or null (then a plain array is made). */
  tensorStorage(length: number): Float32Array | null;
  /** Where `a` starts in the source's memory (>= 0) if it is a view of it, else -1. */
  offsetOf(a: Float32Array): number;
}

/** Arrays smaller than this (bytes) are left to the garbage collector: V8 keeps arrays up to 64 bytes on its heap. */
const MIN_POOLED_BYTES = 65;

export class StorageArena implements StoragePool {
  /**
   * Free arrays by constructor name ('Float32Array', ...), then by length. By name, not by
   * constructor object: a test that wraps the global constructors (to count allocations) must
   * not see a different free list than the kernels.
   */
  private readonly free = new Map<string, Map<number, NumericArray[]>>();
  /** Arrays handed out during the current run, and how many live values hold each. */
  private readonly owned = new Map<NumericArray, number>();
  /** Storage from a source handed out in the current run and not yet back in the free lists. */
  private readonly sourced = new Set<NumericArray>();
  private source: TensorStorageSource | undefined;
  /** Bytes in the free lists. */
  freeBytes = 0;
  /** Arrays created (not reused) over the arena's life: a measure of how well it reuses. */
  created = 0;
  reused = 0;

  /**
   * Float32 storage comes from `source` from now on (undefined: plain arrays). Arrays made from
   * another source before stay in the free lists and are reused as they are.
   */
  useSource(source: TensorStorageSource | undefined): void {
    this.source = source;
  }

  take(ctor: ArrayCtor, length: number, bytesPerElement: number, zeroed: boolean): NumericArray {
    if (length * bytesPerElement < MIN_POOLED_BYTES) return new ctor(length);
    const list = this.free.get(ctor.name)?.get(length);
    let a = list?.pop();
    if (a) {
      if (zeroed) {
        if (a instanceof BigInt64Array || a instanceof BigUint64Array) a.fill(0n);
        else a.fill(0);
      }
      this.freeBytes -= a.byteLength;
      this.reused++;
    } else {
      // The name, not the constructor object: see `free`.
      a = (ctor.name === 'Float32Array' ? this.source?.tensorStorage(length) : null) ?? new ctor(length);
      this.created++;
    }
    if (this.source !== undefined && a instanceof Float32Array && this.source.offsetOf(a) >= 0) this.sourced.add(a);
    this.owned.set(a, 0);
    return a;
  }

  /**
   * Outputs a run returns, with storage from the source replaced by plain copies (they may not
   * leave the run: see TensorStorageSource).
   */
  detach(values: Value[]): Value[] {
    const source = this.source;
    if (source === undefined) return values;
    return values.map((v) => (v instanceof Tensor && v.data instanceof Float32Array && source.offsetOf(v.data) >= 0
      ? new Tensor(v.type, new Float32Array(v.data), v.dims)
      : v));
  }

  /**
   * After a step: its outputs now hold storage. `inputs` are the step's inputs; `mayAlias` is
   * false for ops known to write only fresh outputs (no views of their inputs).
   */
  holdOutputs(outputs: readonly (Value | undefined)[], inputs: readonly (Value | undefined)[], mayAlias: boolean): void {
    for (const v of outputs) {
      if (!(v instanceof Tensor)) {
        if (v !== undefined) this.pinInputs(inputs); // a sequence or optional may hold an input
        continue;
      }
      const d = v.data as NumericArray;
      const n = this.owned.get(d);
      if (n !== undefined) {
        this.owned.set(d, n + 1); // fresh storage, or the same array as a live value
        continue;
      }
      if (mayAlias) this.pinViews(d, inputs);
    }
  }

  /** A live value stops holding `v`'s storage; the array is free again when nothing holds it. */
  release(v: Value | undefined): void {
    if (!(v instanceof Tensor)) return;
    const d = v.data as NumericArray;
    const n = this.owned.get(d);
    if (n === undefined) return;
    if (n > 1) {
      this.owned.set(d, n - 1);
      return;
    }
    this.owned.delete(d);
    this.recycle(d);
  }

  private recycle(d: NumericArray): void {
    this.sourced.delete(d);
    const name = (d.constructor as ArrayCtor).name;
    let byLength = this.free.get(name);
    if (!byLength) this.free.set(name, (byLength = new Map()));
    const list = byLength.get(d.length);
    if (list) list.push(d);
    else byLength.set(d.length, [d]);
    this.freeBytes += d.byteLength;
  }

  /**
   * The run is over: whatever is still owned (the outputs, values a failed run left) is the
   * caller's, except storage from the source: the outputs were detached, so nothing outside the
   * arena holds it any more, pinned or not; it goes back to the free lists.
   */
  endRun(): void {
    this.owned.clear();
    for (const d of this.sourced) this.recycle(d); // recycle deletes d: a Set iterates on past it
  }

  clear(): void {
    this.endRun();
    this.free.clear();
    this.freeBytes = 0;
  }

  private pinInputs(inputs: readonly (Value | undefined)[]): void {
    for (const v of inputs) if (v instanceof Tensor) this.owned.delete(v.data as NumericArray);
  }

  /** `d` is not owned storage: if it is a view of an owned input's array, that array is pinned. */
  private pinViews(d: NumericArray, inputs: readonly (Value | undefined)[]): void {
    let buffer: ArrayBufferLike | undefined;
    for (const v of inputs) {
      if (!(v instanceof Tensor)) continue;
      const src = v.data as NumericArray;
      if (!this.owned.has(src)) continue;
      buffer ??= d.buffer;
      // Storage from a source shares one buffer: there, only an overlapping array is viewed.
      if (src.buffer === buffer && (!this.sourced.has(src) || overlaps(src, d))) this.owned.delete(src);
    }
  }
}

function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}
