// The linear-time RE2 matcher behind RegexFullMatch (kernels/regex-re2.ts), against JavaScript's
// own RegExp as the reference on patterns where RE2 and JavaScript agree, plus RE2-specific
// behaviour by hand, the refusals RE2 makes, and the finding it fixes: `(a+)+b` backtracked
// exponentially when patterns were translated to RegExp.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldOrbit } from '../../kernels/regex/case-fold.js';
import {
  MAX_NESTING, MAX_PROGRAM_SIZE, Re2SyntaxError, compileRe2FullMatch, re2FullMatch, re2FullMatchAll,
} from '../../kernels/regex-re2.js';
import { InferenceSession, InvalidNodeError, Tensor } from '../../src/index.js';
import { writeModel } from '../helpers/onnx-writer.js';

const STRING = 8;
const BOOL = 9;

const full = (pattern: string, s: string): boolean => re2FullMatch(compileRe2FullMatch(pattern), s);
/** JavaScript's full match: sticky at 0, and (?![^]) for the end, which the m flag cannot turn into a line end. */
const reference = (pattern: string, s: string, flags = ''): boolean =>
  new RegExp(`(?:${pattern})(?![^])`, `uy${flags}`).test(s);

// ---- random patterns from a grammar on which RE2 and JavaScript agree ----

type Pat =
  | { k: 'lit'; src: string; text: string; js?: string }
  | { k: 'class'; src: string; pool: string[] }
  | { k: 'anchor'; src: string }
  | { k: 'cat' | 'alt'; subs: Pat[] }
  | { k: 'group'; how: '' | '?:' | 'named'; sub: Pat }
  | { k: 'rep'; sub: Pat; op: string; min: number; max: number };

/** Code points in the strings: ASCII letters and digits, word and non-word, \n, a two-unit
 * astral character, and case-folding pairs that are not ASCII (é/É, σ/ς/Σ, K/K-Kelvin, s/ſ). */
const ALPHABET = ['a', 'b', 'A', 'B', 'k', 'K', '\u212a', 's', 'S', '\u017f', '1', '_', ' ', '-', '.', '\n', 'é', 'É', 'σ', 'ς', 'Σ', '😀'];

const literal = fc.constantFrom<Pat>(
  ...['a', 'b', 'A', 'k', 's', '1', '_', ' ', 'é', 'σ', '😀'].map((c): Pat => ({ k: 'lit', src: c, text: c })),
  { k: 'lit', src: '\\.', text: '.' }, { k: 'lit', src: '\\-', text: '-', js: '-' }, { k: 'lit', src: '\\n', text: '\n' },
  { k: 'lit', src: '\\x{1F600}', text: '😀', js: '\\u{1F600}' }, { k: 'lit', src: '\\x41', text: 'A' },
);
const charClass = fc.constantFrom<Pat>(
  { k: 'class', src: '.', pool: ['a', 'é', '😀', ' '] },
  { k: 'class', src: '[ab]', pool: ['a', 'b'] },
  { k: 'class', src: '[^a]', pool: ['b', 'A', '\n', '😀'] },
  { k: 'class', src: '[a-c1]', pool: ['a', 'b', '1'] },
  { k: 'class', src: '[^\\d\\s]', pool: ['a', '_', 'é'] },
  { k: 'class', src: '[é😀-😂]', pool: ['é', '😀', '😁'] },
  { k: 'class', src: '\\d', pool: ['1'] },
  { k: 'class', src: '\\w', pool: ['a', '_', '1'] },
  { k: 'class', src: '\\s', pool: [' ', '\n'] },
  { k: 'class', src: '\\D', pool: ['a', '😀'] },
  { k: 'class', src: '\\W', pool: [' ', 'é', '-'] },
  { k: 'class', src: '\\S', pool: ['a', '😀'] },
  { k: 'class', src: '[σΣ]', pool: ['σ', 'Σ'] },
);
const anchor = fc.constantFrom<Pat>({ k: 'anchor', src: '^' }, { k: 'anchor', src: '$' }, { k: 'anchor', src: '\\b' }, { k: 'anchor', src: '\\B' });

