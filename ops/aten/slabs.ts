// Storage for the small float32 outputs of the direct aten paths (float32.ts, shape.ts, nn.ts).
//
// A typed array with a buffer of its own costs V8 an off-heap allocation and later a sweep; in
// this VM a fresh 64 KB buffer costs tens of microseconds (its pages are new), against well
// under a microsecond to view a region of one already made. So outputs up to CARVE_MAX_BYTES are
// views carved from 64 KB slabs:
//
// - Outside a module call (ops run directly, __setstate__ at load) slabs are fresh and never
//   reused: a slab lives while any tensor carved from it does, and a fresh slab is zeroed.
// - During a module call (TorchScriptModule.call / forward) the module's SlabArena hands out its
//   slabs again, call after call. This is safe because nothing carved during a call can be
//   reached after it: the result is copied out of the slabs (ownedStorage, module.ts ownResult),
//   and anything else that could keep a tensor past the call marks the call as escaped
//   (noteEscape): an attribute assignment, a list or dict mutation, a result holding an object or
//   tensor keys, an exception. An escaped call's slabs are abandoned to the GC, not reused. Reused
//   regions are zeroed first, so every carved array starts zeroed as a fresh one would.
//   (Caches that outlive a call hold carved tensors only under weak keys that die with the call:
//   prepared.ts, views.ts, versions.ts.)

import { Tensor } from '../../src/tensor.js';

const SLAB_BYTES = 64 * 1024;
/** Arrays above this many bytes get their own buffer. */
const CARVE_MAX_BYTES = 8 * 1024;

/** Slabs reused by one module, call after call. */
export class SlabArena {
  private slabs: ArrayBuffer[] = [];
  /** Bytes carved from each slab during the current call. */
  private used: number[] = [];
  private index = 0;
  /** Set when something carved may outlive the current call. */
  escaped = false;

  carve(n: number): Float32Array {
    const bytes = 4 * n;
    while (this.index < this.slabs.length && this.used[this.index]! + bytes > SLAB_BYTES) this.index++;
    if (this.index === this.slabs.length) {
      this.slabs.push(new ArrayBuffer(SLAB_BYTES));
      this.used.push(0);
    }
    const at = this.used[this.index]!;
    this.used[this.index] = at + bytes;
    return new Float32Array(this.slabs[this.index]!, at, n);
  }

  /** Ends a call: zeroes what was carved and keeps the slabs, or abandons them when the call escaped. */
  release(reusable: boolean): void {
    if (reusable && !this.escaped) {
      for (let i = 0; i < this.slabs.length; i++) {
        if (this.used[i]! > 0) new Uint8Array(this.slabs[i]!, 0, this.used[i]!).fill(0);
        this.used[i] = 0;
      }
    } else {
      this.slabs = [];
      this.used = [];
    }
    this.index = 0;
    this.escaped = false;
  }
}

let active: SlabArena | null = null;
let fresh = new ArrayBuffer(0);
let freshUsed = 0;

/**
 * Runs `body` (one module call, whose result it copies out of the slabs) with `arena` handing out
 * slabs; a call made inside another joins it.
 */
export function inSlabArena<T>(arena: SlabArena, body: () => T): T {
  if (active !== null) return body();
  active = arena;
  let completed = false;
  try {
    const r = body();
    completed = true;
    return r;
  } finally {
    active = null;
    arena.release(completed);
  }
}

/** Something carved may outlive the current module call: its slabs must not be reused. */
export function noteEscape(): void {
  if (active !== null) active.escaped = true;
}

/** A zeroed float32 array of n elements (no limit check: for sizes already known to fit). */
export function newF32(n: number): Float32Array {
  const bytes = 4 * n;
  if (bytes > CARVE_MAX_BYTES) return new Float32Array(n);
  if (active !== null) return active.carve(n);
  if (freshUsed + bytes > fresh.byteLength) {
    fresh = new ArrayBuffer(SLAB_BYTES);
    freshUsed = 0;
  }
  const a = new Float32Array(fresh, freshUsed, n);
  freshUsed += bytes;
  return a;
}

/** The data of `t` in a buffer of its own: a copy when it is a view into a larger buffer (a slab). */
export function ownedStorage(t: Tensor): Tensor {
  const d = t.data;
  if (Array.isArray(d) || d.byteLength === d.buffer.byteLength) return t;
  return new Tensor(t.type, (d as Float32Array).slice(), t.dims);
}
