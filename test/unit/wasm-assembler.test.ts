import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  encodeI32, encodeU32, FunctionBuilder, ModuleBuilder, ValType, WasmAssemblyError,
} from '../../kernels/wasm/assembler.js';
import { emitGemmModule } from '../../kernels/wasm/gemm-simd.js';
import { KernelMemory, relaxedSimdAvailable, WasmKernelError } from '../../kernels/wasm/host.js';

// The WebAssembly emitter of kernels/wasm/assembler.ts: LEB128 and instruction bytes checked by
// hand against the core spec (binary format) and the SIMD / relaxed-simd proposals' opcode
// tables, whole modules checked by WebAssembly.validate and by running them.

const { i32, f32, v128 } = ValType;
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/** Decoders written from the spec's definition, for round trips. */
function decodeU32(b: Uint8Array): number {
  let v = 0;
  for (let i = 0, scale = 1; i < b.length; i++, scale *= 128) v += (b[i]! & 0x7f) * scale;
  return v;
}
function decodeI32(b: Uint8Array): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++, scale *= 128) v += (b[i]! & 0x7f) * scale;
  return (b[b.length - 1]! & 0x40) !== 0 ? v - scale : v;
}

/** The bytes of a function body as encodeBody emits them, without the locals vector and final end. */
function code(build: (f: FunctionBuilder) => void): string {
  const f = new FunctionBuilder([], []);
  build(f);
  const body = f.encodeBody().toBytes();
  expect(body[0]).toBe(0); // no locals
  expect(body[body.length - 1]).toBe(0x0b);
  return hex(body.subarray(1, body.length - 1));
}

function instantiate(m: ModuleBuilder, memory?: WebAssembly.Memory): WebAssembly.Exports {
  const bytes = m.toBytes();
  expect(WebAssembly.validate(bytes)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), memory ? { env: { memory } } : {}).exports;
}

describe('LEB128', () => {
  it('unsigned: edge cases by hand', () => {
    expect(hex(encodeU32(0))).toBe('00');
    expect(hex(encodeU32(1))).toBe('01');
    expect(hex(encodeU32(127))).toBe('7f');
    expect(hex(encodeU32(128))).toBe('80 01');
    expect(hex(encodeU32(255))).toBe('ff 01');
    expect(hex(encodeU32(16383))).toBe('ff 7f');
    expect(hex(encodeU32(16384))).toBe('80 80 01');
    expect(hex(encodeU32(624485))).toBe('e5 8e 26');
    expect(hex(encodeU32(0x7fffffff))).toBe('ff ff ff ff 07');
    expect(hex(encodeU32(0xffffffff))).toBe('ff ff ff ff 0f');
  });

  it('signed: edge cases by hand (the sign is bit 6 of the last byte)', () => {
    expect(hex(encodeI32(0))).toBe('00');
    expect(hex(encodeI32(-1))).toBe('7f');
    expect(hex(encodeI32(63))).toBe('3f');
    expect(hex(encodeI32(64))).toBe('c0 00');
    expect(hex(encodeI32(-64))).toBe('40');
    expect(hex(encodeI32(-65))).toBe('bf 7f');
    expect(hex(encodeI32(127))).toBe('ff 00');
    expect(hex(encodeI32(-128))).toBe('80 7f');
    expect(hex(encodeI32(-123456))).toBe('c0 bb 78');
    expect(hex(encodeI32(0x7fffffff))).toBe('ff ff ff ff 07');
    expect(hex(encodeI32(-0x80000000))).toBe('80 80 80 80 78');
  });

  it('round-trips every u32 and i32 in at most 5 bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const b = encodeU32(v);
      expect(b.length).toBeLessThanOrEqual(5);
      expect(decodeU32(b)).toBe(v);
      for (let i = 0; i < b.length - 1; i++) expect(b[i]! & 0x80).toBe(0x80);
    }), { numRuns: 500 });
    fc.assert(fc.property(fc.integer(), (v) => {
      const b = encodeI32(v);
      expect(b.length).toBeLessThanOrEqual(5);
      expect(decodeI32(b)).toBe(v);
    }), { numRuns: 500 });
  });

  it('refuses values out of range or not integers', () => {
    for (const v of [-1, 2 ** 32, 1.5, Number.NaN]) expect(() => encodeU32(v)).toThrow(WasmAssemblyError);
    for (const v of [2 ** 31, -(2 ** 31) - 1, 0.5, Infinity]) expect(() => encodeI32(v)).toThrow(WasmAssemblyError);
  });
});

