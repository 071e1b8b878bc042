// Format-blind mutations: bit flips, interesting byte and word values, truncation, chunk
// deletion/duplication/insertion, and protobuf varint surgery (a length prefix or a varint value
// rewritten to a huge or negative number, without fixing up the lengths around it).

import type { Rng } from './rng.js';

export interface Mutated {
  readonly bytes: Uint8Array;
  /** What was done, for the failure note ('bit flip at 123'). */
  readonly what: string;
}

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x40, 0x20];
const INTERESTING_U32 = [0x7fffffff, 0xffffffff, 0x80000000, 0x00010000, 0x0000ffff, 0x40000000, 0];

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at));
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

/** A chunk length biased to small: 1-8 mostly, up to 1/8 of the input sometimes. */
function chunkLength(rng: Rng, size: number): number {
  if (size <= 1) return 1;
  return rng.chance(0.8) ? rng.range(1, Math.min(8, size)) : rng.range(1, Math.max(1, size >> 3));
}

export function bitFlip(b: Uint8Array, rng: Rng): Mutated {
  if (!b.length) return { bytes: Uint8Array.of(rng.u32() & 0xff), what: 'bit flip of empty input: one random byte' };
  const out = b.slice();
  const n = rng.range(1, 4);
  const at: number[] = [];
  for (let k = 0; k < n; k++) {
    const i = rng.int(out.length);
    out[i]! ^= 1 << rng.int(8);
    at.push(i);
  }
  return { bytes: out, what: `bit flip at ${at.join(',')}` };
}

export function interestingByte(b: Uint8Array, rng: Rng): Mutated {
  if (!b.length) return { bytes: Uint8Array.of(0xff), what: 'interesting byte on empty input' };
  const out = b.slice();
  const i = rng.int(out.length);
  const v = rng.pick(INTERESTING_BYTES);
  out[i] = v;
  return { bytes: out, what: `byte ${i} = 0x${v.toString(16)}` };
}

export function interestingWord(b: Uint8Array, rng: Rng): Mutated {
  if (b.length < 4) return interestingByte(b, rng);
  const out = b.slice();
  const i = rng.int(out.length - 3);
  const v = rng.pick(INTERESTING_U32);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(i, v, rng.chance(0.5));
  return { bytes: out, what: `u32 at ${i} = 0x${v.toString(16)}` };
}

export function truncate(b: Uint8Array, rng: Rng): Mutated {
  const at = rng.chance(0.5) ? rng.int(b.length + 1) : Math.max(0, b.length - rng.range(1, 16));
  return { bytes: b.slice(0, at), what: `truncate to ${at} bytes` };
}

export function deleteChunk(b: Uint8Array, rng: Rng): Mutated {
  if (!b.length) return { bytes: b, what: 'delete from empty input' };
  const n = chunkLength(rng, b.length);
  const at = rng.int(b.length - n + 1);
  return { bytes: splice(b, at, n), what: `delete ${n} bytes at ${at}` };
}

export function duplicateChunk(b: Uint8Array, rng: Rng): Mutated {
  if (!b.length) return { bytes: b, what: 'duplicate in empty input' };
  const n = chunkLength(rng, b.length);
  const from = rng.int(b.length - n + 1);
  const to = rng.int(b.length + 1);
  return { bytes: splice(b, to, 0, b.slice(from, from + n)), what: `copy ${n} bytes from ${from} to ${to}` };
}

export function insertChunk(b: Uint8Array, rng: Rng): Mutated {
  const n = rng.range(1, 16);
  const at = rng.int(b.length + 1);
  const chunk = rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING_BYTES));
  return { bytes: splice(b, at, 0, chunk), what: `insert ${n} bytes at ${at}` };
}

// ---- protobuf varints, schema-blind ----

interface Span {
  readonly start: number;
  readonly end: number;
  readonly kind: 'length' | 'value' | 'tag';
}

function readVarintAt(b: Uint8Array, p: number): { value: bigint; end: number } | undefined {
  let v = 0n;
  for (let i = 0; i < 10; i++) {
    if (p + i >= b.length) return undefined;
    const x = b[p + i]!;
    v |= BigInt(x & 0x7f) << BigInt(7 * i);
    if (!(x & 0x80)) return { value: v, end: p + i + 1 };
  }
  return undefined;
}

