// Parses RE2 syntax (https://github.com/google/re2/wiki/Syntax) into a small tree, following
// RE2's parser (re2/parse.cc) in its default Perl-like mode: what RE2 accepts is accepted and
// what it refuses is refused with the construct and its offset. Refused as RE2 does: backreferences
// (\1, \k, (?P=name)), lookaround ((?=, (?!, (?<=, (?<!), atomic groups (?>...), possessive and
// stacked quantifiers (a*+, a**), \Z, counted repetitions over 1000 (also when nested ones multiply
// past 1000, RE2's RepetitionWalker rule). \C (any byte) is refused too: it has no meaning for
// code points. Beyond RE2: groups may nest at most MAX_NESTING deep (Go's regexp/syntax has the
// same 1000 limit), so that no walker over the tree can run out of stack.
//
// Semantics carried in the tree: case folding is already applied (a literal under (?i) becomes
// the class of its fold orbit), '.' and classes are code point ranges, and ^ $ have become
// text or line assertions according to (?m). Capture groups and greediness do not change whether
// a whole string matches, so the tree keeps neither.

import { foldOrbit, foldRanges } from './case-fold.js';
import {
  MAX_RUNE, PERL_CLASSES, POSIX_CLASSES, RangeBuilder, type Ranges, complementRanges,
} from './ranges.js';
import { unicodeGroup } from './unicode-groups.js';

/** RE2's maximum count in {n,m}, and the most copies nested counted repetitions may make. */
export const MAX_REPEAT = 1000;
/** The deepest group nesting accepted. */
export const MAX_NESTING = 1000;
/**
 * The most instructions a program may have: what RE2's default max_mem (8 MiB, two thirds of it
 * for the forward program) allows at 8 bytes per instruction. RE2 spends one instruction per UTF-8
 * byte range where this program spends one per code point class, so any pattern RE2 compiles
 * fits here too. Character classes get the same budget in ranges (RE2 compiles each range to at
 * least one instruction), so that building them is bounded too.
 */
export const MAX_PROGRAM_SIZE = Math.floor(((8 << 20) * 2) / 3 / 8);
/** Folding a class costs a step per range and per folding code point inside it (~1 µs each at most). */
const FOLD_WORK_FACTOR = 16;

/** A pattern RE2 would refuse (or that tessera cannot run); names the construct and its offset. */
export class Re2SyntaxError extends Error {
  constructor(
    readonly reason: string,
    /** The offending text, e.g. '\\1' or '(?='. */
    readonly construct: string,
    /** Its offset in the pattern, in UTF-16 code units. */
    readonly offset: number,
  ) {
    super(`${reason}: '${construct.length > 40 ? `${construct.slice(0, 40)}...` : construct}' at offset ${offset}`);
    this.name = 'Re2SyntaxError';
  }
}

/** Empty-width assertions, as bits so that a position's context is one mask. */
export const Assert = Object.freeze({
  BeginText: 1,
  EndText: 2,
  BeginLine: 4,
  EndLine: 8,
  WordBoundary: 16,
  NotWordBoundary: 32,
});

export type RegexNode =
  | { readonly k: 'empty' }
  | { readonly k: 'char'; readonly cp: number }
  | { readonly k: 'class'; readonly ranges: Ranges }
  | { readonly k: 'assert'; readonly what: number }
  | { readonly k: 'cat' | 'alt'; readonly subs: readonly RegexNode[] }
  | { readonly k: 'star' | 'plus' | 'quest'; readonly sub: RegexNode }
  | { readonly k: 'repeat'; readonly sub: RegexNode; readonly min: number; readonly max: number };

const FOLD = 1;
const DOT_NL = 2;
const MULTI_LINE = 4;
const UNGREEDY = 8;
const FLAG_BITS: ReadonlyMap<string, number> = new Map([['i', FOLD], ['s', DOT_NL], ['m', MULTI_LINE], ['U', UNGREEDY]]);

const EMPTY: RegexNode = Object.freeze({ k: 'empty' });
const ALL = Int32Array.of(0, MAX_RUNE);
const NOT_NL = Int32Array.of(0, 9, 11, MAX_RUNE);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isAsciiAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** Parses an RE2 pattern; throws Re2SyntaxError where RE2 would refuse it. */
export function parseRe2(pattern: string): RegexNode {
  return new Re2Parser(pattern).parse();
}

