// RE2 full matching for ONNX's RegexFullMatch, in linear time: the pattern is parsed as RE2
// syntax (kernels/regex/parse.ts), compiled to a Thompson NFA and run as a Pike VM
// (kernels/regex/program.ts). Matching a string of n code points costs O(n x program size),
// whatever the pattern — `(a+)+b` included — as RE2 guarantees; the model's pattern never becomes
// a JavaScript RegExp (a backtracking engine).
//
// Semantics are RE2's for UTF-8 text, read on code points: '.' is any code point but \n (with
// (?s), any); \d \s \w \b and the POSIX classes are ASCII; (?i) uses Unicode simple case folding;
// ^ and $ are \A and \z unless (?m) makes them line anchors (\n only). Refused, as RE2 refuses
// them: backreferences, lookaround, atomic groups, possessive quantifiers, repetition counts over
// 1000 and programs over RE2's default size budget. Errors are Re2SyntaxError, naming the
// construct and its offset; the op turns them into InvalidNodeError.

import { parseRe2 } from './regex/parse.js';
import { PikeVm, type Re2Program, compileRe2 } from './regex/program.js';

export { MAX_NESTING, MAX_PROGRAM_SIZE, MAX_REPEAT, Re2SyntaxError } from './regex/parse.js';
export type { Re2Program } from './regex/program.js';

/** Parses and compiles an RE2 `pattern` for full matching; throws Re2SyntaxError. */
export function compileRe2FullMatch(pattern: string): Re2Program {
  return compileRe2(parseRe2(pattern), pattern);
}

/** Whether `s` as a whole matches `prog`. For many strings, use re2FullMatchAll (one scratch). */
export function re2FullMatch(prog: Re2Program, s: string): boolean {
  return new PikeVm(prog).fullMatch(s);
}

/**
 * out[i] = 1 when x[i] as a whole matches `prog`, else 0. The work is O(total length x program
 * size); `poll`, when given, is called every ~2^20 thread steps and may throw to stop (a deadline).
 */
export function re2FullMatchAll(prog: Re2Program, x: readonly string[], out: Uint8Array, poll?: () => void): void {
  const vm = new PikeVm(prog, poll);
  for (let i = 0; i < x.length; i++) out[i] = vm.fullMatch(x[i]!) ? 1 : 0;
}
