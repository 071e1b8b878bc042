// Opcode-aware pickle mutations: the stream is split into opcodes with the loader's own decoder
// (src/formats/pickle/opcodes.ts) so an edit deletes, duplicates, moves or inserts whole opcodes
// and rewrites integer arguments and string lengths, instead of mostly breaking the framing.

import { decodeOp, OPCODES, type DecodedOp } from '../../src/formats/pickle/opcodes.js';
import { mutateBytes, type Mutated, splice } from './mutate-bytes.js';
import type { Rng } from './rng.js';

const latin = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0) & 0xff));

/** Opcodes with plausible arguments, including globals from both sides of the allow-list. */
const PIECES = [
  '(', '.', '0', '1', '2', 'N', '\x88', ']', ')', '}', '\x8f', 'a', 'e', 'l', 't', '\x85', '\x86', '\x87', 'd', 's', 'u',
  '\x90', '\x91', 'R', 'b', 'o', '\x81', '\x92', '\x93', '\x94', 'Q', '\x97', '\x98', 'K\x01', 'K\xff', 'J\xff\xff\xff\xff',
  'J\xff\xff\xff\x7f', 'M\xff\xff', 'I99999999999999999999\n', 'L-1L\n', 'F1e309\n', 'h\x00', 'h\x05', 'q\x00', 'j\xff\xff\xff\x7f',
  'r\xff\xff\xff\xff', 'g0\n', 'p1\n', '\x80\x02', '\x80\x05', '\x95\xff\xff\xff\xff\x00\x00\x00\x00', '\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f',
  '\x8c\x01w', '\x8c\x010', '\x8c\x03cpu', '\x8c\x05torch', '\x8c\x0cFloatStorage', '\x8c\x07storage', 'ccollections\nOrderedDict\n',
  'ctorch._utils\n_rebuild_tensor_v2\n', 'ctorch\nFloatStorage\n', 'ctorch\nLongStorage\n', 'cos\nsystem\n', 'cbuiltins\ngetattr\n',
  'ctorch.jit._pickle\nrestore_type_tag\n', 'c__torch__\nFoo\n', 'cnumpy.core.multiarray\n_reconstruct\n',
];

/**
 * The opcodes of every pickle in `b` (a legacy file holds several back to back), at most 50 000
 * (edits land in the first ones); stops at the first malformed one.
 */
export function opcodesOf(b: Uint8Array): DecodedOp[] {
  const ops: DecodedOp[] = [];
  let pos = 0;
  try {
    while (pos < b.length && ops.length < 50_000) {
      if (!OPCODES[b[pos]!]) break;
      const d = decodeOp(b, pos, 'fuzz');
      ops.push(d);
      pos = d.end;
    }
  } catch { /* keep what decoded */ }
  return ops;
}

const INT_VALUES: Record<string, readonly number[]> = {
  u1: [0, 1, 0x7f, 0xff, 0xfe],
  u2: [0, 0xffff, 0x8000, 0x7fff],
  i4: [0, -1, 0x7fffffff, -0x80000000, 0x10000, 1000000],
  u4: [0, 0xffffffff, 0x7fffffff, 0x80000000],
};

function intArg(op: DecodedOp, rng: Rng): Uint8Array | undefined {
  const kind = op.op.arg;
  if (kind === 'u1') return Uint8Array.of(rng.pick(INT_VALUES.u1!));
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  if (kind === 'u2') { dv.setUint16(0, rng.pick(INT_VALUES.u2!), true); return b.subarray(0, 2); }
  if (kind === 'i4') { dv.setInt32(0, rng.pick(INT_VALUES.i4!), true); return b.subarray(0, 4); }
  if (kind === 'u4') { dv.setUint32(0, rng.pick(INT_VALUES.u4!), true); return b.subarray(0, 4); }
  if (kind === 'u8') { dv.setBigUint64(0, rng.pick([0n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]), true); return b; }
  if (kind === 'f8be') { dv.setFloat64(0, rng.pick([NaN, Infinity, -Infinity, 1e308, -0, 2 ** 53]), false); return b; }
  if (kind === 'decimalnl' || kind === 'longnl') return latin(`${rng.pick(['-1', '0', '99999999999999999999', '9'.repeat(5000), '1e3', ''])}\n`);
  if (kind === 'long1') return Uint8Array.of(8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, rng.pick([0x7f, 0xff, 0x80]));
  return undefined;
}