class Re2Parser {
  private i = 0;
  private flags = 0;
  private depth = 0;
  private readonly names = new Set<string>();
  /** Ranges built for classes so far; bounded by MAX_PROGRAM_SIZE. */
  private readonly classWork = { n: 0 };
  /** Steps spent case-folding classes so far; bounded by FOLD_WORK_FACTOR x MAX_PROGRAM_SIZE. */
  private readonly foldWork = { n: 0 };
  /** No ':]' follows this offset (so no later '[:' starts a POSIX class). */
  private noPosixCloseFrom = Infinity;
  /** The class each literal becomes under (?i), shared so that the program stores it once. */
  private readonly foldedLiterals = new Map<number, RegexNode>();
  /** Complements of the named groups (\W, \PL, [:^alpha:]), without and with (?i), built once each. */
  private readonly negated = new Map<Ranges, Ranges>();
  private readonly negatedFolded = new Map<Ranges, Ranges>();
  private readonly foldedGroups = new Map<Ranges, Ranges>();

  constructor(private readonly src: string) {}

  parse(): RegexNode {
    const re = this.alternation();
    if (this.i < this.src.length) throw new Re2SyntaxError('unexpected )', ')', this.i);
    return re;
  }

  private fail(reason: string, from: number, to: number = this.i): never {
    throw new Re2SyntaxError(reason, this.src.slice(from, Math.max(to, from + 1)), from);
  }

  private alternation(): RegexNode {
    const branches = [this.concatenation()];
    while (this.src[this.i] === '|') {
      this.i++;
      branches.push(this.concatenation());
    }
    return branches.length === 1 ? branches[0]! : { k: 'alt', subs: branches };
  }

  private concatenation(): RegexNode {
    const items: RegexNode[] = [];
    const src = this.src;
    let lastRepeat = -1; // offset of the quantifier just read, -1 after anything else
    while (this.i < src.length) {
      const c = src[this.i]!;
      if (c === '|' || c === ')') break;
      const start = this.i;
      let rep: { min: number; max: number; k: 'star' | 'plus' | 'quest' | 'repeat' } | undefined;
      if (c === '*' || c === '+' || c === '?') {
        this.i++;
        rep = { k: c === '*' ? 'star' : c === '+' ? 'plus' : 'quest', min: 0, max: 0 };
      } else if (c === '{') {
        const counted = this.countedRepetition();
        if (counted) rep = { k: 'repeat', ...counted };
      }
      if (rep) {
        if (src[this.i] === '?') this.i++; // non-greedy: the same language
        if (lastRepeat >= 0) this.fail('bad repetition operator', lastRepeat);
        if (items.length === 0) this.fail('missing argument to repetition operator', start);
        const sub = items.pop()!;
        if (rep.k === 'repeat') {
          if (rep.max !== -1 && rep.max < rep.min) this.fail('bad repetition operator (max below min)', start);
          if (rep.min > MAX_REPEAT || rep.max > MAX_REPEAT) {
            this.fail(`bad repetition operator (counts above ${MAX_REPEAT})`, start);
          }
          const node: RegexNode = { k: 'repeat', sub, min: rep.min, max: rep.max };
          if ((rep.min >= 2 || rep.max >= 2) && repetitionBudget(node, MAX_REPEAT) === 0) {
            this.fail(`bad repetition operator (nested repetitions make more than ${MAX_REPEAT} copies)`, start);
          }
          items.push(node);
        } else {
          items.push({ k: rep.k, sub });
        }
        lastRepeat = start;
        continue;
      }
      lastRepeat = -1;
      this.atom(items);
    }
    if (items.length === 0) return EMPTY;
    return items.length === 1 ? items[0]! : { k: 'cat', subs: items };
  }

  /**
   * {n}, {n,} or {n,m} at this.i; undefined (and nothing consumed) when it is a literal '{'. As in
   * RE2, a count with a leading zero or of more than nine digits makes the braces literal text.
   */
  private countedRepetition(): { min: number; max: number } | undefined {
    const src = this.src;
    let j = this.i + 1;
    const count = (): number => {
      const from = j;
      while (isDigit(src[j])) j++;
      if (j === from || j - from > 9 || (src[from] === '0' && j - from > 1)) return -2;
      return Number(src.slice(from, j));
    };
    const min = count();
    if (min < 0) return undefined;
    let max = min;
    if (src[j] === ',') {
      j++;
      max = src[j] === '}' ? -1 : count();
      if (max === -2) return undefined;
    }
    if (src[j] !== '}') return undefined;
    this.i = j + 1;
    return { min, max };
  }

