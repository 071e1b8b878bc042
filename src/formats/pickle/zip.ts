// A read-only zip reader for torch.save archives. Member names are only looked up, never used as
// paths; names that would traverse (.., absolute, backslash, drive letters) are refused. Inflating
// streams in small chunks and stops at the declared size or the byte budget, whichever is smaller,
// so a zip bomb is cut off at the limit; a member that inflates past its declared size is an error.

import { concatBytes } from '../../bytes.js';
import { Inflate, inflateSync } from 'fflate';
import { ModelFormatError, ResourceLimitError } from '../../errors.js';
import type { Budget } from './values.js';

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

const CHUNK = 16 * 1024;
const MAX_ENTRIES = 1_000_000;

let crcTable: Uint32Array | undefined;
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Why a member name is refused, or undefined when it is an ordinary relative name. */
export function unsafeMemberName(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.includes('\0')) return 'NUL in name';
  if (name.includes('\\')) return 'backslash in name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  if (name.split('/').some((s) => s === '..')) return "'..' path segment";
  return undefined;
}

export interface ZipOpenOptions {
  /**
   * List encrypted members (read() refuses each) instead of refusing the archive. torchLoad
   * refuses the archive; a scanner lists them as members it cannot inspect.
   */
  readonly listEncrypted?: boolean;
}

export class ZipArchive {
  private readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly bytes: Uint8Array, private readonly part = 'zip', options: ZipOpenOptions = {}) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u16 = (o: number): number => this.check(o, 2) && dv.getUint16(o, true);
    const u32 = (o: number): number => this.check(o, 4) && dv.getUint32(o, true);
    const u64 = (o: number): number => {
      const lo = u32(o), hi = u32(o + 4);
      if (hi > 0x1fffff) throw new ModelFormatError(`${part}: 64-bit field at offset ${o} is too large`);
      return hi * 2 ** 32 + lo;
    };
    let eocd = -1;
    for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 0xffff); o--) {
      if (dv.getUint32(o, true) === 0x06054b50) { eocd = o; break; }
    }
    if (eocd < 0) throw new ModelFormatError(`${part}: no end-of-central-directory record (truncated zip?)`);
    let count = u16(eocd + 10);
    let cdSize = u32(eocd + 12);
    let cdOffset = u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || u32(loc) !== 0x07064b50) throw new ModelFormatError(`${part}: zip64 locator missing`);
      const rec = u64(loc + 8);
      if (u32(rec) !== 0x06064b50) throw new ModelFormatError(`${part}: zip64 end record missing at offset ${rec}`);
      count = u64(rec + 32); cdSize = u64(rec + 40); cdOffset = u64(rec + 48);
    }
    if (count > MAX_ENTRIES) throw new ResourceLimitError(`${part}: ${count} entries exceed ${MAX_ENTRIES}`);
    if (cdOffset + cdSize > bytes.length) throw new ModelFormatError(`${part}: central directory at ${cdOffset} (+${cdSize}) lies past the end`);
    let p = cdOffset;
    const dec = new TextDecoder('utf-8', { fatal: false });
    for (let i = 0; i < count; i++) {
      if (u32(p) !== 0x02014b50) throw new ModelFormatError(`${part}: bad central directory entry ${i} at offset ${p}`);
      const flags = u16(p + 8), method = u16(p + 10), crc = u32(p + 16);
      let csize = u32(p + 20), size = u32(p + 24);
      const nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
      let local = u32(p + 42);
      this.check(p + 46, nameLen + extraLen + commentLen);
      const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64 extra field: the 0xffffffff fields, in order size, compressed size, offset.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = u16(e), len = u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) { size = u64(q); q += 8; }
          if (csize === 0xffffffff) { csize = u64(q); q += 8; }
          if (local === 0xffffffff) { local = u64(q); q += 8; }
        }
        e += 4 + len;
      }
      const why = unsafeMemberName(name);
      if (why) throw new ModelFormatError(`${part}: member name ${JSON.stringify(name)} refused (${why})`);
      if (this.entries.has(name)) throw new ModelFormatError(`${part}: duplicate member ${JSON.stringify(name)}`);
      if (flags & 1 && !options.listEncrypted) throw new ModelFormatError(`${part}: member ${JSON.stringify(name)} is encrypted`);
      this.entries.set(name, { name, method, flags, crc, compressedSize: csize, size, localOffset: local });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  private check(o: number, n: number): true {
    if (o < 0 || o + n > this.bytes.length) throw new ModelFormatError(`${this.part}: structure at offset ${o} runs past the end`);
    return true;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** True for a member whose bytes are encrypted (listed only with `listEncrypted`). */
  isEncrypted(name: string): boolean {
    return ((this.entries.get(name)?.flags ?? 0) & 1) === 1;
  }

  /** The member's bytes. Stored members are views of the input; deflated ones count against the budget. */
  read(name: string, budget: Budget): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new ModelFormatError(`${this.part}: no member ${JSON.stringify(name)}`);
    const what = `${this.part}: member ${JSON.stringify(name)}`;
    if (e.flags & 1) throw new ModelFormatError(`${what} is encrypted`);
    const dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.check(e.localOffset, 30);
    if (dv.getUint32(e.localOffset, true) !== 0x04034b50) throw new ModelFormatError(`${what}: bad local header`);
    const start = e.localOffset + 30 + dv.getUint16(e.localOffset + 26, true) + dv.getUint16(e.localOffset + 28, true);
    if (e.compressedSize > this.bytes.length - start) {
      throw new ModelFormatError(`${what}: claims ${e.compressedSize} bytes, ${Math.max(0, this.bytes.length - start)} remain`);
    }
    const comp = this.bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.size !== e.compressedSize) throw new ModelFormatError(`${what}: stored member sizes disagree`);
      out = comp;
    } else if (e.method === 8) {
      out = inflateCapped(comp, e.size, budget, what);
    } else {
      throw new ModelFormatError(`${what}: unsupported compression method ${e.method}`);
    }
    if (crc32(out) !== e.crc) throw new ModelFormatError(`${what}: CRC-32 mismatch`);
    return out;
  }
}