describe('instruction bytes', () => {
  it('scalar and control instructions (core spec, binary format 5.4)', () => {
    expect(code((f) => f.i32Const(42))).toBe('41 2a');
    expect(code((f) => f.i32Const(-1))).toBe('41 7f');
    expect(code((f) => f.i32Const(0x80000000))).toBe('41 80 80 80 80 78'); // an unsigned constant as its two's complement
    expect(code((f) => f.f32Const(1.5))).toBe('43 00 00 c0 3f');
    expect(code((f) => f.mem('i32.load', 8))).toBe('28 02 08');
    expect(code((f) => f.mem('f32.store', 300))).toBe('38 02 ac 02');
    expect(code((f) => f.op('i32.add').op('i32.mul').op('i32.lt_u').op('i32.eqz').op('f32.add').op('f32.mul'))).toBe('6a 6c 49 45 92 94');
    expect(code((f) => f.memorySize().memoryGrow())).toBe('3f 00 40 00');
    expect(code((f) => {
      const outer = f.block();
      const inner = f.loop();
      f.i32Const(1).brIf(outer).br(inner);
      f.end().end();
    })).toBe('02 40 03 40 41 01 0d 01 0c 00 0b 0b');
    expect(code((f) => { f.i32Const(0).if(); f.op('nop').else().op('nop').end(); })).toBe('41 00 04 40 01 05 01 0b');
  });

  it('SIMD instructions: 0xFD then the opcode as LEB128 u32 (SIMD BinarySIMD.md, relaxed-simd)', () => {
    expect(code((f) => f.simdMem('v128.load', 48))).toBe('fd 00 04 30');
    expect(code((f) => f.simdMem('v128.store', 48))).toBe('fd 0b 04 30');
    expect(code((f) => f.simdMem('v128.load32_splat', 48))).toBe('fd 09 02 30');
    expect(code((f) => f.simdMem('v128.load', 16, 2))).toBe('fd 00 02 10');
    expect(code((f) => f.simd('f32x4.splat'))).toBe('fd 13');
    expect(code((f) => f.f32x4ExtractLane(3))).toBe('fd 1f 03');
    expect(code((f) => f.f32x4ReplaceLane(2))).toBe('fd 20 02');
    expect(code((f) => f.simd('f32x4.add'))).toBe('fd e4 01'); // 0xe4 needs two LEB128 bytes
    expect(code((f) => f.simd('f32x4.sub'))).toBe('fd e5 01');
    expect(code((f) => f.simd('f32x4.mul'))).toBe('fd e6 01');
    expect(code((f) => f.simd('f32x4.max'))).toBe('fd e9 01');
    expect(code((f) => f.simd('f32x4.relaxed_madd'))).toBe('fd 85 02'); // 0x105
    expect(code((f) => f.simd('f32x4.relaxed_nmadd'))).toBe('fd 86 02');
    expect(code((f) => f.v128ConstF32(1, 0, 0, -2))).toBe('fd 0c 00 00 80 3f 00 00 00 00 00 00 00 00 00 00 00 c0');
  });

  it('locals are declared in runs of one type', () => {
    const f = new FunctionBuilder([i32], []);
    const l = [f.local(i32), f.local(i32), f.local(v128), f.local(f32)];
    expect(l.map((x) => x.index)).toEqual([1, 2, 3, 4]);
    f.get(l[2]!).op('drop');
    expect(hex(f.encodeBody().toBytes())).toBe('03 02 7f 01 7b 01 7d 20 03 1a 0b');
  });
});

