import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeI64, FunctionBuilder, ModuleBuilder, ValType, WasmAssemblyError } from '../../kernels/wasm/assembler.js';
import { KernelMemory, MAX_MEMORY_PAGES, sharedMemoryAvailable, WasmKernelError } from '../../kernels/wasm/host.js';

// What worker threads need from the assembler and the host: shared memory imports (the threads
// proposal's limits flag 0x03), the i32 atomics (opcodes checked by hand against the threads
// proposal's Overview.md, "Instruction encoding"), and KernelMemory.shared.

const { i32 } = ValType;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const shared = sharedMemoryAvailable();

function code(build: (f: FunctionBuilder) => void): string {
  const f = new FunctionBuilder([], []);
  build(f);
  const body = f.encodeBody().toBytes();
  return hex(body.subarray(1, body.length - 1));
}

/** The spec's signed LEB128, decoded with exact arithmetic. */
function decodeI64(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = v * 128n + BigInt(b[i]! & 0x7f);
  return (b[b.length - 1]! & 0x40) !== 0 ? v - (1n << BigInt(7 * b.length)) : v;
}

describe('atomic instructions (threads proposal)', () => {
  it('0xFE, the opcode as LEB128 u32, then a memarg with the natural alignment', () => {
    expect(code((f) => f.atomic('memory.atomic.notify'))).toBe('fe 00 02 00');
    expect(code((f) => f.atomic('memory.atomic.wait32', 8))).toBe('fe 01 02 08');
    expect(code((f) => f.atomic('i32.atomic.load', 4))).toBe('fe 10 02 04');
    expect(code((f) => f.atomic('i32.atomic.store', 300))).toBe('fe 17 02 ac 02');
    expect(code((f) => f.atomic('i32.atomic.rmw.add'))).toBe('fe 1e 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.sub'))).toBe('fe 25 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.and'))).toBe('fe 2c 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.or'))).toBe('fe 33 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.xor'))).toBe('fe 3a 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.xchg'))).toBe('fe 41 02 00');
    expect(code((f) => f.atomic('i32.atomic.rmw.cmpxchg'))).toBe('fe 48 02 00');
    expect(code((f) => f.atomicFence())).toBe('fe 03 00');
  });

  it('i64.const (the wait timeout): 0x42 then signed LEB128', () => {
    expect(code((f) => f.i64Const(-1))).toBe('42 7f');
    expect(code((f) => f.i64Const(1_000_000))).toBe('42 c0 84 3d');
    expect(hex(encodeI64(2 ** 53 - 1))).toBe('ff ff ff ff ff ff ff 0f');
    expect(hex(encodeI64(-64))).toBe('40');
    expect(hex(encodeI64(-65))).toBe('bf 7f');
    expect(hex(encodeI64(-(2 ** 53 - 1)))).toBe('81 80 80 80 80 80 80 70');
    fc.assert(fc.property(fc.maxSafeInteger(), (v) => {
      expect(decodeI64(encodeI64(v))).toBe(BigInt(v));
    }), { numRuns: 500 });
    expect(() => encodeI64(2 ** 53)).toThrow(WasmAssemblyError);
    expect(() => encodeI64(0.5)).toThrow(WasmAssemblyError);
  });
});