  private atom(items: RegexNode[]): void {
    const src = this.src;
    const c = src[this.i]!;
    switch (c) {
      case '(':
        this.group(items);
        return;
      case '[':
        items.push(this.classNode(this.charClass()));
        return;
      case '.':
        this.i++;
        items.push({ k: 'class', ranges: this.flags & DOT_NL ? ALL : NOT_NL });
        return;
      case '^':
        this.i++;
        items.push({ k: 'assert', what: this.flags & MULTI_LINE ? Assert.BeginLine : Assert.BeginText });
        return;
      case '$':
        this.i++;
        items.push({ k: 'assert', what: this.flags & MULTI_LINE ? Assert.EndLine : Assert.EndText });
        return;
      case '\\':
        this.escapeAtom(items);
        return;
      default:
        items.push(this.literal(this.codePoint()));
    }
  }

  private codePoint(): number {
    const c = this.src.codePointAt(this.i)!;
    this.i += c > 0xffff ? 2 : 1;
    return c;
  }

  private literal(cp: number): RegexNode {
    if (this.flags & FOLD) {
      const known = this.foldedLiterals.get(cp);
      if (known) return known;
      const orbit = foldOrbit(cp);
      if (orbit) {
        const b = new RangeBuilder();
        for (const m of orbit) b.add(m, m);
        const node: RegexNode = { k: 'class', ranges: this.charge(b.build()) };
        this.foldedLiterals.set(cp, node);
        return node;
      }
    }
    return { k: 'char', cp };
  }

  private classNode(r: Ranges): RegexNode {
    return r.length === 2 && r[0] === r[1] ? { k: 'char', cp: r[0]! } : { k: 'class', ranges: r };
  }

  /** Counts a newly built class against the budget; refuses the pattern past it. */
  private charge(r: Ranges): Ranges {
    this.classWork.n += r.length >> 1;
    this.checkClassWork();
    return r;
  }

  private checkClassWork(): void {
    if (this.classWork.n > MAX_PROGRAM_SIZE) {
      this.fail(`pattern too large: its character classes need more than ${MAX_PROGRAM_SIZE} ranges`, this.i);
    }
    if (this.foldWork.n > FOLD_WORK_FACTOR * MAX_PROGRAM_SIZE) {
      this.fail(`pattern too large: case-folding its character classes takes more than ${FOLD_WORK_FACTOR * MAX_PROGRAM_SIZE} steps`, this.i);
    }
  }

  /** fold() for a shared group's ranges (\pL, \w), done once per group. */
  private foldGroup(r: Ranges): Ranges {
    let out = this.foldedGroups.get(r);
    if (out === undefined) {
      out = this.fold(r);
      this.foldedGroups.set(r, out);
    }
    return out;
  }

  private fold(r: Ranges): Ranges {
    const folded = foldRanges(r, this.foldWork);
    this.checkClassWork();
    return folded === r ? r : this.charge(folded);
  }

  private group(items: RegexNode[]): void {
    const src = this.src;
    const open = this.i;
    const outerFlags = this.flags; // (?i:...) changes the flags for the group only
    this.i++;
    if (src[this.i] === '?') {
      const rest = src.slice(this.i + 1, this.i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) this.fail('lookaround assertion is not supported by RE2', open, open + 3);
      if (rest.startsWith('<=') || rest.startsWith('<!')) this.fail('lookaround assertion is not supported by RE2', open, open + 4);
      if (rest.startsWith('P=')) this.fail('named backreference is not supported by RE2', open, src.indexOf(')', open) + 1 || src.length);
      if (rest.startsWith('>')) this.fail('atomic group is not supported by RE2', open, open + 3);
      if (rest.startsWith('P<') || rest.startsWith('<')) {
        const nameStart = this.i + (rest.startsWith('P') ? 3 : 2);
        const end = src.indexOf('>', nameStart);
        if (end < 0) this.fail('invalid named capture group', open, src.length);
        const name = src.slice(nameStart, end);
        if (!/^[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]+$/u.test(name)) this.fail('invalid named capture group', open, end + 1);
        if (this.names.has(name)) this.fail('duplicate capture group name', open, end + 1);
        this.names.add(name);
        this.i = end + 1;
      } else if (this.flagGroup(open)) {
        return; // (?flags): changes the flags of the enclosing group, adds nothing
      }
    }
    if (++this.depth > MAX_NESTING) this.fail(`groups nested more than ${MAX_NESTING} deep`, open);
    const inner = this.alternation();
    if (src[this.i] !== ')') this.fail('missing closing )', open, src.length);
    this.i++;
    this.flags = outerFlags;
    this.depth--;
    items.push(inner);
  }

