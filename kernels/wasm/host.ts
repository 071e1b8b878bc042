// What the host offers the WebAssembly kernels, probed once: run-time compilation of module
// bytes (refused by some hosts: Cloudflare's workerd rejects compiling bytes at run time),
// SIMD128, relaxed-simd, shared memory; and a memory the kernels and JS share, grown on demand
// (a shared one is what worker threads run over: kernels/wasm/threads.ts).

import { FunctionBuilder, ModuleBuilder, ValType } from './assembler.js';
import { precompiledModule } from './precompiled.js';

export { registerPrecompiledModules } from './precompiled.js';

/**
 * A content key of module bytes (FNV-1a 32 and the length): the build writes it next to each
 * file (dist/wasm/modules.json), so a precompiled module is used only for the bytes it was made from.
 */
export function moduleKey(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return `${(h >>> 0).toString(16).padStart(8, '0')}-${bytes.length}`;
}

/** A WebAssembly kernel cannot run here, or cannot get the memory it needs. */
export class WasmKernelError extends Error {
  constructor(readonly code: 'WASM_UNAVAILABLE' | 'WASM_MEMORY', message: string) {
    super(message);
    this.name = 'WasmKernelError';
  }
}

/**
 * Compiles module bytes synchronously (new WebAssembly.Module: no eval, no promise); where that
 * is refused, the module registered under `name` (registerPrecompiledModules) if its key matches;
 * null where WebAssembly is missing, the bytes use a feature the host lacks, or nothing else works.
 */
export function compileModule(bytes: Uint8Array<ArrayBuffer>, name?: string): WebAssembly.Module | null {
  if (typeof WebAssembly !== 'object' || WebAssembly === null) return null;
  try {
    return new WebAssembly.Module(bytes);
  } catch {
    const held = name === undefined ? undefined : precompiledModule(name);
    if (held === undefined || (held.key !== undefined && held.key !== moduleKey(bytes))) return null;
    return held.module;
  }
}

/** A module using f32x4.relaxed_madd. */
function relaxedProbe(): Uint8Array<ArrayBuffer> {
  const f = new FunctionBuilder([], [ValType.f32]);
  f.v128ConstF32(1, 2, 3, 4).v128ConstF32(1, 2, 3, 4).v128ConstF32(1, 2, 3, 4).simd('f32x4.relaxed_madd').f32x4ExtractLane(0);
  const m = new ModuleBuilder();
  m.addFunction(f, 'probe');
  return m.toBytes();
}

let relaxed: boolean | undefined;

