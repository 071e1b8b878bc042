// String ops (StringNormalizer, StringConcat, StringSplit, RegexFullMatch, TfIdfVectorizer)
// against plain references: JS string functions, Python's str.split rules, a brute-force
// n-gram counter.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringOps } from '../../ops/onnx/string.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { Tensor } from '../../src/tensor.js';

type A = Record<string, number | string | readonly number[] | readonly string[] | { floats: number[] }>;

function attrMap(a: A): Map<string, Attribute> {
  const m = new Map<string, Attribute>();
  for (const [k, v] of Object.entries(a)) {
    if (typeof v === 'number') m.set(k, { type: 'int', value: v });
    else if (typeof v === 'string') m.set(k, { type: 'string', value: v, bytes: new TextEncoder().encode(v) });
    else if (!Array.isArray(v)) m.set(k, { type: 'floats', value: (v as { floats: number[] }).floats });
    else if (v.length && typeof v[0] === 'string') m.set(k, { type: 'strings', value: v as string[] });
    else m.set(k, { type: 'ints', value: v as number[] });
  }
  return m;
}

function runOp(name: string, attrs: A, inputs: Tensor[]): Tensor[] {
  const def = stringOps.find((d) => d.name === name)!;
  const parsed = def.parse ? def.parse(new Attrs(attrMap(attrs)), {} as never) : {};
  return def.run(inputs, parsed, {} as OpContext) as Tensor[];
}

const str = (v: string[], dims: number[] = [v.length]) => new Tensor('string', v, dims);
// Strings with ASCII, whitespace of several kinds, delimiters and non-BMP characters.
const text = fc.string({ unit: fc.constantFrom('a', 'B', 'ç', 'İ', 'ß', ' ', '\t', '\u3000', '.', '-', '😀', 'x'), maxLength: 12 });

describe('StringConcat', () => {
  it('is elementwise + with numpy broadcasting', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), text, text,
      (dims, ones, p, q) => {
        const bd = dims.map((d, i) => (ones[i] ? 1 : d));
        const n = (ds: number[]) => ds.reduce((a, b) => a * b, 1);
        const a = Array.from({ length: n(dims) }, (_, i) => `${p}${i}`);
        const b = Array.from({ length: n(bd) }, (_, i) => `${q}#${i}`);
        const [y] = runOp('StringConcat', {}, [str(a, dims), str(b, bd)]);
        expect(y!.dims).toEqual(dims);
        // Reference: walk the output index, map it into b with stride 0 on broadcast axes.
        for (let i = 0; i < n(dims); i++) {
          let rem = i, bi = 0, stride = 1;
          const idx: number[] = [];
          for (let k = dims.length - 1; k >= 0; k--) { idx[k] = rem % dims[k]!; rem = Math.floor(rem / dims[k]!); }
          for (let k = dims.length - 1; k >= 0; k--) { bi += (bd[k] === 1 ? 0 : idx[k]!) * stride; stride *= bd[k]!; }
          expect((y!.data as string[])[i]).toBe(a[i]! + b[bi]!);
        }
      },
    ));
  });
  it('rejects shapes that do not broadcast', () => {
    expect(() => runOp('StringConcat', {}, [str(['a', 'b']), str(['a', 'b', 'c'])])).toThrow(/do not broadcast/);
  });
});

/** Python str.split reference. */
function pySplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (sep !== null) {
    const parts = s.split(sep);
    return maxsplit >= 0 && parts.length > maxsplit + 1 ? [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)] : parts;
  }
  const ws = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
  const out: string[] = [];
  let rest = s;
  for (;;) {
    let i = 0;
    while (i < rest.length && ws.test(rest[i]!)) i++;
    rest = rest.slice(i);
    if (rest === '') return out;
    if (maxsplit >= 0 && out.length === maxsplit) return [...out, rest];
    let j = 0;
    while (j < rest.length && !ws.test(rest[j]!)) j++;
    out.push(rest.slice(0, j));
    rest = rest.slice(j);
  }
}