  /** After '(?': reads flags up to ')' (returns true) or ':' (sets them, returns false: a group follows). */
  private flagGroup(open: number): boolean {
    const src = this.src;
    let j = this.i + 1;
    let flags = this.flags;
    let negated = false;
    let sawFlag = false;
    for (;;) {
      const c = src[j];
      const bit = c === undefined ? undefined : FLAG_BITS.get(c);
      if (bit !== undefined) {
        flags = negated ? flags & ~bit : flags | bit;
        sawFlag = true;
      } else if (c === '-' && !negated) {
        negated = true;
        sawFlag = false;
      } else if ((c === ')' || c === ':') && !(negated && !sawFlag)) {
        this.flags = flags;
        this.i = j + 1;
        return c === ')';
      } else {
        this.fail('invalid or unsupported Perl syntax', open, j + 1);
      }
      j++;
    }
  }

  private escapeAtom(items: RegexNode[]): void {
    const src = this.src;
    const start = this.i;
    const d = src[this.i + 1];
    switch (d) {
      case 'b':
      case 'B':
        this.i += 2;
        items.push({ k: 'assert', what: d === 'b' ? Assert.WordBoundary : Assert.NotWordBoundary });
        return;
      case 'A':
      case 'z':
        this.i += 2;
        items.push({ k: 'assert', what: d === 'A' ? Assert.BeginText : Assert.EndText });
        return;
      case 'Z':
        this.fail('\\Z is not supported by RE2 (use \\z)', start, start + 2);
      case 'C':
        this.fail('\\C (any byte) is not supported', start, start + 2);
      case 'Q': {
        this.i += 2;
        while (this.i < src.length) {
          if (src.startsWith('\\E', this.i)) {
            this.i += 2;
            break;
          }
          items.push(this.literal(this.codePoint()));
        }
        return;
      }
      default: {
        const group = this.maybeGroupEscape();
        if (group) items.push(this.classNode(this.flags & FOLD ? this.foldGroup(group) : group));
        else items.push(this.literal(this.escape()));
      }
    }
  }

  /** \d \s \w \D \S \W \pN \p{Name} \PN \P{^Name} at this.i, or undefined (nothing consumed). */
  private maybeGroupEscape(): Ranges | undefined {
    const src = this.src;
    const start = this.i;
    const d = src[this.i + 1];
    if (d === undefined) return undefined;
    const perl = PERL_CLASSES.get(d.toLowerCase());
    if (perl && (d === 'd' || d === 's' || d === 'w' || d === 'D' || d === 'S' || d === 'W')) {
      this.i += 2;
      return this.signed(perl, d === d.toLowerCase());
    }
    if (d !== 'p' && d !== 'P') return undefined;
    let positive = d === 'p';
    let name: string;
    if (src[this.i + 2] === '{') {
      const end = src.indexOf('}', this.i + 3);
      if (end < 0) this.fail('invalid character class range', start, src.length);
      name = src.slice(this.i + 3, end);
      this.i = end + 1;
      if (name.startsWith('^')) {
        positive = !positive;
        name = name.slice(1);
      }
    } else {
      if (this.i + 2 >= src.length) this.fail('invalid escape sequence', start, src.length);
      this.i += 2;
      name = String.fromCodePoint(this.codePoint());
    }
    const r = unicodeGroup(name);
    if (r === undefined) this.fail('invalid character class range', start);
    return this.signed(r, positive);
  }

  /** A group's ranges, or their complement; under (?i) folded first, as RE2's AddUGroup does. */
  private signed(r: Ranges, positive: boolean): Ranges {
    if (positive) return r;
    const cache = this.flags & FOLD ? this.negatedFolded : this.negated;
    let out = cache.get(r);
    if (out === undefined) {
      out = this.charge(complementRanges(this.flags & FOLD ? this.fold(r) : r));
      cache.set(r, out);
    }
    return out;
  }