const { pat } = fc.letrec<{ pat: Pat; atom: Pat }>((tie) => ({
  atom: fc.oneof({ depthSize: 'small', withCrossShrink: true }, literal, charClass, anchor,
    fc.record({ k: fc.constant('group' as const), how: fc.constantFrom('' as const, '?:' as const, 'named' as const), sub: tie('pat') })),
  pat: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    tie('atom'),
    fc.record({ k: fc.constant('cat' as const), subs: fc.array(tie('pat'), { minLength: 2, maxLength: 4 }) }),
    fc.record({ k: fc.constant('alt' as const), subs: fc.array(tie('pat'), { minLength: 2, maxLength: 3 }) }),
    fc.record({
      k: fc.constant('rep' as const),
      // Quantifiers go on literals, classes and groups only: JavaScript refuses `^*` (RE2 allows it).
      sub: fc.oneof(literal, charClass, fc.record({ k: fc.constant('group' as const), how: fc.constant('?:' as const), sub: tie('pat') })),
      op: fc.constantFrom('*', '+', '?', '{n}', '{n,}', '{n,m}'),
      min: fc.integer({ min: 0, max: 3 }),
      max: fc.integer({ min: 0, max: 2 }),
      lazy: fc.boolean(),
    }).map(({ lazy, ...r }): Pat => ({ ...r, op: r.op + (lazy ? '?' : '') })),
  ),
}));

/** The pattern's RE2 source, and (when `js`) the same for JavaScript: (?P<name>) becomes (?<name>). */
function source(p: Pat, js: boolean, names: { n: number }): string {
  switch (p.k) {
    case 'lit': return js && p.js !== undefined ? p.js : p.src;
    case 'class': case 'anchor': return p.src;
    case 'cat': return p.subs.map((s) => source(s, js, names)).join('');
    case 'alt': return p.subs.map((s) => source(s, js, names)).join('|');
    case 'group': {
      const inner = source(p.sub, js, names);
      if (p.how !== 'named') return `(${p.how}${inner})`;
      return `(?${js ? '' : 'P'}<g${names.n++}>${inner})`;
    }
    case 'rep': {
      const sub = source(p.sub, js, names);
      const op = p.op.replace('{n,m}', `{${p.min},${p.min + p.max}}`).replace('{n}', `{${p.min}}`).replace('{n,}', `{${p.min},}`);
      return sub + op;
    }
  }
}

/** A string the pattern is likely to match (anchors aside), steered by `choices`. */
function witness(p: Pat, choices: number[], at = { i: 0 }): string {
  const pick = (n: number): number => (choices.length ? choices[at.i++ % choices.length]! % n : 0);
  switch (p.k) {
    case 'lit': return p.text;
    case 'class': return p.pool[pick(p.pool.length)]!;
    case 'anchor': return '';
    case 'cat': return p.subs.map((s) => witness(s, choices, at)).join('');
    case 'alt': return witness(p.subs[pick(p.subs.length)]!, choices, at);
    case 'group': return witness(p.sub, choices, at);
    case 'rep': {
      const n = p.op.startsWith('*') ? pick(3) : p.op.startsWith('+') ? 1 + pick(2) : p.op.startsWith('?') ? pick(2)
        : p.op.startsWith('{n}') ? p.min : p.op.startsWith('{n,}') ? p.min + pick(2) : p.min + pick(p.max + 1);
      let s = '';
      for (let i = 0; i < n; i++) s += witness(p.sub, choices, at);
      return s;
    }
  }
}

const randomText = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }).map((cs) => cs.join(''));

/** Strings to try: the witness, the witness with one character changed or dropped, and random text. */
const probes = (w: string, edit: number, noise: string): string[] => {
  const cps = [...w];
  const changed = cps.length ? cps.map((c, i) => (i === edit % cps.length ? ALPHABET[edit % ALPHABET.length]! : c)).join('') : noise;
  const dropped = cps.filter((_, i) => i !== edit % Math.max(1, cps.length)).join('');
  return [w, changed, dropped, noise, w + noise];
};