const STRINGS = ['', 'w', '0', '1', '99999', 'cpu', 'cuda:0', 'torch', 'os', 'system', 'FloatStorage', 'LongStorage', '_rebuild_tensor_v2',
  'storage', '../../etc/passwd', 'archive/data/0', '__setstate__', 'forward', '__torch__.Foo', 'x'.repeat(300)];

/** One opcode-level edit of `b`; falls back to a byte mutation when nothing decodes. */
export function mutatePickle(b: Uint8Array, rng: Rng): Mutated {
  const ops = opcodesOf(b);
  if (ops.length < 2) return mutateBytes(b, rng);
  const op = rng.pick(ops);
  const raw = b.subarray(op.pos, op.end);
  const kind = rng.weighted<string>([[3, 'arg'], [2, 'delete'], [2, 'duplicate'], [1, 'move'], [3, 'insert'], [2, 'string'], [1, 'bytes']]);
  switch (kind) {
    case 'arg': {
      const arg = intArg(op, rng);
      if (!arg) break;
      return { bytes: splice(b, op.pos + 1, op.end - op.pos - 1, arg), what: `pickle: ${op.op.name} at ${op.pos} argument rewritten` };
    }
    case 'delete': return { bytes: splice(b, op.pos, op.end - op.pos), what: `pickle: ${op.op.name} at ${op.pos} deleted` };
    case 'duplicate': {
      const n = rng.chance(0.9) ? 1 : rng.range(2, 2000);
      const copy = new Uint8Array(raw.length * n);
      for (let k = 0; k < n; k++) copy.set(raw, k * raw.length);
      return { bytes: splice(b, op.end, 0, copy), what: `pickle: ${op.op.name} at ${op.pos} repeated ${n}x` };
    }
    case 'move': {
      const to = rng.pick(ops);
      const without = splice(b, op.pos, op.end - op.pos);
      const at = to.pos > op.pos ? to.pos - raw.length : to.pos;
      return { bytes: splice(without, Math.max(0, at), 0, raw.slice()), what: `pickle: ${op.op.name} at ${op.pos} moved to ${to.pos}` };
    }
    case 'insert': {
      const piece = rng.pick(PIECES);
      return { bytes: splice(b, op.pos, 0, latin(piece)), what: `pickle: inserted ${JSON.stringify(piece)} at ${op.pos}` };
    }
    case 'string': {
      const strs = ops.filter((o) => o.op.cls === 'string' || o.op.cls === 'global');
      if (!strs.length) break;
      const s = rng.pick(strs);
      if (s.op.arg === 'utf8_1') {
        const text = rng.pick(STRINGS).slice(0, 255);
        return { bytes: splice(b, s.pos + 1, s.end - s.pos - 1, latin(String.fromCharCode(text.length) + text)), what: `pickle: string at ${s.pos} = ${JSON.stringify(text.slice(0, 40))}` };
      }
      if (s.op.arg === 'line2') {
        const text = `${rng.pick(['torch', 'collections', 'os', 'builtins', '__torch__', 'torch._utils'])}\n${rng.pick(STRINGS)}\n`;
        return { bytes: splice(b, s.pos + 1, s.end - s.pos - 1, latin(text)), what: `pickle: GLOBAL at ${s.pos} = ${JSON.stringify(text)}` };
      }
      // A length prefix that no longer matches the payload.
      if (s.end - s.pos > 1) {
        const out = b.slice();
        const width = s.op.arg.endsWith('_1') || s.op.arg === 'bytes1' ? 1 : s.op.arg.endsWith('8') ? 8 : 4;
        const v = rng.pick([0, 1, 0x7f, 0xff, 0x7fffffff, 0xffffffff]);
        for (let k = 0; k < width && s.pos + 1 + k < out.length; k++) out[s.pos + 1 + k] = k < 4 ? (v >>> (8 * k)) & 0xff : 0;
        return { bytes: out, what: `pickle: ${s.op.name} at ${s.pos} length prefix = ${v}` };
      }
      break;
    }
  }
  return mutateBytes(b, rng);
}