describe('StringSplit', () => {
  it('matches Python str.split for separators, whitespace and maxsplit, padded with empty strings', () => {
    fc.assert(fc.property(
      fc.array(text, { maxLength: 5 }), fc.constantFrom('', '.', '-', 'a.', ' '), fc.integer({ min: -1, max: 3 }),
      (xs, sep, maxsplit) => {
        const attrs: A = { delimiter: sep };
        if (maxsplit >= 0) attrs.maxsplit = maxsplit;
        const [y, z] = runOp('StringSplit', attrs, [str(xs)]);
        const want = xs.map((s) => pySplit(s, sep === '' ? null : sep, maxsplit));
        const width = Math.max(0, ...want.map((w) => w.length));
        expect(y!.dims).toEqual([xs.length, width]);
        expect(Array.from(z!.data as BigInt64Array, Number)).toEqual(want.map((w) => w.length));
        want.forEach((w, i) => {
          for (let j = 0; j < width; j++) expect((y!.data as string[])[i * width + j]).toBe(w[j] ?? '');
        });
      },
    ));
  });
});

describe('StringNormalizer', () => {
  it('drops stopwords (case-insensitively unless asked) then changes case like JS', () => {
    const word = fc.constantFrom('monday', 'Monday', 'MONDAY', 'tuesday', 'straße', 'İstanbul', '', 'x');
    fc.assert(fc.property(
      fc.array(word, { maxLength: 6 }), fc.array(word, { maxLength: 3 }), fc.constantFrom('LOWER', 'UPPER', 'NONE'), fc.boolean(), fc.boolean(),
      (xs, stop, change, sensitive, twoDim) => {
        const attrs: A = { case_change_action: change, is_case_sensitive: sensitive ? 1 : 0 };
        if (stop.length) attrs.stopwords = stop;
        const [y] = runOp('StringNormalizer', attrs, [str(xs, twoDim ? [1, xs.length] : [xs.length])]);
        const key = (s: string) => (sensitive ? s : s.toLowerCase());
        let want = xs.filter((s) => !stop.map(key).includes(key(s)))
          .map((s) => (change === 'LOWER' ? s.toLowerCase() : change === 'UPPER' ? s.toUpperCase() : s));
        if (want.length === 0 && xs.length > 0) want = ['']; // all stopwords: one empty string
        expect(y!.data).toEqual(want);
        expect(y!.dims).toEqual(twoDim ? [1, want.length] : [want.length]);
      },
    ));
  });
  it('rejects inputs that are not [C] or [1, C]', () => {
    expect(() => runOp('StringNormalizer', {}, [str(['a', 'b'], [2, 1])])).toThrow(/\[C\] or \[1, C\]/);
  });
});

describe('RegexFullMatch', () => {
  const full = (pattern: string, xs: string[]) => Array.from(runOp('RegexFullMatch', { pattern }, [str(xs)])[0]!.data as Uint8Array);
  it('is an anchored whole-string match (not a search) for literal patterns', () => {
    fc.assert(fc.property(text, text, (p, s) => {
      const escaped = p.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
      expect(full(escaped, [s, p, `${p}${s}`])).toEqual([s === p ? 1 : 0, 1, s === '' ? 1 : 0]);
    }));
  });
  it('alternation must cover the whole string; RE2 forms are translated', () => {
    expect(full('a|ab', ['ab', 'a', 'abc'])).toEqual([1, 1, 0]);
    expect(full('(?P<user>\\w+)@x\\.com', ['bob@x.com', 'bob@y.com'])).toEqual([1, 0]);
    expect(full('\\A[[:digit:]]+\\z', ['0123', '12a'])).toEqual([1, 0]);
    expect(full('(?i)abc', ['ABC', 'abd'])).toEqual([1, 0]);
    expect(full('\\pL+', ['héllo', 'h3'])).toEqual([1, 0]);
    expect(full('\\Qa.b\\E', ['a.b', 'axb'])).toEqual([1, 0]);
    expect(full('[]a]+', [']a]', 'b'])).toEqual([1, 0]);
    // RE2 allows flag groups anywhere; they last to the end of the enclosing group.
    expect(full('a(?i)b', ['aB', 'AB'])).toEqual([1, 0]);
  });
  it('refuses constructs RE2 does not have, naming the pattern', () => {
    expect(() => full('(a)\\1', [])).toThrow(/RegexFullMatch: pattern '\(a\)\\1' .*backreference/);
    expect(() => full('a(?=b)', [])).toThrow(/lookaround/);
    expect(() => full('(?<!a)b', [])).toThrow(/lookaround/);
    expect(() => full('(?P<n>a)(?P=n)', [])).toThrow(/backreference/);
    expect(() => full('(', [])).toThrow(/RegexFullMatch/);
  });
});