describe('i32 globals (one per instance, even over a shared memory)', () => {
  it('global section and global.get / global.set, byte for byte', () => {
    const m = new ModuleBuilder();
    const g = m.addGlobalI32(-2);
    const f = new FunctionBuilder([], [i32]);
    f.globalGet(g).i32Const(1).op('i32.add').globalSet(g).globalGet(g);
    m.addFunction(f, 'inc');
    const bytes = m.toBytes();
    // section 6: one global, i32 (0x7f), mutable, init expr i32.const -2 end
    expect(hex(bytes)).toContain('06 06 01 7f 01 41 7e 0b');
    expect(code((b) => b.globalGet(g).globalSet(g))).toBe('23 00 24 00');
    const inc = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.inc as () => number;
    expect([inc(), inc(), inc()]).toEqual([-1, 0, 1]);
    const fixed = m.addGlobalI32(7, false);
    expect(() => new FunctionBuilder([], []).globalSet(fixed)).toThrow(/global.set of immutable global 1/);
    expect(() => m.addGlobalI32(2 ** 31)).toThrow(WasmAssemblyError);
  });

  it.skipIf(!shared)('two instances over one shared memory keep their own', () => {
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1, maximum: 1, shared: true });
    const g = m.addGlobalI32(0);
    const set = new FunctionBuilder([i32], []);
    set.get(set.params[0]!).globalSet(g);
    m.addFunction(set, 'set');
    const store = new FunctionBuilder([i32], []);
    store.get(store.params[0]!).globalGet(g).mem('i32.store');
    m.addFunction(store, 'store');
    const module = new WebAssembly.Module(m.toBytes());
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const [a, b] = [0, 1].map(() => new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (x: number) => void>);
    a!.set!(11);
    b!.set!(22);
    a!.store!(0);
    b!.store!(4);
    expect(Array.from(new Int32Array(memory.buffer, 0, 2))).toEqual([11, 22]);
  });
});

describe('shared memory imports', () => {
  it('limits flag 0x03 with initial and maximum, byte for byte', () => {
    const bytes = new ModuleBuilder().importMemory('env', 'memory', { initial: 2, maximum: 65536, shared: true }).toBytes();
    // import section: 1 import, "env" "memory", memory (0x02), flags 0x03, min 2, max 65536
    expect(hex(bytes.subarray(8))).toBe('02 12 01 03 65 6e 76 06 6d 65 6d 6f 72 79 02 03 02 80 80 04');
  });

  it('refuses limits the spec refuses, naming them', () => {
    expect(() => new ModuleBuilder().importMemory('env', 'm', { initial: 4, maximum: 2, shared: true })).toThrow(/maximum 2 pages is not 4..65536/);
    expect(() => new ModuleBuilder().importMemory('env', 'm', { initial: 1, maximum: 65537, shared: true })).toThrow(/maximum 65537/);
    expect(() => new ModuleBuilder().importMemory('env', 'm', { initial: 65537 })).toThrow(/initial 65537 pages/);
  });

  it.skipIf(!shared)('a module of every atomic instruction validates and runs over a shared memory', () => {
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1, maximum: MAX_MEMORY_PAGES, shared: true });
    const binary = (name: Parameters<FunctionBuilder['atomic']>[0], exportName: string) => {
      const f = new FunctionBuilder([i32, i32], [i32]);
      f.get(f.params[0]!).get(f.params[1]!).atomic(name, 4);
      m.addFunction(f, exportName);
    };
    binary('i32.atomic.rmw.add', 'add');
    binary('i32.atomic.rmw.sub', 'sub');
    binary('i32.atomic.rmw.and', 'and');
    binary('i32.atomic.rmw.or', 'or');
    binary('i32.atomic.rmw.xor', 'xor');
    binary('i32.atomic.rmw.xchg', 'xchg');
    binary('memory.atomic.notify', 'notify');
    const load = new FunctionBuilder([i32], [i32]);
    load.atomicFence().get(load.params[0]!).atomic('i32.atomic.load', 4);
    m.addFunction(load, 'load');
    const store = new FunctionBuilder([i32, i32], []);
    store.get(store.params[0]!).get(store.params[1]!).atomic('i32.atomic.store', 4);
    m.addFunction(store, 'store');
    const cas = new FunctionBuilder([i32, i32, i32], [i32]);
    cas.get(cas.params[0]!).get(cas.params[1]!).get(cas.params[2]!).atomic('i32.atomic.rmw.cmpxchg', 4);
    m.addFunction(cas, 'cas');
    // wait32(address, expected) with a timeout of 0 ns: 1 when the value differs, 2 when it times out
    const wait = new FunctionBuilder([i32, i32], [i32]);
    wait.get(wait.params[0]!).get(wait.params[1]!).i64Const(0).atomic('memory.atomic.wait32', 4);
    m.addFunction(wait, 'wait');
    const bytes = m.toBytes();
    expect(WebAssembly.validate(bytes)).toBe(true);

    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_MEMORY_PAGES, shared: true });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
    const view = new Int32Array(memory.buffer);
    // every rmw returns the old value; the cell is byte 8 + 4 = index 3
    (ex.store!)(8, 0b1100);
    expect(ex.add!(8, 3)).toBe(0b1100);
    expect(ex.sub!(8, 1)).toBe(15);
    expect(ex.and!(8, 0b0110)).toBe(14);
    expect(ex.or!(8, 0b0001)).toBe(0b0110);
    expect(ex.xor!(8, 0b0011)).toBe(0b0111);
    expect(ex.xchg!(8, 40)).toBe(0b0100);
    expect(ex.cas!(8, 41, 50)).toBe(40); // expected 41: no swap
    expect(ex.cas!(8, 40, 50)).toBe(40);
    expect(ex.load!(8)).toBe(50);
    expect(Atomics.load(view, 3)).toBe(50);
    expect(ex.wait!(8, 7)).toBe(1);
    expect(ex.wait!(8, 50)).toBe(2);
    expect(ex.notify!(8, 1)).toBe(0);
    expect(() => ex.load!(6)).toThrow(/unaligned|alignment/i); // atomics trap when misaligned
  });
});