/**
 * Walks `b[start, end)` as protobuf fields and collects the spans of tags, varint values and length
 * prefixes; a length-delimited field that itself parses completely as fields is walked too.
 * Returns false when the range is not a clean sequence of fields.
 */
function collectSpans(b: Uint8Array, start: number, end: number, depth: number, out: Span[]): boolean {
  let p = start;
  const mark = out.length;
  while (p < end) {
    const tag = readVarintAt(b, p);
    if (!tag || tag.end > end || tag.value >> 3n === 0n) { out.length = mark; return false; }
    out.push({ start: p, end: tag.end, kind: 'tag' });
    p = tag.end;
    const wire = Number(tag.value & 7n);
    if (wire === 0) {
      const v = readVarintAt(b, p);
      if (!v || v.end > end) { out.length = mark; return false; }
      out.push({ start: p, end: v.end, kind: 'value' });
      p = v.end;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const len = readVarintAt(b, p);
      if (!len || len.end + Number(len.value) > end) { out.length = mark; return false; }
      out.push({ start: p, end: len.end, kind: 'length' });
      p = len.end;
      const stop = p + Number(len.value);
      if (depth < 24 && stop > p) collectSpans(b, p, stop, depth + 1, out);
      p = stop;
    } else {
      out.length = mark;
      return false;
    }
  }
  if (p !== end) { out.length = mark; return false; }
  return true;
}

/** Span index of a message's varints, computed once per seed file (walking 500 kB costs a few ms). */
const spanCache = new WeakMap<Uint8Array, Span[]>();
export function varintSpans(b: Uint8Array): Span[] {
  let spans = spanCache.get(b);
  if (!spans) {
    spans = [];
    collectSpans(b, 0, b.length, 0, spans);
    spanCache.set(b, spans);
  }
  return spans;
}

export function encodeVarint(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    const low = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x ? low | 0x80 : low);
  } while (x);
  return Uint8Array.from(out);
}

const HUGE_VARINTS: readonly bigint[] = [
  0n, 1n, 0x7fn, 0x80n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 53n, 2n ** 62n,
  2n ** 63n - 1n, -1n, -2n, -(2n ** 31n), -(2n ** 63n),
];

/**
 * Rewrites one varint of a protobuf message (a length prefix, a value or a tag) to a huge, zero or
 * negative number, or nudges a length by one. Enclosing lengths are left as they were.
 */
export function mutateVarint(b: Uint8Array, rng: Rng, spans: readonly Span[] = varintSpans(b)): Mutated {
  if (!spans.length) return bitFlip(b, rng);
  const want = rng.weighted<Span['kind']>([[5, 'length'], [4, 'value'], [1, 'tag']]);
  const pool = spans.filter((s) => s.kind === want);
  const s = rng.pick(pool.length ? pool : spans);
  const old = readVarintAt(b, s.start)!.value;
  let v: bigint;
  if (s.kind === 'tag') {
    v = (old & ~7n) | BigInt(rng.pick([0, 1, 2, 3, 5, 7]));
    if (rng.chance(0.3)) v = (BigInt(rng.range(1, 40)) << 3n) | (old & 7n);
  } else {
    v = rng.chance(0.25) ? old + BigInt(rng.pick([-1, 1, 2, 1000])) : rng.pick(HUGE_VARINTS);
  }
  return { bytes: splice(b, s.start, s.end - s.start, encodeVarint(v)), what: `${s.kind} varint at ${s.start}: ${old} -> ${v}` };
}

export const BYTE_MUTATIONS = [bitFlip, interestingByte, interestingWord, truncate, deleteChunk, duplicateChunk, insertChunk] as const;

/** One format-blind mutation, weighted toward small local changes. */
export function mutateBytes(b: Uint8Array, rng: Rng): Mutated {
  const m = rng.weighted<(b: Uint8Array, r: Rng) => Mutated>([
    [4, bitFlip], [3, interestingByte], [2, interestingWord], [1, truncate], [2, deleteChunk], [2, duplicateChunk], [2, insertChunk],
  ]);
  return m(b, rng);
}

export { splice };
