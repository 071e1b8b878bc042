// Expression and type parsing for serialized TorchScript, over the lexer's tokens; the statement
// and class parser (parser.ts) extends it. Errors name the archive member, line and column.
// Nesting (parentheses, unary operators, trailers, conditional expressions, types, blocks) is
// counted against maxRecursionDepth; binary-operator chains are parsed with a loop, so
// `x + x + ... + x` costs no depth per term.

import { ResourceLimitError } from '../../errors.js';
import { DEFAULT_LIMITS } from '../../limits.js';
import type { Expr, Pos, TypeExpr } from '../../ir/torchscript-ast.js';
import { syntaxError, type Token, type TokenStream, tokenize } from './lexer.js';

const COMPARE_OPS = new Set(['<', '>', '==', '!=', '<=', '>=', 'in', 'is']);
export const AUG_OPS = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '&=', '|=', '^=', '<<=', '>>=', '@=']);
/** Binding strength of each binary operator (higher binds tighter); all are left-associative. */
const BINARY_LEVEL = new Map<string, number>([
  ['|', 0], ['^', 1], ['&', 2], ['<<', 3], ['>>', 3], ['+', 4], ['-', 4], ['*', 5], ['/', 5], ['//', 5], ['%', 5], ['@', 5],
]);
/** Tokens after which an operand is complete (besides binary operators and the end of a line). */
const ENDS_OPERAND = new Set([')', ']', '}', ',', ':', '=', '==', '!=', '<', '>', '<=', '>=']);
/** Calls whose first argument (second for isinstance) is a type. */
const TYPE_ARG_CALLS = new Set(['annotate', 'unchecked_cast', 'uninitialized', 'isinstance']);

export class ExprParser {
  protected readonly toks: TokenStream;
  protected p = 0;
  protected readonly lines: string[];
  /** Current nesting depth of the construct being parsed (see enter). */
  private depth = 0;

  constructor(
    src: string, protected readonly file: string, protected readonly moduleName: string,
    private readonly maxDepth: number = DEFAULT_LIMITS.maxRecursionDepth,
  ) {
    this.toks = tokenize(src, file);
    this.lines = src.split('\n');
  }

  /** One level deeper (a nested expression, block or type); pair with leave(). */
  protected enter(t: Token = this.tok): void {
    if (++this.depth > this.maxDepth) {
      const d = this.depth;
      this.depth = 0;
      throw new ResourceLimitError(
        `${this.file}:${t.line}:${t.col}: nesting depth ${d} exceeds the limit maxRecursionDepth = ${this.maxDepth}`,
        'maxRecursionDepth', d, this.maxDepth,
      );
    }
  }
  protected leave(levels = 1): void {
    this.depth -= levels;
  }

  // ------------------------------------------------------------------ token helpers
  protected get tok(): Token { return this.toks.at(this.p); }
  protected k(): Token['kind'] { return this.toks.kind(this.p); }
  protected peek(k = 1): Token { return this.toks.at(Math.min(this.p + k, this.toks.length - 1)); }
  /**
   * Where token `t` (by default the current one) starts. The nested rules all ask for the position
   * of the same token before consuming it, so the last answer is reused (Pos objects are immutable).
   */
  protected pos(t?: Token): Pos {
    if (t) return { file: this.file, line: t.line, col: t.col };
    if (this.posIndex !== this.p) {
      this.posIndex = this.p;
      this.lastPos = { file: this.file, line: this.toks.line(this.p), col: this.toks.col(this.p) };
    }
    return this.lastPos!;
  }
  private posIndex = -1;
  private lastPos: Pos | undefined;
  protected error(what: string, t: Token = this.tok): never {
    const got = t.kind === 'eof' ? 'end of file' : t.kind === 'newline' ? 'end of line' : t.kind === 'indent' ? 'indent'
      : t.kind === 'dedent' ? 'dedent' : JSON.stringify(t.text);
    throw syntaxError(this.file, t.line, t.col, `${what}, found ${got}`);
  }
  protected isOp(text: string): boolean { return this.k() === 'op' && this.toks.text(this.p) === text; }
  protected isName(text: string): boolean { return this.k() === 'name' && this.toks.text(this.p) === text; }
  protected accept(text: string): boolean {
    const k = this.k();
    if ((k === 'op' || k === 'name') && this.toks.text(this.p) === text) { this.p++; return true; }
    return false;
  }
  protected expect(text: string): Token {
    const t = this.tok;
    if (!this.accept(text)) this.error(`expected '${text}'`);
    return t;
  }
  protected name(): string {
    if (this.k() !== 'name') this.error('expected a name');
    return this.toks.text(this.p++);
  }
  protected newline(): void {
    if (this.k() === 'newline') { this.p++; return; }
    if (this.k() === 'eof' || this.k() === 'dedent') return;
    this.error('expected end of line');
  }