/** Inflates `comp`, stopping with an error as soon as output passes `declared` or the budget. */
export function inflateCapped(comp: Uint8Array, declared: number, budget: Budget, what: string): Uint8Array {
  const room = budget.limits.maxBytes - budget.bytes;
  if (declared > room) {
    throw new ResourceLimitError(`${what}: declares ${declared} bytes, past the byte limit maxBytes=${budget.limits.maxBytes}`, 'maxBytes', budget.bytes + declared, budget.limits.maxBytes);
  }
  // Deflate expands at most ~1032:1. When even that could not take the output far past the declared
  // size, inflate in one call into a buffer one byte longer than declared (fflate drops writes past
  // its end, so a full buffer means the member lies about its size); otherwise stream, below.
  if (comp.length * 1032 <= 4 * declared + (1 << 20)) {
    let out: Uint8Array;
    try {
      out = inflateSync(comp, { out: new Uint8Array(declared + 1) });
    } catch (e) {
      throw new ModelFormatError(`${what}: corrupt deflate data (${(e as Error)?.message ?? e})`);
    }
    if (out.length > declared) throw new ModelFormatError(`${what}: inflates past its declared size ${declared}`);
    if (out.length !== declared) throw new ModelFormatError(`${what}: inflated to ${out.length} bytes, declared ${declared}`);
    budget.chargeBytes(declared, what);
    return out;
  }
  // Deflate expands at most ~1032:1, so one push of `step` compressed bytes yields at most about
  // 1032*step bytes before the callback can object: keep that overshoot near the room left.
  const step = Math.max(1024, Math.min(CHUNK, Math.floor(room / 1032)));
  const chunks: Uint8Array[] = [];
  let total = 0;
  let done = false;
  const inf = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > room) {
      throw new ResourceLimitError(`${what}: inflating passed the byte limit maxBytes=${budget.limits.maxBytes}`, 'maxBytes', budget.bytes + total, budget.limits.maxBytes);
    }
    if (total > declared) throw new ModelFormatError(`${what}: inflates past its declared size ${declared}`);
    chunks.push(chunk);
    if (final) done = true;
  });
  try {
    if (comp.length === 0) inf.push(new Uint8Array(0), true);
    for (let i = 0; i < comp.length; i += step) inf.push(comp.subarray(i, i + step), i + step >= comp.length);
  } catch (e) {
    if (e instanceof ResourceLimitError || e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${what}: corrupt deflate data (${(e as Error)?.message ?? e})`);
  }
  if (!done || total !== declared) throw new ModelFormatError(`${what}: inflated to ${total} bytes, declared ${declared}`);
  budget.chargeBytes(total, what);
  return concatBytes(chunks);
}