/** True when WebAssembly exists and validates relaxed-simd (f32x4.relaxed_madd); probed once. */
export function relaxedSimdAvailable(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = typeof WebAssembly === 'object' && WebAssembly !== null && WebAssembly.validate(relaxedProbe());
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB at most; hosts may give less (memory.grow then throws). */
const MAX_BYTES = 2 ** 32;
/** The most pages a wasm32 memory has (4 GiB). */
export const MAX_MEMORY_PAGES = MAX_BYTES / PAGE;

/** A byte count for a message: MiB, or KiB below one MiB. */
const size = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${Math.ceil(bytes / 1024)} KiB`);

let sharedMemory: boolean | undefined;

/**
 * True when this host makes shared WebAssembly memories that worker threads can use: a
 * SharedArrayBuffer-backed WebAssembly.Memory, Atomics, and (in a browser) cross-origin
 * isolation, without which a shared memory cannot be posted to a worker. Probed once.
 */
export function sharedMemoryAvailable(): boolean {
  if (sharedMemory === undefined) {
    try {
      const g = globalThis as { crossOriginIsolated?: boolean };
      sharedMemory = typeof WebAssembly === 'object' && WebAssembly !== null
        && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && g.crossOriginIsolated !== false
        && new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      sharedMemory = false;
    }
  }
  return sharedMemory;
}

/**
 * A WebAssembly.Memory imported by kernel modules, with a Float32Array view kept current.
 * `KernelMemory.shared` makes one backed by a SharedArrayBuffer, for modules whose memory import
 * is shared (limits flag 0x03) and for worker threads that instantiate them over the same memory.
 */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  /** The memory's maximum in pages (a shared memory has one; a plain one may grow to 4 GiB). */
  readonly maximumPages: number;
  private view: Float32Array;

  /** A plain (unshared) memory of `initialPages` 64 KiB pages; `shared` makes a shared one. */
  constructor(initialPages = 16, shared?: { readonly maximumPages: number }) {
    if (shared === undefined) {
      this.memory = new WebAssembly.Memory({ initial: initialPages });
      this.maximumPages = MAX_MEMORY_PAGES;
    } else {
      this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: shared.maximumPages, shared: true });
      this.maximumPages = shared.maximumPages;
    }
    this.view = new Float32Array(this.memory.buffer);
  }

  /**
   * A shared memory (its buffer a SharedArrayBuffer, growable up to `maximumPages` without ever
   * moving), or null where sharedMemoryAvailable() is false. A module importing it must declare a
   * shared memory whose maximum is at least `maximumPages`. Every thread that views it must take
   * a fresh view after any thread grows it (`view()`); wasm code sees the growth at once.
   */
  static shared(initialPages = 16, maximumPages = MAX_MEMORY_PAGES): KernelMemory | null {
    if (!sharedMemoryAvailable()) return null;
    try {
      return new KernelMemory(initialPages, { maximumPages });
    } catch {
      return null; // the host would not reserve that much address space
    }
  }

  /** True when the buffer is a SharedArrayBuffer. */
  get shared(): boolean {
    return typeof SharedArrayBuffer === 'function' && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** A Float32Array over the whole memory as it is now (refreshed if any thread grew it). */
  floats(): Float32Array {
    return this.reserveFloats(0, 'KernelMemory.floats');
  }

  /**
   * Grows the memory to at least `floats` float32 values (never shrinks) and returns a view of
   * all of it. Growing detaches earlier views: call this again after any call that may grow.
   * `what` names the caller in the error when the host refuses.
   */
  reserveFloats(floats: number, what: string): Float32Array {
    const bytes = floats * 4;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      if (bytes > MAX_BYTES) {
        throw new WasmKernelError('WASM_MEMORY', `${what}: needs ${(bytes / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, over the 4 GiB a wasm32 memory can address`);
      }
      if (bytes > this.maximumPages * PAGE) {
        throw new WasmKernelError('WASM_MEMORY', `${what}: needs ${size(bytes)} of WebAssembly memory, over this shared memory's maximum of ${size(this.maximumPages * PAGE)}`);
      }
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch (e) {
        throw new WasmKernelError('WASM_MEMORY', `${what}: the host refused to grow WebAssembly memory from ${(have / 2 ** 20).toFixed(0)} to ${(bytes / 2 ** 20).toFixed(0)} MiB (${(e as Error).message})`);
      }
    }
    if (this.view.buffer !== this.memory.buffer || this.view.byteLength !== this.memory.buffer.byteLength) {
      this.view = new Float32Array(this.memory.buffer);
      this.buffers?.add(this.view.buffer);
    }
    return this.view;
  }

  /**
   * Every buffer object this shared memory has handed out (one per size it has had): a view made
   * over any of them stays valid after the memory grows, since a shared memory never moves.
   */
  private buffers: WeakSet<ArrayBufferLike> | null = null;

  /**
   * A Float32Array of `length` over floats [off, off + length) of a shared memory, valid for the
   * memory's life (growth does not detach it); null for a plain memory, whose growth would.
   */
  sharedView(off: number, length: number): Float32Array | null {
    if (!this.shared) return null;
    const buffer = this.memory.buffer;
    (this.buffers ??= new WeakSet([this.view.buffer])).add(buffer);
    return new Float32Array(buffer, 4 * off, length);
  }

  /** Where `a` starts in this memory, in floats, if it is a view of it (sharedView); else -1. */
  offsetOf(a: Float32Array): number {
    return this.buffers !== null && this.buffers.has(a.buffer) ? a.byteOffset / 4 : -1;
  }
}