describe('RE2 full match equals a JavaScript RegExp where the two agree', () => {
  it('on random patterns and strings', () => {
    fc.assert(fc.property(pat, fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), randomText, (p, choices, edit, noise) => {
      const re2 = source(p, false, { n: 0 });
      const js = source(p, true, { n: 0 });
      for (const s of probes(witness(p, choices), edit, noise)) {
        expect(full(re2, s), `/${re2}/ on ${JSON.stringify(s)}`).toBe(reference(js, s));
      }
    }), { numRuns: 1500 });
  });

  it('with (?i), (?s) and (?m) as whole-pattern flags', () => {
    // JavaScript's \b under the i flag also counts ſ and K (Kelvin) as word characters; RE2's \b is ASCII.
    const noBoundary = (p: Pat): boolean => p.k === 'anchor' ? p.src.length === 1
      : 'subs' in p ? p.subs.every(noBoundary) : 'sub' in p ? noBoundary(p.sub) : true;
    fc.assert(fc.property(pat, fc.constantFrom('i', 's', 'm', 'is', 'im', 'sm'), fc.array(fc.nat(), { maxLength: 12 }), fc.nat(), randomText,
      (p, flags, choices, edit, noise) => {
        fc.pre(!flags.includes('i') || noBoundary(p));
        const re2 = `(?${flags})${source(p, false, { n: 0 })}`;
        const js = source(p, true, { n: 0 });
        const w = witness(p, choices);
        for (const s of [...probes(w, edit, noise), w.toUpperCase(), w.toLowerCase()]) {
          expect(full(re2, s), `/${re2}/ on ${JSON.stringify(s)}`).toBe(reference(js, s, flags));
        }
      }), { numRuns: 1000 });
  });

  it('(?i) folds exactly as Unicode simple case folding (JavaScript /iu) over every code point to U+1FFFF', () => {
    const same = (a: number, b: number) => new RegExp(`^\\u{${a.toString(16)}}$`, 'iu').test(String.fromCodePoint(b));
    const one = (s: string): number => ([...s].length === 1 ? s.codePointAt(0)! : -1);
    for (let c = 0; c <= 0x1ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const orbit = foldOrbit(c);
      for (const m of orbit ?? []) if (!same(c, m)) expect.fail(`U+${c.toString(16)} and U+${m.toString(16)} do not fold together`);
      const ch = String.fromCodePoint(c);
      for (const d of [one(ch.toLowerCase()), one(ch.toUpperCase())]) {
        if (d < 0 || d === c) continue;
        if (same(c, d) !== (orbit?.includes(d) ?? false)) expect.fail(`U+${c.toString(16)} vs U+${d.toString(16)}`);
      }
    }
  });

  it('\\p classes equal the engine\'s Unicode properties; RE2\'s \\pC leaves out unassigned code points', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0x10ffff }), (c) => {
      const s = String.fromCodePoint(c);
      expect(full('\\pL', s)).toBe(/^\p{L}$/u.test(s));
      expect(full('\\p{Lu}', s)).toBe(/^\p{Lu}$/u.test(s));
      expect(full('\\PN', s)).toBe(/^\P{N}$/u.test(s));
      expect(full('\\p{Greek}', s)).toBe(/^\p{Script=Greek}$/u.test(s));
      expect(full('\\p{^Greek}', s)).toBe(!/^\p{Script=Greek}$/u.test(s));
      expect(full('[\\p{Han}\\d]', s)).toBe(/^[\p{Script=Han}\d]$/u.test(s));
    }), { numRuns: 2000 });
    expect(full('\\pC', '\u0378')).toBe(false); // unassigned: Cn, not in RE2's C
    expect(full('\\pC', '\u0007')).toBe(true);
    expect(full('\\p{Any}+', 'a😀\n')).toBe(true);
  });
});

