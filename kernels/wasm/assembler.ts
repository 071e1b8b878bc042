// A small emitter of WebAssembly binary modules, written for tessera's SIMD kernels: no .wasm
// file from another compiler, no text format, no eval. It covers what the kernels need and
// nothing more: function types, a memory import (so JS and the module share one memory, and
// worker threads a SharedArrayBuffer-backed one), i32 globals, functions with locals, exports,
// the scalar i32/f32 instructions, structured control flow, SIMD128 with the relaxed-simd fused
// multiply-add, and the threads proposal's shared memory and i32 atomics.
//
// Encodings follow the WebAssembly core specification (binary format, chapter 5), the SIMD
// proposal's BinarySIMD.md (all SIMD instructions are 0xFD followed by a LEB128 u32 opcode),
// the relaxed-simd proposal (f32x4.relaxed_madd = 0xFD 0x105) and the threads proposal's
// Overview.md (a shared memory's limits flag is 0x03; atomic instructions are 0xFE followed by a
// LEB128 u32 opcode and, for memory accesses, a memarg whose alignment must be the natural one).
// The builder does no type checking of the operand stack: WebAssembly.validate / new
// WebAssembly.Module do that, and the unit tests validate every module the kernels emit.

/** Value types (binary format 5.3.1; v128 from the SIMD proposal). */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Thrown when a module under construction is malformed: an unbalanced block, a value out of range. */
export class WasmAssemblyError extends Error {
  readonly code = 'WASM_ASSEMBLY';
  constructor(message: string) {
    super(message);
    this.name = 'WasmAssemblyError';
  }
}

// ---- byte encoders ---------------------------------------------------------------------------