describe('modules', () => {
  it('a one-function module, byte for byte', () => {
    const m = new ModuleBuilder();
    const f = new FunctionBuilder([], [i32]);
    f.i32Const(42);
    m.addFunction(f, 'f');
    expect(hex(m.toBytes())).toBe([
      '00 61 73 6d 01 00 00 00', // magic, version 1
      '01 05 01 60 00 01 7f', // type section: one type, () -> i32
      '03 02 01 00', // function section: function 0 has type 0
      '07 05 01 01 66 00 00', // export section: "f" = function 0
      '0a 06 01 04 00 41 2a 0b', // code section: no locals, i32.const 42, end
    ].join(' '));
    expect((instantiate(m).f as () => number)()).toBe(42);
  });

  it('a memory import, byte for byte', () => {
    const bytes = new ModuleBuilder().importMemory('env', 'memory', { initial: 1 }).toBytes();
    expect(hex(bytes.subarray(8, 8 + 17))).toBe('02 0f 01 03 65 6e 76 06 6d 65 6d 6f 72 79 02 00 01');
    const withMax = new ModuleBuilder().importMemory('env', 'memory', { initial: 2, maximum: 300 }).toBytes();
    expect(hex(withMax.subarray(23, 27))).toBe('01 02 ac 02');
  });

  it('runs loops, branches and if/else', () => {
    const m = new ModuleBuilder();
    // sum(n) = 1 + 2 + ... + n
    const sum = new FunctionBuilder([i32], [i32]);
    const n = sum.params[0]!;
    const acc = sum.local(i32);
    const done = sum.block();
    sum.get(n).op('i32.eqz').brIf(done);
    const top = sum.loop();
    sum.get(acc).get(n).op('i32.add').set(acc);
    sum.get(n).i32Const(1).op('i32.sub').set(n);
    sum.get(n).brIf(top);
    sum.end().end();
    sum.get(acc);
    m.addFunction(sum, 'sum');
    // sign(x) = x < 0 ? -1 : 1, through if/else and a local
    const sign = new FunctionBuilder([i32], [i32]);
    const r = sign.local(i32);
    sign.get(sign.params[0]!).i32Const(0).op('i32.lt_s').if();
    sign.i32Const(-1).set(r);
    sign.else();
    sign.i32Const(1).set(r);
    sign.end();
    sign.get(r);
    m.addFunction(sign, 'sign');
    const ex = instantiate(m);
    expect((ex.sum as (n: number) => number)(0)).toBe(0);
    expect((ex.sum as (n: number) => number)(100)).toBe(5050);
    expect((ex.sign as (n: number) => number)(-7)).toBe(-1);
    expect((ex.sign as (n: number) => number)(7)).toBe(1);
  });

  it('runs SIMD loads, stores with offsets, splat, arithmetic and lanes over an imported memory', () => {
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1 });
    // out[p + 32..] = x[p..] + 2.5 * y[p + 16..]; returns lane 2 of the result with lane 1 replaced.
    const f = new FunctionBuilder([i32], [f32]);
    const p = f.params[0]!;
    const t = f.local(v128);
    f.get(p).get(p).simdMem('v128.load').get(p).simdMem('v128.load', 16).f32Const(2.5).simd('f32x4.splat').simd('f32x4.mul').simd('f32x4.add').tee(t);
    f.simdMem('v128.store', 32);
    f.get(t).f32Const(-9).f32x4ReplaceLane(1).f32x4ExtractLane(2);
    m.addFunction(f, 'f');
    const scalar = new FunctionBuilder([i32], [f32]);
    scalar.get(scalar.params[0]!).mem('f32.load', 4).get(scalar.params[0]!).mem('f32.load', 8).op('f32.mul');
    m.addFunction(scalar, 'g');
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ex = instantiate(m, memory);
    const view = new Float32Array(memory.buffer);
    view.set([1, 2, 3, 4, 10, 20, 30, 40], 4); // byte address 16
    expect((ex.f as (p: number) => number)(16)).toBe(78);
    expect(Array.from(view.subarray(12, 16))).toEqual([26, 52, 78, 104]);
    expect((ex.g as (p: number) => number)(16)).toBe(6);
  });

  it.skipIf(!relaxedSimdAvailable())('runs f32x4.relaxed_madd where the host has relaxed-simd', () => {
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1 });
    const f = new FunctionBuilder([], []);
    f.i32Const(48).i32Const(0).simdMem('v128.load').i32Const(16).simdMem('v128.load').i32Const(32).simdMem('v128.load')
      .simd('f32x4.relaxed_madd').simdMem('v128.store');
    m.addFunction(f, 'f');
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ex = instantiate(m, memory);
    const view = new Float32Array(memory.buffer);
    view.set([1, 2, 3, 4, 5, 6, 7, 8, 0.5, -1, 0, 100]);
    (ex.f as () => void)();
    expect(Array.from(view.subarray(12, 16))).toEqual([5.5, 11, 21, 132]);
  });

  it.skipIf(typeof SharedArrayBuffer === 'undefined')('imports a shared memory (for worker threads)', () => {
    const m = new ModuleBuilder().importMemory('env', 'memory', { initial: 1, maximum: 4, shared: true });
    const f = new FunctionBuilder([i32, f32], []);
    f.get(f.params[0]!).get(f.params[1]!).mem('f32.store');
    m.addFunction(f, 'put');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const ex = instantiate(m, memory);
    (ex.put as (p: number, v: number) => void)(8, 3.25);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(new Float32Array(memory.buffer)[2]).toBe(3.25);
  });

  it('every GEMM module shape validates', () => {
    const fmas = relaxedSimdAvailable() ? [false, true] : [false];
    for (const [mr, nr] of [[4, 8], [2, 16], [6, 8], [3, 12], [1, 4]]) {
      for (const fma of fmas) {
        expect(WebAssembly.validate(emitGemmModule({ mr: mr!, nr: nr!, fma })), `${mr}x${nr} fma ${fma}`).toBe(true);
      }
    }
    expect(() => emitGemmModule({ mr: 4, nr: 6, fma: false })).toThrow(/bad tile/);
  });
});

