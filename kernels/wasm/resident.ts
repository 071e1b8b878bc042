// Constant GEMM panels kept in WebAssembly memory across calls, and the scratch above them.
//
// A session's packed weights (packGemmA / packGemmB panels, Winograd's transformed weights) are
// read by every run; copying them into the kernels' memory on every call would cost a memcpy of
// all of them per run (resnet18: ~45 MB, several ms). So the engine keeps a copy of a constant
// panel array in its memory, addressed by the array's identity, from the second time it is used
// (a panel array packed per call and used once is never kept). Memory layout, in floats:
//
//     [0, top)    resident panel arrays and, in a shared memory, tensor storage for the session's
//                 activations (tensorStorage); holes left by released ones (a first-fit free list)
//     [top, ...)  scratch for the current call (operand blocks, C blocks); see `scratchBase`
//
// A resident copy is released when its JS array is garbage-collected (FinalizationRegistry);
// its hole is reused, and `top` falls when the hole is at the end. WebAssembly memory never
// shrinks, so the kept total is capped (`budgetFloats`): past it, arrays are copied per call.
// Every region starts on a 16-byte boundary.

import type { KernelMemory } from './host.js';

interface Region {
  off: number;
  len: number;
}

interface Entry {
  /** The resident copy, or null while the array has been seen only once. */
  region: Region | null;
  /** Keys (offsets into the array) seen so far: a second sighting of one makes the array resident. */
  readonly seen: Set<number>;
}

const vec4 = (n: number): number => Math.ceil(n / 4) * 4;

/** The resident panels of one KernelMemory and the boundary of its scratch. */
export class ResidentPanels {
  private top = 0;
  private used = 0;
  /** Holes below `top`, sorted by offset, never adjacent to each other. */
  private readonly holes: Region[] = [];
  private readonly entries = new WeakMap<Float32Array, Entry>();
  private readonly registry: FinalizationRegistry<Region> | null;

  constructor(private readonly memory: KernelMemory, readonly budgetFloats: number) {
    this.registry = typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry<Region>((r) => this.release(r))
      : null;
  }

  /** First float past the resident regions: a call's scratch starts here (16-byte aligned). */
  get scratchBase(): number {
    return this.top;
  }

  /**
   * Grows the memory to at least `floats` (never shrinks) and returns a view of all of it: by
   * half again its size at least when it must grow, since growing may copy the whole memory
   * (uploading a model's weights one array at a time would otherwise copy quadratically), or
   * exactly `floats` if the host refuses that much.
   */
  reserve(floats: number, what: string): Float32Array {
    const have = this.memory.memory.buffer.byteLength / 4;
    if (floats > have) {
      try {
        return this.memory.reserveFloats(Math.max(floats, Math.floor(have * 1.5)), what);
      } catch {
        // fall through: the exact size, with the host's refusal as the error if it refuses that too
      }
    }
    return this.memory.reserveFloats(floats, what);
  }

  /** Floats held by resident copies. */
  get residentFloats(): number {
    return this.used;
  }

  /**
   * Where panels[0] lives in memory (in floats), or -1 when the array is not resident. `key`
   * names the part of the array the caller reads (an offset into it): the second call with a
   * key already seen copies the whole array in, since the same constant operand is then being
   * used again (a later run, another image of the batch). Call before laying out scratch: an
   * upload may move `scratchBase` up and grow the memory. Without FinalizationRegistry nothing
   * could be released, so nothing is kept.
   */
  locate(panels: Float32Array, key: number, what: string): number {
    let e = this.entries.get(panels);
    if (e === undefined) {
      e = { region: null, seen: new Set([key]) };
      this.entries.set(panels, e);
      return -1;
    }
    if (e.region !== null) return e.region.off;
    if (!e.seen.has(key)) {
      e.seen.add(key);
      return -1;
    }
    const len = vec4(panels.length);
    if (this.registry === null || this.used + len > this.budgetFloats) return -1;
    const r = this.allocate(len, what);
    this.reserve(r.off + len, what).set(panels, r.off);
    e.region = r;
    this.used += len;
    this.registry.register(panels, r);
    return r.off;
  }

  /**
   * Storage for a tensor of `length` floats inside a shared memory, for a session's activation
   * arena: kernels then read and write it in place (offsetOf) instead of copying it in and out
   * around every call. It is a region like a resident panel array's (below the scratch, counted
   * against the same budget, released when the array is garbage-collected). Null for a plain
   * memory (growing one would detach the array), past the budget, or where the host refuses to
   * grow the memory.
   */
  tensorStorage(length: number): Float32Array | null {
    if (this.registry === null || !this.memory.shared || length === 0) return null;
    const len = vec4(length);
    if (this.used + len > this.budgetFloats) return null;
    let r: Region;
    try {
      r = this.allocate(len, 'tensor storage');
    } catch {
      return null;
    }
    const a = this.memory.sharedView(r.off, length)!;
    this.used += len;
    this.registry.register(a, r);
    return a;
  }

  /** Where `a` starts in the memory, in floats, when it is storage from tensorStorage (or any view of the shared memory); else -1. */
  offsetOf(a: Float32Array): number {
    return this.memory.offsetOf(a);
  }

  /**
   * Where a kernel may write its output `y` (`floats` of it) in place: y's offset when it is
   * storage in the memory and overlaps none of `inputs` (each [offset, floats], offset -1 for an
   * input copied in instead); else -1 (then the output goes to scratch and is copied out).
   */
  outputOffset(y: Float32Array, floats: number, inputs: readonly (readonly [number, number])[]): number {
    const at = this.memory.offsetOf(y);
    if (at < 0) return -1;
    for (const [i, n] of inputs) if (i >= 0 && i < at + floats && at < i + n) return -1;
    return at;
  }

  private allocate(len: number, what: string): Region {
    for (let i = 0; i < this.holes.length; i++) {
      const h = this.holes[i]!;
      if (h.len < len) continue;
      const r = { off: h.off, len };
      if (h.len === len) this.holes.splice(i, 1);
      else { h.off += len; h.len -= len; }
      return r;
    }
    // Grow first, so that a refusal leaves `top` where it was.
    this.reserve(this.top + len, what);
    const r = { off: this.top, len };
    this.top += len;
    return r;
  }

  /** Returns a region to the free list (merging neighbours; lowering `top` when it is the last). */
  private release(r: Region): void {
    this.used -= r.len;
    let i = 0;
    while (i < this.holes.length && this.holes[i]!.off < r.off) i++;
    const prev = this.holes[i - 1];
    const next = this.holes[i];
    let h: Region;
    if (prev !== undefined && prev.off + prev.len === r.off) {
      prev.len += r.len;
      h = prev;
      i--;
    } else {
      h = { off: r.off, len: r.len };
      this.holes.splice(i, 0, h);
    }
    if (next !== undefined && h.off + h.len === next.off) {
      h.len += next.len;
      this.holes.splice(i + 1, 1);
    }
    if (h.off + h.len === this.top) {
      this.top = h.off;
      this.holes.splice(i, 1);
    }
  }
}
