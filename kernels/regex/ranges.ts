// Sets of Unicode code points as sorted, disjoint, non-adjacent ranges [lo0, hi0, lo1, hi1, ...]:
// what a character class compiles to. Also the ASCII classes RE2 names (\d \s \w, [[:alpha:]]).

export const MAX_RUNE = 0x10ffff;

/** Sorted, disjoint, non-adjacent inclusive ranges, flattened: [lo0, hi0, lo1, hi1, ...]. */
export type Ranges = Int32Array;

/** Collects ranges in any order; `build` sorts and merges them. */
export class RangeBuilder {
  private readonly pairs: number[] = [];

  add(lo: number, hi: number): void {
    this.pairs.push(lo, hi);
  }

  addRanges(r: Ranges): void {
    for (let i = 0; i < r.length; i += 2) this.pairs.push(r[i]!, r[i + 1]!);
  }

  build(): Ranges {
    return normalizeRanges(this.pairs);
  }
}

function normalizeRanges(pairs: readonly number[]): Ranges {
  const order: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) order.push(i);
  order.sort((a, b) => pairs[a]! - pairs[b]!);
  const out: number[] = [];
  for (const i of order) {
    const lo = pairs[i]!;
    const hi = pairs[i + 1]!;
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) {
      if (hi > out[last]!) out[last] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return Int32Array.from(out);
}

/** Every code point not in `r`. */
export function complementRanges(r: Ranges): Ranges {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return Int32Array.from(out);
}

/** Whether code point `c` is in `r` (binary search over the ranges). */
export function rangesContain(r: Ranges, c: number): boolean {
  let lo = 0;
  let hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < r[2 * mid]!) hi = mid - 1;
    else if (c > r[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const ranges = (...pairs: number[]): Ranges => normalizeRanges(pairs);
const ch = (s: string): number => s.charCodeAt(0);

/** RE2's Perl classes: ASCII only (\s is [\t\n\f\r ], without \v). */
export const PERL_CLASSES: ReadonlyMap<string, Ranges> = new Map([
  ['d', ranges(ch('0'), ch('9'))],
  ['s', ranges(9, 10, 12, 13, 32, 32)],
  ['w', ranges(ch('0'), ch('9'), ch('A'), ch('Z'), ch('a'), ch('z'), ch('_'), ch('_'))],
]);

/** RE2's POSIX classes for [[:name:]] (ASCII only). */
export const POSIX_CLASSES: ReadonlyMap<string, Ranges> = new Map([
  ['alnum', ranges(ch('0'), ch('9'), ch('A'), ch('Z'), ch('a'), ch('z'))],
  ['alpha', ranges(ch('A'), ch('Z'), ch('a'), ch('z'))],
  ['ascii', ranges(0, 0x7f)],
  ['blank', ranges(9, 9, 32, 32)],
  ['cntrl', ranges(0, 0x1f, 0x7f, 0x7f)],
  ['digit', ranges(ch('0'), ch('9'))],
  ['graph', ranges(ch('!'), ch('~'))],
  ['lower', ranges(ch('a'), ch('z'))],
  ['print', ranges(ch(' '), ch('~'))],
  ['punct', ranges(ch('!'), ch('/'), ch(':'), ch('@'), ch('['), ch('`'), ch('{'), ch('~'))],
  ['space', ranges(9, 13, 32, 32)],
  ['upper', ranges(ch('A'), ch('Z'))],
  ['word', ranges(ch('0'), ch('9'), ch('A'), ch('Z'), ch('a'), ch('z'), ch('_'), ch('_'))],
  ['xdigit', ranges(ch('0'), ch('9'), ch('A'), ch('F'), ch('a'), ch('f'))],
]);

/** RE2's \b word characters: ASCII [0-9A-Za-z_]. */
export function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
