// Writes pickles opcode by opcode (never by pickling a live object), and small zip archives,
// for the hostile corpus and the property tests.

import { deflateSync } from 'fflate';

const enc = new TextEncoder();

export class PickleWriter {
  private readonly out: number[] = [];

  op(code: string): this {
    for (const c of code) this.out.push(c.charCodeAt(0));
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i]!);
    return this;
  }
  u32(n: number): this {
    return this.raw([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
  }
  u64(n: bigint): this {
    for (let i = 0n; i < 8n; i++) this.out.push(Number((n >> (8n * i)) & 0xffn));
    return this;
  }
  proto(n: number): this { return this.raw([0x80, n]); }
  mark(): this { return this.op('('); }
  stop(): this { return this.op('.'); }
  none(): this { return this.op('N'); }
  /** GLOBAL 'module\nname\n'. */
  global(module: string, name: string): this { return this.op('c').raw(enc.encode(`${module}\n${name}\n`)); }
  /** SHORT_BINUNICODE / BINUNICODE. */
  str(s: string): this {
    const b = enc.encode(s);
    return b.length < 256 ? this.raw([0x8c, b.length]).raw(b) : this.op('X').u32(b.length).raw(b);
  }
  /** Protocol 0 STRING with a repr literal. */
  textString(s: string): this { return this.op('S').raw(enc.encode(`'${s}'\n`)); }
  int(n: number): this {
    return n >= 0 && n < 256 ? this.raw([0x4b, n]) : this.op('J').u32(n | 0);
  }
  bytes(b: ArrayLike<number>): this { return this.op('B').u32(b.length).raw(b); }
  tuple(n: 0 | 1 | 2 | 3): this { return this.op([')', '\x85', '\x86', '\x87'][n]!); }
  emptyDict(): this { return this.op('}'); }
  emptyList(): this { return this.op(']'); }
  binput(i: number): this { return this.raw([0x71, i]); }
  binget(i: number): this { return this.raw([0x68, i]); }
  reduce(): this { return this.op('R'); }
  build(): this { return this.op('b'); }
  setitem(): this { return this.op('s'); }
  get length(): number { return this.out.length; }
  done(): Uint8Array { return Uint8Array.from(this.out); }
}

export const P = (): PickleWriter => new PickleWriter();

/** `_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
export function tensorRef(w: PickleWriter, key: string, numel: number, offset: number, size: number[], stride: number[]): PickleWriter {
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(numel).op('t').op('Q');
  w.int(offset).mark();
  for (const s of size) w.int(s);
  w.op('t').mark();
  for (const s of stride) w.int(s);
  w.op('t').op('\x89').global('collections', 'OrderedDict').tuple(0).reduce().op('t').reduce();
  return w;
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
  /** Lie about the compressed size in the central directory. */
  compressedSizeClaim?: number;
  /** Set the 'encrypted' flag (bit 0); the bytes are stored as given. */
  encrypted?: boolean;
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A minimal zip writer (stored or deflated members, no zip64). */
export function writeZip(members: ZipMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = enc.encode(m.name);
    const body = m.deflate ? deflateSync(m.data, { level: 9 }) : m.data;
    const crc = crc32(m.data);
    const size = m.declaredSize ?? m.data.length;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); lv.setUint16(4, 20, true); lv.setUint16(6, m.encrypted ? 1 : 0, true); lv.setUint16(8, m.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true); lv.setUint32(18, body.length, true); lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true); local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint16(8, m.encrypted ? 1 : 0, true);
    cv.setUint16(10, m.deflate ? 8 : 0, true); cv.setUint32(16, crc, true); cv.setUint32(20, m.compressedSizeClaim ?? body.length, true);
    cv.setUint32(24, size, true); cv.setUint16(28, name.length, true); cv.setUint32(42, offset, true); cd.set(name, 46);
    parts.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true); ev.setUint16(8, members.length, true); ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true); ev.setUint32(16, offset, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const a of all) { out.set(a, o); o += a.length; }
  return out;
}

export function floats(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A .npy file (format 1.0) with `descr` written as given ("'<f4'", "'|O'", "[('a', '|O')]") and raw data after the header. */
export function writeNpyRaw(descr: string, shape: number[], data: ArrayLike<number>): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': ${descr}, 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const h = enc.encode(header);
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  out.set(h, 10);
  out.set(Array.from(data), 10 + h.length);
  return out;
}

/** A ustar archive of regular files (no compression), as Python's tarfile writes it. */
export function writeTar(members: Array<{ name: string; data: Uint8Array }>): Uint8Array {
  const blocks: Uint8Array[] = [];
  const octal = (n: number, len: number): string => `${n.toString(8).padStart(len - 1, '0')}\0`;
  for (const m of members) {
    const h = new Uint8Array(512);
    const put = (s: string, at: number): void => { h.set(enc.encode(s), at); };
    put(m.name, 0); put(octal(0o644, 8), 100); put(octal(0, 8), 108); put(octal(0, 8), 116);
    put(octal(m.data.length, 12), 124); put(octal(0, 12), 136); put('        ', 148); put('0', 156);
    put('ustar\0', 257); put('00', 263);
    const sum = h.reduce((a, b) => a + b, 0);
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, m.data, new Uint8Array((512 - (m.data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of blocks) { out.set(b, o); o += b.length; }
  return out;
}
