// Case-insensitive matching as RE2 does it: two code points match under (?i) when Unicode's simple
// case folding (CaseFolding.txt, statuses C and S) maps them to the same code point. tessera ships
// no Unicode tables, so the folding orbits are derived once, on first use, from the engine's own
// toUpperCase/toLowerCase: key(c) = lower(upper(c)) when both are single code points. The one
// letter where that differs from simple case folding is dotless ı (U+0131), whose upper case is I
// but which folds to itself. test/props/regex.test.ts checks the orbits against the engine's
// /iu RegExp matching, which is simple case folding by the ECMAScript spec.
//
// No code point above U+1FFFF has a case mapping, so the scan stops there, and it skips the
// blocks that are caseless by construction (CJK ideographs, Hangul syllables, surrogates,
// private use): ~80k code points, ~100 ms once per process.

import { RangeBuilder, type Ranges, rangesContain } from './ranges.js';

const SCAN_END = 0x1ffff;
/** Caseless blocks, first -> last: CJK Unified Ideographs (with Extension A); Hangul Syllables through Private Use. */
const CASELESS = new Map([[0x3400, 0x9fff], [0xac00, 0xf8ff]]);

interface FoldTable {
  /** Every code point whose orbit has more than one member, ascending. */
  readonly folding: Int32Array;
  /** The orbit (all members, ascending) of each code point in `folding`. */
  readonly orbitOf: ReadonlyMap<number, Int32Array>;
}

let table: FoldTable | undefined;

function singleCodePoint(s: string): number {
  const c = s.codePointAt(0);
  if (c === undefined) return -1;
  return s.length === (c > 0xffff ? 2 : 1) ? c : -1;
}

function foldKey(c: number): number {
  if (c === 0x131) return c;
  const s = String.fromCodePoint(c);
  const upper = singleCodePoint(s.toUpperCase());
  if (upper >= 0) {
    const lower = singleCodePoint(String.fromCodePoint(upper).toLowerCase());
    if (lower >= 0) return lower;
  }
  const lower = singleCodePoint(s.toLowerCase());
  return lower >= 0 ? lower : c;
}

function buildTable(): FoldTable {
  const byKey = new Map<number, number[]>();
  for (let c = 0; c <= SCAN_END; c++) {
    const last = CASELESS.get(c);
    if (last !== undefined) {
      c = last;
      continue;
    }
    const k = foldKey(c);
    let members = byKey.get(k);
    if (members === undefined) {
      // Most code points fold to themselves alone; only start an orbit when it can grow.
      if (k === c) continue;
      members = [];
      byKey.set(k, members);
    }
    members.push(c);
  }
  const orbitOf = new Map<number, Int32Array>();
  for (const [k, members] of byKey) {
    if (foldKey(k) === k) members.push(k);
    const orbit = Int32Array.from(new Set(members)).sort();
    if (orbit.length < 2) continue;
    for (const c of orbit) orbitOf.set(c, orbit);
  }
  const folding = Int32Array.from(orbitOf.keys()).sort();
  return { folding, orbitOf };
}

function foldTable(): FoldTable {
  table ??= buildTable();
  return table;
}

/** The code points that match `c` under (?i), `c` included; undefined when only `c` itself does. */
export function foldOrbit(c: number): Int32Array | undefined {
  return foldTable().orbitOf.get(c);
}

/**
 * `r` plus every code point that case-folds to a member of `r`. Costs O(ranges x log + folding
 * code points inside `r`); `work.n` grows by that count so that callers can bound the total.
 */
export function foldRanges(r: Ranges, work: { n: number }): Ranges {
  const { folding, orbitOf } = foldTable();
  const b = new RangeBuilder();
  b.addRanges(r);
  let added = false;
  for (let i = 0; i < r.length; i += 2) {
    const hi = r[i + 1]!;
    work.n++;
    for (let k = lowerBound(folding, r[i]!); k < folding.length && folding[k]! <= hi; k++) {
      work.n++;
      for (const m of orbitOf.get(folding[k]!)!) {
        if (!rangesContain(r, m)) {
          b.add(m, m);
          added = true;
        }
      }
    }
  }
  return added ? b.build() : r;
}

/** The first index of sorted `a` whose value is >= `v`. */
function lowerBound(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
