// fast-check: random bytes, random opcode sequences and mutated real files never produce an
// untyped exception or a hang, from torchLoad or scanPickle.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TesseraError } from '../../src/errors.js';
import { scanPickle, torchLoad } from '../../src/formats/pickle/index.js';
import { ZipArchive } from '../../src/formats/pickle/zip.js';
import { Budget } from '../../src/formats/pickle/values.js';
import { floats, P, writeZip } from './hostile/pickle-writer.js';

const DIR = join(import.meta.dirname, '../../spec-models/pickle');
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const LIMITS = { maxBytes: 64 << 20, maxObjects: 200_000 };

function loadIsTyped(bytes: Uint8Array): void {
  const t0 = performance.now();
  try {
    torchLoad(bytes, { limits: LIMITS });
  } catch (e) {
    if (!(e instanceof TesseraError)) throw new Error(`untyped ${String(e)} (${(e as Error)?.stack})`);
  }
  const report = scanPickle(bytes);
  expect(['safe', 'unsafe', 'malformed', 'not-pickle']).toContain(report.verdict);
  expect(performance.now() - t0).toBeLessThan(2000);
}

/** Pieces of pickles: opcodes with plausible arguments, globals from both sides of the allow-list. */
const piece = fc.oneof(
  fc.constantFrom(
    '(', '.', '0', '1', '2', 'N', '\x88', '\x89', ']', ')', '}', '\x8f', 'a', 'e', 'l', 't', '\x85', '\x86', '\x87',
    'd', 's', 'u', '\x90', '\x91', 'R', 'b', 'o', '\x81', '\x92', '\x93', '\x94', 'Q', '\x97', '\x98',
    'K\x01', 'K\xff', 'J\xff\xff\xff\xff', 'M\x00\x01', 'G\x3f\xf0\x00\x00\x00\x00\x00\x00', 'I01\n', 'I-7\n',
    'L123L\n', 'F1.5\n', "S'ab\\x00'\n", 'Vh\\u00e9\n', '\x8a\x02\xff\x7f', 'C\x02ab', 'U\x01a', 'B\x01\x00\x00\x00z',
    '\x8c\x02ab', '\x8c\x05torch', '\x8c\x05Float', 'h\x00', 'h\x01', 'q\x00', 'q\x01', 'j\x00\x00\x00\x00', 'r\x02\x00\x00\x00',
    'g0\n', 'p3\n', '\x80\x02', '\x80\x05', '\x95\x02\x00\x00\x00\x00\x00\x00\x00', 'Pkey\n', '\x82\x01',
    'ccollections\nOrderedDict\n', 'cos\nsystem\n', 'ctorch\nFloatStorage\n', 'ctorch._utils\n_rebuild_tensor_v2\n',
    'cnumpy.core.multiarray\n_reconstruct\n', 'cnumpy\nndarray\n', 'cnumpy\ndtype\n', 'cbuiltins\nset\n',
    'c__builtin__\nslice\n', 'c_codecs\nencode\n', 'ctorch\nSize\n', 'itorch\ndevice\n', 'ibuiltins\neval\n',
  ),
  fc.uint8Array({ maxLength: 4 }).map((b) => String.fromCharCode(...b)),
);
const opcodeSoup = fc.array(piece, { maxLength: 60 }).map((ps) => Uint8Array.from([...ps.join('')].map((c) => c.charCodeAt(0) & 0xff)));

function mutate(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat({ max: base.length }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 8 }));
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let b = Array.from(base);
    for (const [at, kind, data] of edits) {
      const i = Math.min(at, b.length);
      if (kind === 0) data.forEach((v, k) => { if (i + k < b.length) b[i + k] = v; });
      else if (kind === 1) b.splice(i, 0, ...data);
      else if (kind === 2) b.splice(i, data.length);
      else b = b.slice(0, i);
    }
    return Uint8Array.from(b);
  });
}

describe('fuzzing never yields an untyped exception or a hang', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), loadIsTyped), { numRuns: 500 });
  });

  it('random bytes after a PROTO header', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 200 }), (p, b) => loadIsTyped(Uint8Array.from([0x80, p, ...b]))), { numRuns: 500 });
  });

  it('random opcode sequences with arguments', () => {
    fc.assert(fc.property(opcodeSoup, loadIsTyped), { numRuns: 3000 });
  });

  for (const f of ['numpy_p0.pkl', 'numpy_p2.pkl', 'numpy_p5.pkl', 'plain_p0.pkl', 'views_legacy.pt', 'dtypes_legacy.pt']) {
    it(`mutations of ${f}`, () => {
      fc.assert(fc.property(mutate(read(f)), loadIsTyped), { numRuns: 300 });
    });
  }

  for (const f of ['checkpoint.pt', 'views.pt', 'quantized.pt']) {
    it(`mutations of ${f}'s data.pkl inside a valid zip`, () => {
      const zip = new ZipArchive(read(f));
      const budget = new Budget();
      const members = zip.names().map((name) => ({ name, data: zip.read(name, budget).slice() }));
      const pkl = members.find((m) => m.name.endsWith('data.pkl'))!;
      fc.assert(fc.property(mutate(pkl.data), (data) => {
        loadIsTyped(writeZip(members.map((m) => (m === pkl ? { name: m.name, data } : m))));
      }), { numRuns: 300 });
    });
  }

  it('mutations of a whole torch zip', () => {
    fc.assert(fc.property(mutate(read('state_dict.pt')), loadIsTyped), { numRuns: 300 });
  });

  it('random views over a real storage are bounds-checked', () => {
    const dims = fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 });
    fc.assert(fc.property(dims, fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 4 }), fc.integer({ min: 0, max: 12 }), (size, stride, off) => {
      const st = size.map((_, i) => stride[i] ?? 1);
      const w = P().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage')
        .str('0').str('cpu').int(8).op('t').op('Q').int(off).mark();
      for (const s of size) w.int(s);
      w.op('t').mark();
      for (const s of st) w.int(s);
      w.op('t').op('\x89').none().op('t').reduce().stop();
      const file = writeZip([{ name: 'a/data.pkl', data: w.done() }, { name: 'a/data/0', data: floats([0, 1, 2, 3, 4, 5, 6, 7]) }]);
      let max = off;
      size.forEach((s, i) => { if (s > 0) max += (s - 1) * st[i]!; });
      const empty = size.some((s) => s === 0);
      if (empty || max < 8) {
        const t = torchLoad(file) as { dims: number[]; data: Float32Array };
        expect(t.dims).toEqual(size);
        // reference: element at each multi-index is storage[off + sum(i*stride)]
        const n = size.reduce((a, b) => a * b, 1);
        for (let k = 0; k < n; k++) {
          let rem = k, idx = off;
          for (let d = size.length - 1; d >= 0; d--) { idx += (rem % size[d]!) * st[d]!; rem = Math.floor(rem / size[d]!); }
          expect(t.data[k]).toBe(idx);
        }
      } else {
        expect(() => torchLoad(file)).toThrow(/reaches element/);
      }
    }), { numRuns: 300 });
  });
});