describe('mistakes are refused where they are made', () => {
  it('names what is wrong', () => {
    const f = new FunctionBuilder([], []);
    expect(() => f.end()).toThrow(/end without an open block/);
    expect(() => f.else()).toThrow(/else without an open if/);
    const closed = f.block();
    f.end();
    expect(() => f.br(closed)).toThrow(/branch to a block that is not open/);
    expect(() => f.f32x4ExtractLane(4)).toThrow(/lane 4 is not 0..3/);
    f.loop();
    expect(() => f.encodeBody()).toThrow(/1 block\(s\) left open/);
    expect(() => new ModuleBuilder().importMemory('env', 'm', { initial: 1, shared: true })).toThrow(/shared memory needs a maximum/);
    expect(() => new FunctionBuilder([], []).i32Const(2 ** 33)).toThrow(WasmAssemblyError);
  });
});

describe('KernelMemory', () => {
  it('grows on demand, keeps its view current, and never shrinks', () => {
    const mem = new KernelMemory(1);
    const small = mem.reserveFloats(100, 'test');
    expect(small.length).toBe(16384);
    small[5] = 7;
    const big = mem.reserveFloats(100_000, 'test');
    expect(big.length).toBeGreaterThanOrEqual(100_000);
    expect(big[5]).toBe(7);
    expect(mem.reserveFloats(10, 'test')).toBe(big);
  });

  it('refuses more than a wasm32 memory can address, naming the caller', () => {
    const mem = new KernelMemory(1);
    let err: unknown;
    try {
      mem.reserveFloats(2 ** 31, 'gemmSimdF32 (huge)');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmKernelError);
    expect((err as WasmKernelError).code).toBe('WASM_MEMORY');
    expect((err as Error).message).toMatch(/gemmSimdF32 \(huge\): needs 8192 MiB/);
  });
});

describe('hosts that refuse to compile WebAssembly bytes (workerd)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('simdAvailable() is false, the engine is null (sessions then use the JS engine), and gemmSimdF32 says so', async () => {
    class RefusingModule {
      constructor() {
        throw new WebAssembly.CompileError('WebAssembly.Module(): Wasm code generation disallowed by embedder');
      }
    }
    vi.stubGlobal('WebAssembly', { ...WebAssembly, validate: WebAssembly.validate, Module: RefusingModule });
    vi.resetModules();
    const g = await import('../../kernels/wasm/engine.js');
    expect(g.simdAvailable()).toBe(false);
    expect(g.wasmSimdGemmEngine()).toBeNull();
    const a = new Float32Array([1, 2, 3, 4]);
    const c = new Float32Array(4);
    expect(() => g.gemmSimdF32(a, {}, a, {}, c, 2, 2, 2)).toThrow(/not available in this host/);
    try {
      g.gemmSimdF32(a, {}, a, {}, c, 2, 2, 2);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('WASM_UNAVAILABLE');
    }
  });

  it('simdAvailable() is false without WebAssembly at all', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    const g = await import('../../kernels/wasm/engine.js');
    expect(g.simdAvailable()).toBe(false);
    expect(g.relaxedSimdAvailable()).toBe(false);
  });
});
