// Translates an RE2 pattern (the syntax ONNX's RegexFullMatch specifies) to a JavaScript
// RegExp source for the 'u' flag, or explains why it cannot.
//
// Handled: (?P<name>...) -> (?<name>...), \A -> ^, \z -> $, \pL -> \p{L}, \Q...\E literals,
// POSIX classes inside brackets ([[:alpha:]] etc.), and leading flag groups
// (?i) and (?s) -> RegExp flags. Refused with a message: backreferences (\1, \k<name>, (?P=name)) and
// lookaround ((?=, (?!, (?<=, (?<!), which RE2 does not have, \Z, \C and inline flag groups
// that are not at the start of the pattern, (?m) and (?U).
//
// Limitation: JavaScript's RegExp is a backtracking engine, so unlike RE2 its matching time is
// not linear in the input; patterns with nested quantifiers such as (a+)+ can take exponential
// time on adversarial inputs. Use trusted patterns.

export class Re2SyntaxError extends Error {}

const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string;
}

/** RE2 pattern -> JS RegExp source and flags ('u' plus any leading inline flags). */
export function translateRe2(pattern: string): TranslatedRegex {
  let flags = 'u';
  let out = '';
  let i = 0;
  const n = pattern.length;
  // Leading flag groups: (?i), (?s), (?m), (?is)...
  for (let m = /^\(\?([imsU]+)\)/.exec(pattern); m; m = /^\(\?([imsU]+)\)/.exec(pattern.slice(i))) {
    for (const f of m[1]!) {
      if (f === 'U' || f === 'm') throw new Re2SyntaxError(`the flag (?${f}) is not supported`);
      if (!flags.includes(f)) flags += f;
    }
    i += m[0].length;
  }
  let inClass = false;
  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      const d = pattern[i + 1];
      if (d === undefined) throw new Re2SyntaxError('trailing backslash');
      if (d >= '1' && d <= '9') throw new Re2SyntaxError(`backreference \\${d} is not RE2 syntax`);
      if (d === 'k') throw new Re2SyntaxError('named backreference \\k is not RE2 syntax');
      if (d === 'Z' || d === 'C') throw new Re2SyntaxError(`\\${d} is not supported`);
      if (d === 'A' && !inClass) { out += '^'; i += 2; continue; }
      if (d === 'z' && !inClass) { out += '$'; i += 2; continue; }
      if ((d === 'p' || d === 'P') && /[A-Za-z]/.test(pattern[i + 2] ?? '')) {
        out += `\\${d}{${pattern[i + 2]}}`;
        i += 3;
        continue;
      }
      if (d === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end < 0 ? n : end);
        out += escapeLiteral(lit);
        i = end < 0 ? n : end + 2;
        continue;
      }
      // RE2 lets any ASCII punctuation be escaped; the 'u' flag only accepts syntax characters.
      if (/[!-/:-@[-`{-~]/.test(d) && !/[\\^$.*+?()[\]{}|/]/.test(d) && !(inClass && d === '-')) {
        out += d;
        i += 2;
        continue;
      }
      out += c + d;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end < 0 ? '' : pattern.slice(i + 2, end);
        const neg = name.startsWith('^');
        const cls = POSIX[neg ? name.slice(1) : name];
        if (cls === undefined) throw new Re2SyntaxError(`unknown POSIX class [:${name}:]`);
        if (neg) throw new Re2SyntaxError(`negated POSIX class [:${name}:] is not supported`);
        out += cls;
        i = end + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (pattern[i] === '^') { out += '^'; i++; }
      if (pattern[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        throw new Re2SyntaxError('lookaround assertions are not RE2 syntax');
      }
      if (rest.startsWith('P=')) throw new Re2SyntaxError('named backreference (?P=...) is not RE2 syntax');
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue; }
      if (rest.startsWith(':') || rest.startsWith('<')) { out += '(?'; i += 2; continue; }
      throw new Re2SyntaxError(`inline flag group '(?${rest.slice(0, 3)}' is only supported at the start`);
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}

/** A RegExp that tests whether a whole string matches the RE2 `pattern`. */
export function fullMatchRegExp(pattern: string): RegExp {
  const t = translateRe2(pattern);
  return new RegExp(`^(?:${t.source})$`, t.flags);
}