/** A growable byte buffer. */
export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.byte(bs[i]!);
    return this;
  }

  /** Unsigned LEB128 of an integer in [0, 2^32). */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new WasmAssemblyError(`u32 out of range: ${v}`);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of an integer in [-2^31, 2^31). */
  i32(v: number): this {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new WasmAssemblyError(`i32 out of range: ${v}`);
    for (;;) {
      const b = v & 0x7f;
      v >>= 7; // arithmetic shift keeps the sign
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Signed LEB128 of a safe integer (|v| < 2^53), for i64 immediates. */
  i64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new WasmAssemblyError(`i64 out of range: ${v}`);
    for (;;) {
      const b = ((v % 128) + 128) % 128;
      v = (v - b) / 128; // exact: floor division for either sign
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** An IEEE 754 binary32, little-endian. */
  f32(v: number): this {
    const f = new DataView(new ArrayBuffer(4));
    f.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.byte(f.getUint8(i));
    return this;
  }

  /** A name: its UTF-8 length, then the bytes. */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** A length-prefixed copy of another writer's bytes. */
  sized(w: ByteWriter): this {
    return this.u32(w.length).bytes(w.toBytes());
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

/** Unsigned LEB128 bytes of `v` (for tests and callers that need the raw encoding). */
export function encodeU32(v: number): Uint8Array<ArrayBuffer> {
  return new ByteWriter().u32(v).toBytes();
}

/** Signed LEB128 bytes of `v`. */
export function encodeI32(v: number): Uint8Array<ArrayBuffer> {
  return new ByteWriter().i32(v).toBytes();
}

/** Signed LEB128 bytes of a safe integer as an i64 immediate. */
export function encodeI64(v: number): Uint8Array<ArrayBuffer> {
  return new ByteWriter().i64(v).toBytes();
}

// ---- opcodes -----------------------------------------------------------------------------------

/** Single-byte opcodes (core spec 5.4). */
export const Op = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.get': 0x23, 'global.set': 0x24,
  'i32.load': 0x28, 'f32.load': 0x2a, 'i32.store': 0x36, 'f32.store': 0x38,
  'memory.size': 0x3f, 'memory.grow': 0x40,
  'i32.const': 0x41, 'i64.const': 0x42, 'f32.const': 0x43,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a, 'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_u': 0x6e, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76,
  'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.min': 0x96, 'f32.max': 0x97,
} as const;

/** SIMD opcodes, each emitted as 0xFD then the number as LEB128 u32 (SIMD BinarySIMD.md; relaxed-simd). */
export const SimdOp = {
  'v128.load': 0x00, 'v128.load32_splat': 0x09, 'v128.store': 0x0b, 'v128.const': 0x0c, 'i8x16.shuffle': 0x0d,
  'f32x4.splat': 0x13, 'f32x4.extract_lane': 0x1f, 'f32x4.replace_lane': 0x20,
  'f32x4.nearest': 0x6a, 'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1,
  'f32x4.add': 0xe4, 'f32x4.sub': 0xe5, 'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9,
  'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1, 'i32x4.trunc_sat_f32x4_s': 0xf8,
  'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106,
} as const;

/**
 * Atomic opcodes of the threads proposal (Overview.md, "Instruction encoding"), each emitted as
 * 0xFE then the number as LEB128 u32. Only the i32 forms the kernels may use.
 */
export const AtomicOp = {
  'memory.atomic.notify': 0x00, 'memory.atomic.wait32': 0x01, 'atomic.fence': 0x03,
  'i32.atomic.load': 0x10, 'i32.atomic.store': 0x17,
  'i32.atomic.rmw.add': 0x1e, 'i32.atomic.rmw.sub': 0x25, 'i32.atomic.rmw.and': 0x2c, 'i32.atomic.rmw.or': 0x33,
  'i32.atomic.rmw.xor': 0x3a, 'i32.atomic.rmw.xchg': 0x41, 'i32.atomic.rmw.cmpxchg': 0x48,
} as const;
type AtomicMemOp = Exclude<keyof typeof AtomicOp, 'atomic.fence'>;

const SIMD_PREFIX = 0xfd;
const ATOMIC_PREFIX = 0xfe;
/** The empty block type (5.4.1). */
const BLOCK_EMPTY = 0x40;

type MemOp = 'i32.load' | 'f32.load' | 'i32.store' | 'f32.store';
type SimdMemOp = 'v128.load' | 'v128.load32_splat' | 'v128.store';
/** Natural alignment (log2 bytes) of each memory access. */
const NATURAL_ALIGN: Record<MemOp | SimdMemOp, number> = {
  'i32.load': 2, 'f32.load': 2, 'i32.store': 2, 'f32.store': 2,
  'v128.load': 4, 'v128.load32_splat': 2, 'v128.store': 4,
};

/** The plain (immediate-free) scalar instructions. */
type PlainOp = Exclude<keyof typeof Op,
  'block' | 'loop' | 'if' | 'else' | 'end' | 'br' | 'br_if' | 'call' | 'local.get' | 'local.set' | 'local.tee' |
  'global.get' | 'global.set' |
  MemOp | 'memory.size' | 'memory.grow' | 'i32.const' | 'i64.const' | 'f32.const'>;
/** The immediate-free SIMD instructions. */
type PlainSimdOp = Exclude<keyof typeof SimdOp, SimdMemOp | 'v128.const' | 'i8x16.shuffle' | 'f32x4.extract_lane' | 'f32x4.replace_lane'>;

/** A block, loop or if opened by FunctionBuilder; branch targets are these, not raw depths. */
export interface Label {
  readonly kind: 'block' | 'loop' | 'if';
}

/** A module-level global (ModuleBuilder.addGlobalI32). */
export interface Global {
  readonly index: number;
  readonly type: ValType;
  readonly mutable: boolean;
}

/** A local variable (parameters first, then declared locals). */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/**
 * The body of one function. Instructions are appended in order (stack machine form); control
 * structures return a Label that `br` / `br_if` name, and the builder turns it into the
 * relative depth the binary format wants.
 */
export class FunctionBuilder {
  readonly params: readonly Local[];
  private readonly locals: Local[] = [];
  private readonly code = new ByteWriter();
  private readonly control: Label[] = [];

  constructor(params: readonly ValType[], readonly results: readonly ValType[]) {
    this.params = params.map((type, index) => ({ index, type }));
  }

  /** A new local of `type` (zero-initialised, as the spec guarantees). */
  local(type: ValType): Local {
    const l = { index: this.params.length + this.locals.length, type };
    this.locals.push(l);
    return l;
  }

  /** Any immediate-free scalar instruction by its spec name. */
  op(name: PlainOp): this {
    this.code.byte(Op[name]);
    return this;
  }

  /** Any immediate-free SIMD instruction by its spec name. */
  simd(name: PlainSimdOp): this {
    this.code.byte(SIMD_PREFIX).u32(SimdOp[name]);
    return this;
  }

  /** i32.const of a signed value, or of an unsigned one in [2^31, 2^32) (stored as its two's complement). */
  i32Const(v: number): this {
    this.code.byte(Op['i32.const']).i32(v >= 0x80000000 && v <= 0xffffffff ? v | 0 : v);
    return this;
  }

  f32Const(v: number): this {
    this.code.byte(Op['f32.const']).f32(v);
    return this;
  }

  /** v128.const from four f32 lanes. */
  v128ConstF32(a: number, b: number, c: number, d: number): this {
    this.code.byte(SIMD_PREFIX).u32(SimdOp['v128.const']);
    for (const v of [a, b, c, d]) this.code.f32(v);
    return this;
  }

  /** v128.const from four i32 lanes (two's complement, little-endian). */
  v128ConstI32(a: number, b: number, c: number, d: number): this {
    this.code.byte(SIMD_PREFIX).u32(SimdOp['v128.const']);
    const lanes = new DataView(new ArrayBuffer(16));
    [a, b, c, d].forEach((v, i) => lanes.setInt32(4 * i, v, true));
    for (let i = 0; i < 16; i++) this.code.byte(lanes.getUint8(i));
    return this;
  }

  get(l: Local): this {
    this.code.byte(Op['local.get']).u32(l.index);
    return this;
  }

  set(l: Local): this {
    this.code.byte(Op['local.set']).u32(l.index);
    return this;
  }

  tee(l: Local): this {
    this.code.byte(Op['local.tee']).u32(l.index);
    return this;
  }

  globalGet(g: Global): this {
    this.code.byte(Op['global.get']).u32(g.index);
    return this;
  }

  globalSet(g: Global): this {
    if (!g.mutable) throw new WasmAssemblyError(`global.set of immutable global ${g.index}`);
    this.code.byte(Op['global.set']).u32(g.index);
    return this;
  }

  /** A scalar load or store: address (and value) on the stack, constant byte `offset`. */
  mem(name: MemOp, offset = 0, alignLog2 = NATURAL_ALIGN[name]): this {
    this.code.byte(Op[name]).u32(alignLog2).u32(offset);
    return this;
  }

  /** v128.load / v128.load32_splat / v128.store with a constant byte `offset`. */
  simdMem(name: SimdMemOp, offset = 0, alignLog2 = NATURAL_ALIGN[name]): this {
    this.code.byte(SIMD_PREFIX).u32(SimdOp[name]).u32(alignLog2).u32(offset);
    return this;
  }

  /** i8x16.shuffle: byte i of the result is byte lanes[i] of the two operands (0-15 the first, 16-31 the second). */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
      throw new WasmAssemblyError(`i8x16.shuffle: needs 16 lane indices in 0..31, got [${lanes.join(', ')}]`);
    }
    this.code.byte(SIMD_PREFIX).u32(SimdOp['i8x16.shuffle']).bytes(lanes);
    return this;
  }

  f32x4ExtractLane(lane: number): this {
    return this.lane('f32x4.extract_lane', lane);
  }

  f32x4ReplaceLane(lane: number): this {
    return this.lane('f32x4.replace_lane', lane);
  }

  private lane(name: 'f32x4.extract_lane' | 'f32x4.replace_lane', lane: number): this {
    if (!Number.isInteger(lane) || lane < 0 || lane > 3) throw new WasmAssemblyError(`${name}: lane ${lane} is not 0..3`);
    this.code.byte(SIMD_PREFIX).u32(SimdOp[name]).byte(lane);
    return this;
  }

  /**
   * An atomic memory instruction (threads proposal) with a constant byte `offset`: the address
   * must be 4-byte aligned at run time (a misaligned atomic traps), and the memarg's alignment is
   * always the natural 2 (the spec refuses any other). `memory.atomic.wait32` takes (address,
   * expected i32, timeout i64 in ns, -1 forever) and returns 0 ok / 1 not-equal / 2 timed-out;
   * `memory.atomic.notify` takes (address, count) and returns how many waiters it woke. Both
   * need a shared memory to be useful (wait32 traps on an unshared one).
   */
  atomic(name: AtomicMemOp, offset = 0): this {
    this.code.byte(ATOMIC_PREFIX).u32(AtomicOp[name]).u32(2).u32(offset);
    return this;
  }

  /** atomic.fence: orders this thread's memory accesses (0xFE 0x03 0x00). */
  atomicFence(): this {
    this.code.byte(ATOMIC_PREFIX).u32(AtomicOp['atomic.fence']).byte(0);
    return this;
  }

  /** i64.const (the only i64 instruction: the timeout operand of memory.atomic.wait32). */
  i64Const(v: number): this {
    if (!Number.isSafeInteger(v)) throw new WasmAssemblyError(`i64.const: ${v} is not a safe integer`);
    this.code.byte(Op['i64.const']).i64(v);
    return this;
  }

  memoryGrow(): this {
    this.code.byte(Op['memory.grow']).byte(0);
    return this;
  }

  memorySize(): this {
    this.code.byte(Op['memory.size']).byte(0);
    return this;
  }

  call(funcIndex: number): this {
    this.code.byte(Op.call).u32(funcIndex);
    return this;
  }

  /** Opens a block (a forward branch target: `br` to it jumps past its end). */
  block(): Label {
    return this.open('block');
  }

  /** Opens a loop (a backward branch target: `br` to it jumps to its start). */
  loop(): Label {
    return this.open('loop');
  }

  /** Opens an if on the i32 condition on the stack. */
  if(): Label {
    return this.open('if');
  }

  else(): this {
    const top = this.control[this.control.length - 1];
    if (top?.kind !== 'if') throw new WasmAssemblyError('else without an open if');
    this.code.byte(Op.else);
    return this;
  }

  /** Closes the innermost open block, loop or if. */
  end(): this {
    if (this.control.pop() === undefined) throw new WasmAssemblyError('end without an open block');
    this.code.byte(Op.end);
    return this;
  }

  br(target: Label): this {
    this.code.byte(Op.br).u32(this.depth(target));
    return this;
  }

  brIf(target: Label): this {
    this.code.byte(Op.br_if).u32(this.depth(target));
    return this;
  }

  private open(kind: Label['kind']): Label {
    const l: Label = { kind };
    this.control.push(l);
    this.code.byte(Op[kind]).byte(BLOCK_EMPTY);
    return l;
  }

  private depth(target: Label): number {
    const i = this.control.lastIndexOf(target);
    if (i < 0) throw new WasmAssemblyError(`branch to a ${target.kind} that is not open`);
    return this.control.length - 1 - i;
  }

  /** The code-section entry: locals (run-length grouped by type), the body, and the final end. */
  encodeBody(): ByteWriter {
    if (this.control.length !== 0) throw new WasmAssemblyError(`${this.control.length} block(s) left open`);
    const groups: [number, ValType][] = [];
    for (const l of this.locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === l.type) last[0]++;
      else groups.push([1, l.type]);
    }
    const w = new ByteWriter().u32(groups.length);
    for (const [n, t] of groups) w.u32(n).byte(t);
    w.bytes(this.code.toBytes()).byte(Op.end);
    return w;
  }
}