describe('TfIdfVectorizer', () => {
  /** Brute force: n-gram g counts once per (start, skip distance d) whose tokens start, start+d, ... equal g. */
  function bruteCounts(x: number[], grams: number[][], minN: number, maxN: number, maxSkip: number): number[] {
    return grams.map((g) => {
      const n = g.length;
      if (n < minN || n > maxN) return 0;
      let c = 0;
      for (let d = 1; d <= (n === 1 ? 1 : maxSkip + 1); d++) {
        for (let s = 0; s + (n - 1) * d < x.length; s++) if (g.every((t, k) => x[s + k * d] === t)) c++;
      }
      return c;
    });
  }

  it('TF / IDF / TFIDF equal a brute-force n-gram count, for int and string tokens', () => {
    const gramsArb = fc.tuple(
      fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
      fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { maxLength: 5, selector: (t) => t.join() }),
      fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { maxLength: 3, selector: (t) => t.join() }),
    );
    fc.assert(fc.property(
      gramsArb, fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }),
      fc.constantFrom('TF', 'IDF', 'TFIDF'), fc.boolean(), fc.boolean(),
      ([uni, bi, tri], rows, minN, span, maxSkip, mode, strings, batch) => {
        const maxN = Math.min(3, minN + span);
        const grams: number[][] = [...uni.map((u) => [u]), ...bi, ...tri];
        const pool = grams.flat();
        const counts = [0, uni.length, uni.length + 2 * bi.length];
        // Output slots in reverse order, so slot != n-gram number.
        const indexes = grams.map((_, j) => grams.length - 1 - j);
        const weights = indexes.map((_, s) => 0.5 + s);
        const attrs: A = {
          mode, min_gram_length: minN, max_gram_length: maxN, max_skip_count: maxSkip, ngram_counts: counts, ngram_indexes: indexes,
          weights: { floats: weights },
        };
        if (strings) attrs.pool_strings = pool.map((t) => `t${t}`);
        else attrs.pool_int64s = pool;
        const data = batch ? rows : rows.slice(0, 1);
        const flat = data.flat();
        const dims = batch ? [data.length, 6] : [6];
        const x = strings ? str(flat.map((t) => `t${t}`), dims) : new Tensor('int32', Int32Array.from(flat), dims);
        if (grams.length === 0) return;
        const [y] = runOp('TfIdfVectorizer', attrs, [x]);
        const width = grams.length;
        expect(y!.dims).toEqual(batch ? [data.length, width] : [width]);
        data.forEach((row, r) => {
          const c = bruteCounts(row, grams, minN, maxN, maxSkip);
          grams.forEach((_, j) => {
            const slot = indexes[j]!;
            const w = weights[slot]!;
            const want = mode === 'TF' ? c[j]! : mode === 'IDF' ? (c[j]! > 0 ? w : 0) : c[j]! * w;
            expect((y!.data as Float32Array)[r * width + slot]).toBeCloseTo(want, 5);
          });
        });
      },
    ), { numRuns: 200 });
  });

  it('rejects counts that do not describe the pool and int64 input with a string pool', () => {
    const base = { mode: 'TF', min_gram_length: 1, max_gram_length: 2, max_skip_count: 0 };
    expect(() => runOp('TfIdfVectorizer', { ...base, pool_int64s: [1, 2, 3], ngram_counts: [0, 2], ngram_indexes: [0, 1, 2] }, []))
      .toThrow(/do not describe a pool/);
    expect(() => runOp('TfIdfVectorizer', { ...base, pool_strings: ['a'], ngram_counts: [0], ngram_indexes: [0] },
      [new Tensor('int64', [1n], [1])])).toThrow(/needs pool_int64s/);
  });
});