  protected dotted(): string {
    let n = this.name();
    while (this.isOp('.')) { this.p++; n += '.' + this.name(); }
    return n;
  }

  typeExpr(): TypeExpr {
    if (this.accept('(')) { this.expect(')'); return { name: 'Tuple', args: [] }; }
    if (this.isName('None')) { this.p++; return { name: 'NoneType', args: [] }; }
    const name = this.dotted();
    const args: TypeExpr[] = [];
    if (this.accept('[')) {
      this.enter();
      while (!this.isOp(']')) {
        if (this.k() === 'str' || this.k() === 'int') { args.push({ name: this.toks.at(this.p++).value, args: [] }); }
        else args.push(this.typeExpr());
        if (!this.accept(',')) break;
      }
      this.expect(']');
      this.leave();
    }
    return { name, args };
  }

  protected targetList(): Expr {
    const pos = this.pos();
    const items = [this.bitOr()];
    let tuple = false;
    while (this.accept(',')) {
      tuple = true;
      if (this.isName('in')) break;
      items.push(this.bitOr());
    }
    return tuple ? { kind: 'tuple', pos, items } : items[0]!;
  }

  // ------------------------------------------------------------------ expressions
  /** A comma-separated list; more than one item (or a trailing comma) makes a tuple. */
  protected exprList(allowStar = false): Expr {
    const pos = this.pos();
    const first = allowStar && this.isOp('*') ? this.starred() : this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.accept(',')) {
      if (this.k() === 'newline' || this.isOp('=') || this.isOp(')') || this.isOp(';') || this.k() === 'eof') break;
      if (this.k() === 'op' && AUG_OPS.has(this.tok.text)) break;
      items.push(allowStar && this.isOp('*') ? this.starred() : this.expr());
    }
    return { kind: 'tuple', pos, items };
  }

  protected starred(): Expr {
    const pos = this.pos();
    this.expect('*');
    return { kind: 'starred', pos, value: this.bitOr() };
  }

  expr(): Expr {
    const pos = this.pos();
    const e = this.orExpr();
    if (this.isName('if')) {
      this.p++;
      const cond = this.orExpr();
      this.expect('else');
      this.enter(); // `a if c else b if d else ...` nests in the else branch
      const other = this.expr();
      this.leave();
      return { kind: 'ifexp', pos, cond, then: e, else: other };
    }
    return e;
  }

  protected orExpr(): Expr {
    const pos = this.pos();
    const values = [this.andExpr()];
    while (this.accept('or')) values.push(this.andExpr());
    return values.length === 1 ? values[0]! : { kind: 'boolop', pos, op: 'or', values };
  }

  protected andExpr(): Expr {
    const pos = this.pos();
    const values = [this.notExpr()];
    while (this.accept('and')) values.push(this.notExpr());
    return values.length === 1 ? values[0]! : { kind: 'boolop', pos, op: 'and', values };
  }

  protected notExpr(): Expr {
    const pos = this.pos();
    if (this.accept('not')) {
      this.enter();
      const operand = this.notExpr();
      this.leave();
      return { kind: 'unary', pos, op: 'not', operand };
    }
    return this.comparison();
  }

  protected comparison(): Expr {
    const pos = this.pos();
    const first = this.bitOr();
    const ops: string[] = [];
    const operands = [first];
    for (;;) {
      let op: string | undefined;
      if ((this.k() === 'op' || this.k() === 'name') && COMPARE_OPS.has(this.tok.text)) {
        op = this.tok.text;
        this.p++;
        if (op === 'is' && this.accept('not')) op = 'is not';
      } else if (this.isName('not') && this.peek().kind === 'name' && this.peek().text === 'in') {
        this.p += 2;
        op = 'not in';
      }
      if (!op) break;
      ops.push(op);
      operands.push(this.bitOr());
    }
    return ops.length ? { kind: 'compare', pos, ops, operands } : first;
  }

  /** `a | b`, `a + b * c`, ...: precedence climbing, looping over operators of one level. */
  protected bitOr(minLevel = 0): Expr {
    const pos = this.pos();
    let left = this.unary();
    for (;;) {
      const op = this.k() === 'op' ? this.toks.text(this.p) : '';
      const level = BINARY_LEVEL.get(op);
      if (level === undefined || level < minLevel) return left;
      this.p++;
      left = { kind: 'binary', pos, op, left, right: this.plainName(level) ?? this.bitOr(level + 1) };
    }
  }

  /**
   * The right operand of a level-`level` operator when it is a lone name (`x + y + ...`: the common
   * case, and a 200,000-term chain in the hostile corpus), taken without descending through
   * unary/power/primary/atom: only when the token after it ends the operand (end of line, a
   * closing bracket or comma, or an operator binding no tighter than `level`).
   */
  private plainName(level: number): Expr | undefined {
    const toks = this.toks;
    const p = this.p;
    if (toks.kind(p) !== 'name') return undefined;
    const id = toks.text(p);
    if (id === 'None' || id === 'True' || id === 'False' || id === 'inf' || id === 'nan' || id === 'lambda') return undefined;
    const nk = toks.kind(p + 1);
    if (nk === 'op') {
      const next = toks.text(p + 1);
      const l = BINARY_LEVEL.get(next);
      if (l === undefined ? !ENDS_OPERAND.has(next) : l > level) return undefined;
    } else if (nk !== 'newline' && nk !== 'eof') {
      return undefined;
    }
    const pos = this.pos();
    this.p = p + 1;
    return { kind: 'name', pos, id };
  }

  protected unary(): Expr {
    const pos = this.pos();
    if (this.k() === 'op' && (this.tok.text === '-' || this.tok.text === '+' || this.tok.text === '~')) {
      const op = this.tok.text;
      this.p++;
      this.enter();
      const operand = this.unary();
      this.leave();
      if (op === '-' && operand.kind === 'const' && (typeof operand.value === 'bigint' || typeof operand.value === 'number')) {
        return { kind: 'const', pos, value: -operand.value };
      }
      return { kind: 'unary', pos, op, operand };
    }
    return this.power();
  }

  protected power(): Expr {
    const pos = this.pos();
    const base = this.primary();
    if (this.accept('**')) {
      this.enter();
      const right = this.unary();
      this.leave();
      return { kind: 'binary', pos, op: '**', left: base, right };
    }
    return base;
  }

  protected primary(): Expr {
    const pos = this.pos(); // every trailer's node starts where its primary starts
    let e = this.atom();
    // Each trailer nests the expression so far one level deeper (a.b.c is attr(attr(a, b), c)).
    let trailers = 0;
    for (;;) {
      const isTrailer = this.isOp('.') || this.isOp('(') || this.isOp('[');
      if (isTrailer) { this.enter(); trailers++; }
      if (this.accept('.')) {
        e = { kind: 'attr', pos, obj: e, attr: this.name() };
      } else if (this.isOp('(')) {
        e = this.call(e);
      } else if (this.accept('[')) {
        const index = this.subscriptList();
        this.expect(']');
        e = { kind: 'subscript', pos, obj: e, index };
      } else {
        this.leave(trailers);
        return e;
      }
    }
  }

  protected call(fn: Expr): Expr {
    const pos = fn.pos;
    this.expect('(');
    const args: Expr[] = [];
    const kwargs: { name: string; value: Expr }[] = [];
    const calleeName = fn.kind === 'name' ? fn.id : '';
    let argIndex = 0;
    const typeAt = calleeName === 'isinstance' ? 1 : 0;
    while (!this.isOp(')')) {
      if (this.k() === 'name' && this.peek().kind === 'op' && this.peek().text === '=') {
        const name = this.name();
        this.p++;
        kwargs.push({ name, value: this.expr() });
      } else if (argIndex === typeAt && TYPE_ARG_CALLS.has(calleeName)) {
        const tpos = this.pos();
        args.push({ kind: 'type', pos: tpos, type: this.typeExpr() });
      } else {
        if (kwargs.length) this.error('positional argument after keyword argument');
        args.push(this.isOp('*') ? this.starred() : this.expr());
      }
      argIndex++;
      if (!this.accept(',')) break;
    }
    this.expect(')');
    return { kind: 'call', pos, fn, args, kwargs, site: {} };
  }

  protected subscriptList(): Expr {
    const pos = this.pos();
    const items = [this.subscriptItem()];
    let tuple = false;
    while (this.accept(',')) {
      tuple = true;
      if (this.isOp(']')) break;
      items.push(this.subscriptItem());
    }
    return tuple ? { kind: 'tuple', pos, items } : items[0]!;
  }

  protected subscriptItem(): Expr {
    const pos = this.pos();
    let start: Expr | null = null;
    if (!this.isOp(':')) {
      start = this.expr();
      if (!this.isOp(':')) return start;
    }
    this.expect(':');
    const stop = this.isOp(':') || this.isOp(']') || this.isOp(',') ? null : this.expr();
    let step: Expr | null = null;
    if (this.accept(':')) step = this.isOp(']') || this.isOp(',') ? null : this.expr();
    return { kind: 'slice', pos, start, stop, step };
  }

  protected atom(): Expr {
    const t = this.tok;
    const pos = this.pos();
    if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) {
      this.enter(); // a parenthesised expression or a display: one level deeper
      const e = this.bracketed(t, pos);
      this.leave();
      return e;
    }
    switch (t.kind) {
      case 'int': {
        this.p++;
        const v = t.value;
        // TorchScript ints are int64 (up to 2**64 - 1 is allowed: -2**63 is written as -(2**63), masks in hex).
        const tooBig = (): never => { throw syntaxError(this.file, t.line, t.col, 'integer literal out of the int64 range'); };
        if (v.length > 66) tooBig();
        const value = BigInt(v.length > 1 && v[0] === '0' && /^[0-9]+$/.test(v) ? v.replace(/^0+/, '') || '0' : v);
        if (value >= 2n ** 64n) tooBig();
        return { kind: 'const', pos, value };
      }
      case 'float': this.p++; return { kind: 'const', pos, value: Number(t.value) };
      case 'str': {
        let value = '';
        while (this.k() === 'str') value += this.toks.at(this.p++).value; // implicit concatenation
        return { kind: 'const', pos, value };
      }
      case 'name': {
        if (t.text === 'None') { this.p++; return { kind: 'const', pos, value: null }; }
        if (t.text === 'True' || t.text === 'False') { this.p++; return { kind: 'const', pos, value: t.text === 'True' }; }
        if (t.text === 'inf' || t.text === 'nan') { this.p++; return { kind: 'name', pos, id: t.text }; }
        if (t.text === 'lambda') this.error('lambda is not supported in TorchScript');
        this.p++;
        return { kind: 'name', pos, id: t.text };
      }
      default:
        break;
    }
    return this.error('expected an expression');
  }

  /** `(...)`, `[...]` or `{...}`: a parenthesised expression, tuple, display or comprehension. */
  private bracketed(t: Token, pos: Pos): Expr {
    if (t.text === '(') {
      this.p++;
      if (this.accept(')')) return { kind: 'tuple', pos, items: [] };
      const first = this.expr();
      if (this.isName('for')) {
        const c = this.comprehension(pos, first, null);
        this.expect(')');
        return c;
      }
      if (this.accept(')')) return first;
      const items = [first];
      while (this.accept(',')) {
        if (this.isOp(')')) break;
        items.push(this.expr());
      }
      this.expect(')');
      return { kind: 'tuple', pos, items };
    }
    if (t.text === '[') {
      this.p++;
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        items.push(this.expr());
        if (items.length === 1 && this.isName('for')) {
          const c = this.comprehension(pos, items[0]!, null);
          this.expect(']');
          return c;
        }
        if (!this.accept(',')) break;
      }
      this.expect(']');
      return { kind: 'list', pos, items };
    }
    if (t.text === '{') {
      this.p++;
      const keys: Expr[] = [];
      const values: Expr[] = [];
      while (!this.isOp('}')) {
        keys.push(this.expr());
        this.expect(':');
        values.push(this.expr());
        if (keys.length === 1 && this.isName('for')) {
          const c = this.comprehension(pos, keys[0]!, values[0]!);
          this.expect('}');
          return c;
        }
        if (!this.accept(',')) break;
      }
      this.expect('}');
      return { kind: 'dict', pos, keys, values };
    }
    return this.error('expected an expression');
  }

  protected comprehension(pos: Pos, elt: Expr, value: Expr | null): Expr {
    this.expect('for');
    const target = this.targetList();
    this.expect('in');
    const iter = this.orExpr();
    const conds: Expr[] = [];
    while (this.accept('if')) conds.push(this.orExpr());
    if (this.isName('for')) this.error('nested comprehensions are not supported');
    return value ? { kind: 'dictcomp', pos, key: elt, value, target, iter, conds } : { kind: 'listcomp', pos, elt, target, iter, conds };
  }
}