describe('RE2 syntax by hand', () => {
  const cases = (pattern: string, yes: string[], no: string[]) => {
    for (const s of yes) expect(full(pattern, s), `/${pattern}/ should match ${JSON.stringify(s)}`).toBe(true);
    for (const s of no) expect(full(pattern, s), `/${pattern}/ should not match ${JSON.stringify(s)}`).toBe(false);
  };

  it('literals, escapes and code points (an astral character is one character)', () => {
    cases('abc', ['abc'], ['ab', 'abcd', 'ABC', '']);
    cases('😀', ['😀'], ['\ud83d', '😀😀']);
    cases('.', ['a', '😀', 'é'], ['\n', '', 'ab', '😀😀']);
    cases('..', ['😀😀', 'ab'], ['😀']);
    cases('\\x{1F600}\\x41\\101\\0\\012', ['😀AA\0\n'], ['😀AA\0']);
    cases('\\a\\f\\t\\n\\r\\v', ['\x07\f\t\n\r\v'], []);
    cases('\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\ \\_\\-', ['.*+?()[]{}|^$\\ _-'], []);
    cases('\\Qa.b*\\E+', ['a.b*', 'a.b**'], ['axb']);
    cases('a{,2}', ['a{,2}'], ['aa']); // not a repetition in RE2: literal text
    cases('a{', ['a{'], []);
    cases('a{01}', ['a{01}'], ['a']); // RE2: a leading zero, or more than nine digits, makes the braces literal
    cases('a{1234567890}', ['a{1234567890}'], []);
  });

  it('classes: ranges, negation, Perl and POSIX classes, literal ] and -', () => {
    cases('[a-cx]+', ['abcx', 'cab'], ['abd', '']);
    cases('[^a-c]', ['d', '\n', '😀'], ['a', 'b']);
    cases('[]a]', [']', 'a'], ['b']);
    cases('[^]a]', ['b'], [']', 'a']);
    cases('[a-]', ['a', '-'], ['b']);
    cases('[😀-😂]', ['😁'], ['😃']);
    cases('\\s+', [' \t\n\f\r'], ['\v', '\u00a0']); // RE2's \s is [\t\n\f\r ]
    cases('\\w+', ['a_Z9'], ['é']);
    cases('\\d', ['7'], ['٣']);
    cases('[[:alpha:]]+[[:digit:]]', ['ab1'], ['ab', 'é1']);
    cases('[[:^alpha:]]', ['1', 'é'], ['a']);
    cases('[[:word:][:punct:]]+', ['a_!'], [' ']);
    cases('[\\d\\-x]+', ['1-x'], ['y']);
  });

  it('anchors: ^ $ \\A \\z, (?m) line anchors, \\b \\B', () => {
    cases('^abc$', ['abc'], []);
    cases('a^b', [], ['ab', 'a^b']);
    cases('a\\nb', ['a\nb'], []);
    cases('a$\\n^b', [], ['a\nb']);
    cases('(?m)a$\\n^b', ['a\nb'], []);
    cases('\\Aa\\z', ['a'], []);
    cases('(?m)a\\n^b', ['a\nb'], []);
    cases('(?m)a\\n\\Ab', [], ['a\nb']); // \A stays the start of text
    cases('a\\b b', ['a b'], []);
    cases('a\\Bb', ['ab'], []);
    cases('a\\bb', [], ['ab']);
    cases('é\\bé', [], ['éé']); // \b is ASCII: é is not a word character, so no boundary between
    cases('^*a', ['a'], []); // RE2 allows repeating an empty-width assertion
  });

  it('alternation and groups: capturing, non-capturing, named (?P<n>) and (?<n>)', () => {
    cases('a|ab|abc', ['a', 'ab', 'abc'], ['abcd', '']);
    cases('(a|)b', ['ab', 'b'], ['']);
    cases('(?:ab)+', ['abab'], ['aba']);
    cases('(?P<first>\\w+) (?<second>\\w+)', ['hello world'], ['hello']);
    cases('()', [''], ['a']);
    cases('|', [''], ['|']);
  });

  it('quantifiers, lazy forms and counted repetition', () => {
    cases('a*', ['', 'aaaa'], ['b']);
    cases('a+?', ['a', 'aa'], ['']);
    cases('a??b', ['b', 'ab'], ['aab']);
    cases('a{3}', ['aaa'], ['aa', 'aaaa']);
    cases('a{2,}', ['aa', 'aaaaaa'], ['a']);
    cases('a{2,3}?', ['aa', 'aaa'], ['a', 'aaaa']);
    cases('(ab){0}c', ['c'], ['abc']);
    cases('(?:a{2}){3}', ['aaaaaa'], ['aaaaa']);
    cases('(a*)*', ['', 'aaa'], ['b']); // empty loops terminate
    cases('(a|b|)*c', ['c', 'abbac'], ['abd']);
    cases('a{1000}', ['a'.repeat(1000)], ['a'.repeat(999)]);
  });

  it('flags: (?i) (?s) (?m) (?U), scoped to their group, negated with -', () => {
    cases('(?i)straße', ['STRAẞE', 'Straße'], ['STRASSE']); // simple folding: ß is not ss
    cases('(?i)k', ['k', 'K', '\u212a'], ['x']);
    cases('(?i)[^k]', ['x'], ['k', 'K', '\u212a']);
    cases('(?i)σ+', ['ΣσςΣ'], []);
    cases('(?i)ı', ['ı'], ['i', 'I']); // dotless i folds only to itself
    cases('(?i)\\W', ['é'], ['\u017f', '\u212a', 'a']);
    cases('(?i)[[:upper:]]+', ['aB'], []);
    cases('a(?i)b', ['aB'], ['AB']);
    cases('(?i:a)b', ['Ab'], ['AB']);
    cases('((?i)a)b', ['Ab'], ['AB']);
    cases('(?i)a(?-i)b', ['Ab'], ['AB']);
    cases('(?s).', ['\n'], []);
    cases('(?s:.)(?-s:.)', ['\na'], ['\n\n']);
    cases('(?U)a+b', ['aab'], []);
    cases('(?)a', ['a'], []);
  });
});