describe.skipIf(!shared)('KernelMemory.shared', () => {
  it('is backed by a SharedArrayBuffer, grows in place keeping its contents, and refreshes its view', () => {
    const mem = KernelMemory.shared(1, 64)!;
    expect(mem.shared).toBe(true);
    expect(mem.maximumPages).toBe(64);
    const small = mem.reserveFloats(100, 'test');
    expect(small.buffer).toBeInstanceOf(SharedArrayBuffer);
    small[5] = 7;
    const big = mem.reserveFloats(100_000, 'test');
    expect(big.length).toBeGreaterThanOrEqual(100_000);
    expect(big[5]).toBe(7);
    expect(mem.reserveFloats(10, 'test')).toBe(big);
    // Grown by someone else (a kernel's memory.grow, another thread): floats() sees it.
    mem.memory.grow(2);
    expect(mem.floats().length).toBe(mem.memory.buffer.byteLength / 4);
    expect(mem.floats()[5]).toBe(7);
    expect(new KernelMemory(1).shared).toBe(false);
  });

  it('refuses to grow past its maximum, naming the caller', () => {
    const mem = KernelMemory.shared(1, 4)!;
    let err: unknown;
    try {
      mem.reserveFloats(5 * 16384, 'gemm (test)');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmKernelError);
    expect((err as WasmKernelError).code).toBe('WASM_MEMORY');
    expect((err as Error).message).toMatch(/gemm \(test\): needs 320 KiB .*maximum of 256 KiB/);
  });

  it('links only with a module that declares a shared import with a large enough maximum', () => {
    const mem = KernelMemory.shared(1, 16)!;
    const moduleWith = (limits: { initial: number; maximum?: number; shared?: boolean }) =>
      new WebAssembly.Module(new ModuleBuilder().importMemory('env', 'memory', limits).toBytes());
    expect(() => new WebAssembly.Instance(moduleWith({ initial: 1, maximum: 16, shared: true }), { env: { memory: mem.memory } })).not.toThrow();
    expect(() => new WebAssembly.Instance(moduleWith({ initial: 1, maximum: 8, shared: true }), { env: { memory: mem.memory } })).toThrow(WebAssembly.LinkError);
    expect(() => new WebAssembly.Instance(moduleWith({ initial: 1 }), { env: { memory: mem.memory } })).toThrow(WebAssembly.LinkError);
  });
});

describe('hosts without shared memory', () => {
  it('KernelMemory.shared is null, not an error', async () => {
    const { vi } = await import('vitest');
    vi.stubGlobal('SharedArrayBuffer', undefined);
    vi.resetModules();
    try {
      const host = await import('../../kernels/wasm/host.js');
      expect(host.sharedMemoryAvailable()).toBe(false);
      expect(host.KernelMemory.shared(1, 4)).toBeNull();
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