  /** A single-character escape after '\\' at this.i: the code point it stands for. */
  private escape(): number {
    const src = this.src;
    const start = this.i;
    this.i++;
    if (this.i >= src.length) this.fail('trailing \\', start, src.length);
    const c = src[this.i]!;
    if (c.charCodeAt(0) < 0x80 && !isAsciiAlnum(c)) {
      this.i++;
      return c.charCodeAt(0);
    }
    if (c >= '1' && c <= '7' && !isOctal(src[this.i + 1])) this.fail('backreference is not supported by RE2', start, this.i + 1);
    if (isOctal(c)) {
      // Octal: \0, \012, \12 (a digit 1-7 alone is a backreference, above); up to three digits.
      let code = 0;
      const end = Math.min(this.i + 3, src.length);
      while (this.i < end && isOctal(src[this.i])) code = code * 8 + Number(src[this.i++]);
      return code;
    }
    this.i++;
    switch (c) {
      case 'a': return 7;
      case 'f': return 12;
      case 't': return 9;
      case 'n': return 10;
      case 'r': return 13;
      case 'v': return 11;
      case 'x': {
        if (src[this.i] === '{') {
          const end = src.indexOf('}', this.i + 1);
          const hex = end < 0 ? '' : src.slice(this.i + 1, end);
          if (hex === '' || hex.length > 8 || ![...hex].every(isHex) || parseInt(hex, 16) > MAX_RUNE) {
            this.fail('invalid escape sequence', start, end < 0 ? src.length : end + 1);
          }
          this.i = end + 1;
          return parseInt(hex, 16);
        }
        if (!isHex(src[this.i]) || !isHex(src[this.i + 1])) this.fail('invalid escape sequence', start, this.i + 2);
        this.i += 2;
        return parseInt(src.slice(this.i - 2, this.i), 16);
      }
      case 'k':
        this.fail('named backreference is not supported by RE2', start, this.i);
      default:
        this.fail('invalid escape sequence', start, this.i);
    }
  }

  /** [...] at this.i: its code point ranges, folded and negated as the flags and '^' say. */
  private charClass(): Ranges {
    const src = this.src;
    const open = this.i;
    this.i++;
    let negated = false;
    if (src[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const b = new RangeBuilder();
    let first = true; // ']' first in the class is a literal
    while (this.i < src.length && (src[this.i] !== ']' || first)) {
      first = false;
      if (src.startsWith('[:', this.i) && this.i < this.noPosixCloseFrom) {
        const end = src.indexOf(':]', this.i + 2);
        if (end < 0) this.noPosixCloseFrom = this.i;
        else {
          let name = src.slice(this.i + 2, end);
          const positive = !name.startsWith('^');
          if (!positive) name = name.slice(1);
          const posix = POSIX_CLASSES.get(name);
          if (posix === undefined) this.fail('invalid character class range', this.i, end + 2);
          b.addRanges(this.charge(this.signed(posix, positive)));
          this.i = end + 2;
          continue;
        }
      }
      if (src[this.i] === '\\') {
        const group = this.maybeGroupEscape();
        if (group) {
          b.addRanges(this.charge(group));
          continue;
        }
      }
      const rangeStart = this.i;
      const lo = this.classChar();
      let hi = lo;
      if (src[this.i] === '-' && this.i + 1 < src.length && src[this.i + 1] !== ']') {
        this.i++;
        hi = this.classChar();
        if (hi < lo) this.fail('invalid character class range', rangeStart);
      }
      b.add(lo, hi);
    }
    if (this.i >= src.length) this.fail('missing closing ]', open, src.length);
    this.i++;
    let r = this.charge(b.build());
    if (this.flags & FOLD) r = this.fold(r);
    return negated ? this.charge(complementRanges(r)) : r;
  }

  private classChar(): number {
    return this.src[this.i] === '\\' ? this.escape() : this.codePoint();
  }
}

/**
 * RE2's RepetitionWalker: `budget` divided by the count of each counted repetition on the way
 * down (max, or min when unbounded); the smallest result over the tree. 0 means the nested
 * repetitions make more than `budget` copies of something.
 */
function repetitionBudget(node: RegexNode, budget: number): number {
  let arg = budget;
  if (node.k === 'repeat') {
    const m = node.max < 0 ? node.min : node.max;
    if (m > 0) arg = Math.floor(arg / m);
  }
  let least = arg;
  if (node.k === 'cat' || node.k === 'alt') {
    for (const s of node.subs) least = Math.min(least, repetitionBudget(s, arg));
  } else if (node.k === 'star' || node.k === 'plus' || node.k === 'quest' || node.k === 'repeat') {
    least = Math.min(least, repetitionBudget(node.sub, arg));
  }
  return least;
}