describe('refusals: typed errors naming the construct and its offset', () => {
  const refuses = (pattern: string, reason: RegExp, construct: string, offset: number) => {
    let err: unknown;
    try {
      compileRe2FullMatch(pattern);
    } catch (e) {
      err = e;
    }
    expect(err, pattern).toBeInstanceOf(Re2SyntaxError);
    const e = err as Re2SyntaxError;
    expect(e.message).toMatch(reason);
    expect(e.construct).toBe(construct);
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(`'${construct.slice(0, 40)}`);
    expect(e.message).toContain(`at offset ${offset}`);
  };

  it('backreferences, lookaround, atomic groups, possessive and stacked quantifiers, \\Z, \\C', () => {
    refuses('(a)\\1', /backreference/, '\\1', 3);
    refuses('(?P<n>a)(?P=n)', /named backreference/, '(?P=n)', 8);
    refuses('(a)\\k<n>', /named backreference/, '\\k', 3);
    refuses('(?=a)', /lookaround/, '(?=', 0);
    refuses('x(?!a)', /lookaround/, '(?!', 1);
    refuses('(?<=a)b', /lookaround/, '(?<=', 0);
    refuses('(?<!a)b', /lookaround/, '(?<!', 0);
    refuses('(?>a)', /atomic group/, '(?>', 0);
    refuses('a*+', /bad repetition operator/, '*+', 1);
    refuses('a++', /bad repetition operator/, '++', 1);
    refuses('a{2}{3}', /bad repetition operator/, '{2}{3}', 1);
    refuses('a**', /bad repetition operator/, '**', 1);
    refuses('*a', /missing argument/, '*', 0);
    refuses('a|+', /missing argument/, '+', 2);
    refuses('a\\Z', /\\Z is not supported/, '\\Z', 1);
    refuses('a\\C', /any byte/, '\\C', 1);
  });

  it('malformed patterns', () => {
    refuses('(a', /missing closing \)/, '(a', 0);
    refuses('a)', /unexpected \)/, ')', 1);
    refuses('[a', /missing closing \]/, '[a', 0);
    refuses('[z-a]', /invalid character class range/, 'z-a', 1);
    refuses('[[:nope:]]', /invalid character class range/, '[:nope:]', 1);
    refuses('\\p{Nope}', /invalid character class range/, '\\p{Nope}', 0);
    refuses('ab\\', /trailing/, '\\', 2);
    refuses('\\8', /invalid escape/, '\\8', 0);
    refuses('\\x{110000}', /invalid escape/, '\\x{110000}', 0);
    refuses('(?i-)', /invalid or unsupported Perl syntax/, '(?i-)', 0);
    refuses('(?P<a>x)(?P<a>y)', /duplicate capture group name/, '(?P<a>', 8);
    refuses('(?P<a-b>x)', /invalid named capture group/, '(?P<a-b>', 0);
  });

  it('repetition counts over 1000, alone or multiplied by nesting (RE2\'s RepetitionWalker)', () => {
    refuses('a{1001}', /bad repetition operator/, '{1001}', 1);
    refuses('a{2,1001}', /bad repetition operator/, '{2,1001}', 1);
    refuses('a{999999999}', /bad repetition operator/, '{999999999}', 1);
    refuses('a{3,2}', /bad repetition operator/, '{3,2}', 1);
    refuses('(a{1000}){1000}', /nested repetitions/, '{1000}', 9);
    refuses('((a{10}){10}){11}', /nested repetitions/, '{11}', 13);
    expect(() => compileRe2FullMatch('((a{10}){10}){10}')).not.toThrow();
    expect(() => compileRe2FullMatch('(a{1000})*')).not.toThrow();
  });

  it('programs over RE2\'s default size budget, and nesting over the limit', () => {
    const big = '(?:[ab]{1000})'.repeat(Math.ceil(MAX_PROGRAM_SIZE / 1000) + 1);
    expect(() => compileRe2FullMatch(big)).toThrow(Re2SyntaxError);
    expect(() => compileRe2FullMatch(big)).toThrow(/pattern too large: it compiles to \d+ instructions, over RE2's limit of 699050/);
    // Building character classes is budgeted too: memory and folding steps, not just instructions.
    expect(() => compileRe2FullMatch('[\\pL]'.repeat(2000))).toThrow(/pattern too large: its character classes need more than 699050 ranges/);
    expect(() => compileRe2FullMatch(`(?i)${'[\\x{0}-\\x{10FFFF}]'.repeat(5000)}`)).toThrow(/pattern too large: case-folding/);
    expect(full(`(?i)${'[\\s\\S]'.repeat(1000)}`, 'x'.repeat(1000))).toBe(true);
    expect(full('\\W'.repeat(100_000), ' '.repeat(100_000))).toBe(true);
    // Parsing stays linear where a naive scan would not: many '[:' with no ':]' after them.
    expect(() => compileRe2FullMatch(`[${'[:'.repeat(200_000)}`)).toThrow(/missing closing \]/);
    const deep = (n: number) => `${'('.repeat(n)}a${')'.repeat(n)}`;
    expect(full(deep(MAX_NESTING), 'a')).toBe(true);
    refuses(deep(MAX_NESTING + 1), /nested more than 1000 deep/, '(', MAX_NESTING);
  });
});

