// Case-insensitive matching as RE2 does it: two code points match under (?i) when Unicode's simple
// case folding (CaseFolding.txt, statuses C and S) maps them to the same code point. tessera ships
// no Unicode tables, so the folding orbits are derived once, on first use, from the engine's own
// toUpperCase/toLowerCase: key(c) = lower(upper(c)) when both are single code points. The one
// letter where that differs from simple case folding is dotless ı (U+0131), whose upper case is I
// but which folds to itself. test/props/regex.test.ts checks the orbits against the engine's
// /iu RegExp matching, which is simple case folding by the ECMAScript spec.
//
// No code point above U+1FFFF has a case mapping, so the scan stops there (~130k code points).

import { RangeBuilder, type Ranges, rangesContain } from './ranges.js';

const SCAN_END = 0x1ffff;

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
    if (c >= 0xd800 && c <= 0xdfff) continue;
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

/** `r` plus every code point that case-folds to a member of `r`. */
export function foldRanges(r: Ranges): Ranges {
  const { folding, orbitOf } = foldTable();
  const b = new RangeBuilder();
  b.addRanges(r);
  let added = false;
  for (const c of folding) {
    if (!rangesContain(r, c)) continue;
    for (const m of orbitOf.get(c)!) {
      if (!rangesContain(r, m)) {
        b.add(m, m);
        added = true;
      }
    }
  }
  return added ? b.build() : r;
}