/** Limits of a memory import, in 64 KiB pages. Shared memories need a maximum. */
export interface MemoryLimits {
  readonly initial: number;
  readonly maximum?: number;
  readonly shared?: boolean;
}

/** A wasm32 memory has at most 65536 pages of 64 KiB (4 GiB). */
const MAX_PAGES = 65536;

const SECTION = { type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const;
const EXTERN_FUNC = 0x00;
const EXTERN_MEMORY = 0x02;
const FUNC_TYPE = 0x60;

/** A module: a memory import and functions, some exported. */
export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeBytes: Uint8Array[] = [];
  private memory: { module: string; name: string; limits: MemoryLimits } | null = null;
  private readonly funcs: { type: number; fn: FunctionBuilder; exportName?: string }[] = [];
  private readonly globals: { global: Global; init: number }[] = [];

  /** Imports the module's one memory as `module.name`. */
  importMemory(module: string, name: string, limits: MemoryLimits): this {
    if (this.memory !== null) throw new WasmAssemblyError('a module imports one memory');
    if (limits.shared === true && limits.maximum === undefined) throw new WasmAssemblyError('a shared memory needs a maximum');
    const { initial, maximum } = limits;
    if (!Number.isInteger(initial) || initial < 0 || initial > MAX_PAGES) throw new WasmAssemblyError(`memory import: initial ${initial} pages is not 0..${MAX_PAGES}`);
    if (maximum !== undefined && (!Number.isInteger(maximum) || maximum < initial || maximum > MAX_PAGES)) {
      throw new WasmAssemblyError(`memory import: maximum ${maximum} pages is not ${initial}..${MAX_PAGES}`);
    }
    this.memory = { module, name, limits };
    return this;
  }

  /**
   * Adds an i32 global (binary format 5.5.9: type, mutability, `i32.const init` as its initial
   * value). Every instance has its own globals, even over a shared memory: a thread's instance can
   * keep per-thread state in one.
   */
  addGlobalI32(init: number, mutable = true): Global {
    const global: Global = { index: this.globals.length, type: ValType.i32, mutable };
    if (!Number.isInteger(init) || init < -0x80000000 || init > 0x7fffffff) throw new WasmAssemblyError(`global init ${init} is not an i32`);
    this.globals.push({ global, init });
    return global;
  }

  /** Adds a function (exported under `exportName` if given); returns its function index. */
  addFunction(fn: FunctionBuilder, exportName?: string): number {
    const sig = new ByteWriter().byte(FUNC_TYPE).u32(fn.params.length);
    for (const p of fn.params) sig.byte(p.type);
    sig.u32(fn.results.length);
    for (const r of fn.results) sig.byte(r);
    const bytes = sig.toBytes();
    const key = bytes.join(',');
    let type = this.types.indexOf(key);
    if (type < 0) {
      type = this.types.length;
      this.types.push(key);
      this.typeBytes.push(bytes);
    }
    this.funcs.push({ type, fn, ...(exportName === undefined ? {} : { exportName }) });
    return this.funcs.length - 1;
  }

  toBytes(): Uint8Array<ArrayBuffer> {
    const out = new ByteWriter().bytes([0x00, 0x61, 0x73, 0x6d]).bytes([0x01, 0x00, 0x00, 0x00]);
    /** A section of `count` entries (left out when empty, as the spec allows). */
    const section = (id: number, count: number, write: (w: ByteWriter) => void) => {
      if (count === 0) return;
      const body = new ByteWriter().u32(count);
      write(body);
      out.byte(id).sized(body);
    };

    section(SECTION.type, this.typeBytes.length, (w) => { for (const t of this.typeBytes) w.bytes(t); });
    const memory = this.memory;
    section(SECTION.import, memory === null ? 0 : 1, (w) => {
      const { module, name, limits } = memory!;
      w.name(module).name(name).byte(EXTERN_MEMORY);
      // Limits flags: 0 = min only, 1 = min and max, 3 = min, max and shared (threads proposal).
      if (limits.maximum === undefined) w.byte(0x00).u32(limits.initial);
      else w.byte(limits.shared === true ? 0x03 : 0x01).u32(limits.initial).u32(limits.maximum);
    });
    section(SECTION.function, this.funcs.length, (w) => { for (const f of this.funcs) w.u32(f.type); });
    section(SECTION.global, this.globals.length, (w) => {
      for (const { global, init } of this.globals) w.byte(global.type).byte(global.mutable ? 1 : 0).byte(Op['i32.const']).i32(init).byte(Op.end);
    });
    const exported = this.funcs.flatMap((f, i) => (f.exportName === undefined ? [] : [[f.exportName, i] as const]));
    section(SECTION.export, exported.length, (w) => { for (const [name, i] of exported) w.name(name).byte(EXTERN_FUNC).u32(i); });
    section(SECTION.code, this.funcs.length, (w) => { for (const f of this.funcs) w.sized(f.fn.encodeBody()); });
    return out.toBytes();
  }
}