// ---- the finding, through a real model ----

function regexModel(pattern: string): Uint8Array {
  return writeModel({
    opsets: [['', 20]],
    graph: {
      nodes: [{ op: 'RegexFullMatch', name: 'match', inputs: ['X'], outputs: ['Y'], attrs: [{ name: 'pattern', s: pattern }] }],
      inputs: [{ name: 'X', elemType: STRING, shape: ['N'] }],
      outputs: [{ name: 'Y', elemType: BOOL, shape: ['N'] }],
    },
  });
}

describe('RegexFullMatch in a model runs in linear time', () => {
  it('(a+)+b on 40 and 10,000 a\'s is false (it backtracked exponentially as a RegExp)', async () => {
    const s = await InferenceSession.create(regexModel('(a+)+b'));
    const xs = ['a'.repeat(40), 'a'.repeat(10_000), `${'a'.repeat(10_000)}b`, 'ab'];
    const y = await s.run({ X: new Tensor('string', xs, [xs.length]) });
    expect(Array.from(y.Y!.data as Uint8Array)).toEqual([0, 0, 1, 1]);
  });

  it('other classic exponential patterns on long adversarial strings', async () => {
    for (const [pattern, text] of [
      ['(a|a)*c', 'a'.repeat(5000)], ['(a*)*b', 'a'.repeat(5000)], ['(x+x+)+y', 'x'.repeat(5000)],
      ['(\\w+\\s?)*$x', 'word '.repeat(2000)], ['(.*a){20}', 'a'.repeat(5000) + 'b'],
    ] as const) {
      const s = await InferenceSession.create(regexModel(pattern));
      const y = await s.run({ X: new Tensor('string', [text], [1]) });
      expect(Array.from(y.Y!.data as Uint8Array), pattern).toEqual([0]);
    }
  });

  it('a long match calls its poll hook, which can stop it (for a run\'s deadline)', () => {
    // 100 x 1000 optional any-characters: ~200k live threads per character.
    const prog = compileRe2FullMatch('(?:[\\s\\S]?){1000}'.repeat(100));
    let polls = 0;
    const stop = new Error('deadline');
    const poll = () => {
      if (++polls === 3) throw stop;
    };
    expect(() => re2FullMatchAll(prog, ['x'.repeat(100_000)], new Uint8Array(1), poll)).toThrow(stop);
    expect(polls).toBe(3);
    const out = new Uint8Array(2);
    polls = 0;
    re2FullMatchAll(compileRe2FullMatch('(?:[\\s\\S]?){1000}'.repeat(3)), ['x'.repeat(10), 'x'.repeat(3001)], out, () => polls++);
    expect(Array.from(out)).toEqual([1, 0]);
    expect(polls).toBeGreaterThan(2); // ~9M thread steps in all
  });

  it('a refused pattern fails at load with InvalidNodeError naming the pattern and the construct', async () => {
    for (const [pattern, construct] of [['(a)\\1', "'\\1' at offset 3"], ['(?=a)', "'(?=' at offset 0"], ['(?!a)', "'(?!' at offset 0"],
      ['(?<=a)b', "'(?<=' at offset 0"], ['(a{1000}){1000}', "'{1000}' at offset 9"]] as const) {
      const err = await InferenceSession.create(regexModel(pattern)).then(() => undefined, (e: unknown) => e);
      expect(err, pattern).toBeInstanceOf(InvalidNodeError);
      expect((err as InvalidNodeError).code).toBe('INVALID_NODE');
      expect((err as Error).message).toContain(`RegexFullMatch: pattern '${pattern}' cannot be used`);
      expect((err as Error).message).toContain(construct);
    }
  });
});
