// RE2's Unicode classes \pN, \p{Greek}, \P{Lu}: general categories and scripts as code point ranges.
//
// tessera ships no Unicode tables. The ranges are read once per name, on first use, from the
// engine's own Unicode property escapes: a fixed one-class RegExp (`^[\p{Script=Greek}]$`) tested
// on each code point. That RegExp is built from a name that has already been checked against
// [A-Za-z_]+ and matches a single code point, so it cannot backtrack; the model's pattern itself
// never becomes a RegExp. Each name costs ~30 ms once per process and is cached.

import { MAX_RUNE, type Ranges } from './ranges.js';

/** RE2's general categories. RE2's one-letter groups cover assigned code points only: its C is
 * Cc|Cf|Co|Cs (no unassigned Cn), which JavaScript's \p{C} would include. */
const GENERAL_CATEGORIES: ReadonlyMap<string, string> = new Map([
  ['C', '\\p{gc=Cc}\\p{gc=Cf}\\p{gc=Co}\\p{gc=Cs}'],
  ...['Cc', 'Cf', 'Co', 'Cs', 'L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
    'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs']
    .map((gc): [string, string] => [gc, `\\p{gc=${gc}}`]),
]);

const cache = new Map<string, Ranges>();

function scan(re: RegExp): Ranges {
  const out: number[] = [];
  let start = -1;
  for (let c = 0; c <= MAX_RUNE + 1; c++) {
    const inside = c <= MAX_RUNE && re.test(String.fromCodePoint(c));
    if (inside && start < 0) start = c;
    else if (!inside && start >= 0) {
      out.push(start, c - 1);
      start = -1;
    }
  }
  return Int32Array.from(out);
}

/**
 * The code points of RE2's Unicode group `name` ('L', 'Lu', 'Greek', 'Any'), or undefined when
 * RE2 has no such group.
 */
export function unicodeGroup(name: string): Ranges | undefined {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let r: Ranges | undefined;
  if (name === 'Any') {
    r = Int32Array.of(0, MAX_RUNE);
  } else if (GENERAL_CATEGORIES.has(name)) {
    r = scan(new RegExp(`^[${GENERAL_CATEGORIES.get(name)!}]$`, 'u'));
  } else if (/^[A-Z][A-Za-z_]*$/.test(name)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^\\p{Script=${name}}$`, 'u');
    } catch {
      re = undefined; // the engine knows no script of that name
    }
    if (re !== undefined) r = scan(re);
  }
  if (r !== undefined) cache.set(name, r);
  return r;
}
