// A recursive-descent parser for serialized TorchScript (code/__torch__/....py). Errors name the
// archive member, line and column; nesting deeper than maxRecursionDepth (blocks, elif chains,
// expressions, types) is a ResourceLimitError.

import type { AttributeDecl, ClassDef, CodeModule, Expr, FunctionDef, Param, Stmt, TypeExpr } from '../../ir/torchscript-ast.js';
import { AUG_OPS, ExprParser } from './expr-parser.js';
import { syntaxError } from './lexer.js';

/**
 * Parses one code file; `moduleName` is its qualified name (`__torch__.torch.nn.modules.conv`).
 * `maxDepth` bounds nesting (limits.maxRecursionDepth).
 */
export function parseCodeModule(src: string, file: string, moduleName: string, maxDepth?: number): CodeModule {
  return new Parser(src, file, moduleName, maxDepth).module();
}

/** Parses a type annotation string such as 'List[Tensor]'. */
export function parseTypeString(src: string, file = '<type>', maxDepth?: number): TypeExpr {
  const p = new Parser(src, file, '', maxDepth);
  const t = p.typeExpr();
  return t;
}

class Parser extends ExprParser {
  // ------------------------------------------------------------------ top level
  module(): CodeModule {
    const classes = new Map<string, ClassDef>();
    const functions = new Map<string, FunctionDef>();
    const globals = new Map<string, Expr>();
    while (this.k() !== 'eof') {
      if (this.k() === 'newline') { this.p++; continue; }
      if (this.isName('class')) {
        const c = this.classDef();
        classes.set(c.name, c);
      } else if (this.isName('def')) {
        const f = this.funcDef(this.moduleName);
        functions.set(f.name, f);
      } else if (this.isName('import') || this.isName('from')) {
        while (this.k() !== 'newline' && this.k() !== 'eof') this.p++;
        this.newline();
      } else if (this.k() === 'name' && this.peek().kind === 'op' && (this.peek().text === '=' || this.peek().text === ':')) {
        const n = this.name();
        if (this.accept(':')) this.typeExpr();
        this.expect('=');
        globals.set(n, this.exprList());
        this.newline();
      } else {
        this.error("expected 'class', 'def' or an assignment at the top level");
      }
    }
    return { name: this.moduleName, file: this.file, classes, functions, globals };
  }

  private sourceOf(startLine: number): string {
    const endLine = this.toks.line(Math.max(0, this.p - 1));
    return this.lines.slice(startLine - 1, Math.max(startLine, endLine)).join('\n');
  }

  private classDef(): ClassDef {
    const start = this.tok;
    this.expect('class');
    const name = this.name();
    const bases: string[] = [];
    if (this.accept('(')) {
      while (!this.isOp(')')) {
        bases.push(this.dotted());
        if (!this.accept(',')) break;
      }
      this.expect(')');
    }
    this.expect(':');
    const qualifiedName = this.moduleName ? `${this.moduleName}.${name}` : name;
    const attributes: AttributeDecl[] = [];
    const methods = new Map<string, FunctionDef>();
    const constants = new Map<string, Expr>();
    let parameters: string[] = [];
    let buffers: string[] = [];
    this.newline();
    if (this.k() !== 'indent') this.error('expected an indented class body');
    this.p++;
    while (this.k() !== 'dedent' && this.k() !== 'eof') {
      if (this.k() === 'newline') { this.p++; continue; }
      if (this.isName('def')) {
        const f = this.funcDef(qualifiedName);
        methods.set(f.name, f);
        continue;
      }
      if (this.isName('pass')) { this.p++; this.newline(); continue; }
      if (this.k() === 'str') { this.p++; this.newline(); continue; } // docstring
      if (this.isName('__annotations__')) {
        this.p++;
        if (this.accept('=')) {
          // torch 2.x starts the annotations of a class with numbered attributes (ParameterList,
          // ParameterDict) with `__annotations__ = []`; the entries follow as `__annotations__["0"] = T`.
          const init = this.exprList();
          if (init.kind !== 'list' || init.items.length) this.error('__annotations__ may only be set to []');
          this.newline();
          continue;
        }
        this.expect('[');
        if (this.k() !== 'str') this.error('expected a string key');
        const attr = this.toks.at(this.p++).value;
        this.expect(']');
        this.expect('=');
        attributes.push({ name: attr, type: this.typeExpr(), value: null, final: false });
        this.newline();
        continue;
      }
      const attr = this.name();
      if (this.accept(':')) {
        const type = this.typeExpr();
        const final = type.name === 'Final';
        let value: Expr | null = null;
        if (this.accept('=')) value = this.exprList();
        attributes.push({ name: attr, type: final && type.args[0] ? type.args[0] : type, value, final });
        this.newline();
        continue;
      }
      this.expect('=');
      const value = this.exprList();
      if (attr === '__parameters__' || attr === '__buffers__') {
        if (value.kind !== 'list') this.error(`${attr} must be a list of names`);
        const names = value.items.map((it) => {
          if (it.kind !== 'const' || typeof it.value !== 'string') throw syntaxError(this.file, it.pos.line, it.pos.col, `${attr} entries must be strings`);
          return it.value;
        });
        if (attr === '__parameters__') parameters = names; else buffers = names;
      } else {
        constants.set(attr, value);
      }
      this.newline();
    }
    if (this.k() === 'dedent') this.p++;
    return {
      name, qualifiedName, bases, attributes, parameters, buffers, methods, constants, pos: this.pos(start), source: this.sourceOf(start.line),
    };
  }

  private funcDef(owner: string): FunctionDef {
    const start = this.tok;
    this.expect('def');
    const name = this.name();
    this.expect('(');
    const params: Param[] = [];
    let kwOnly = false;
    while (!this.isOp(')')) {
      if (this.accept('*')) {
        if (this.k() === 'name') this.error('*args parameters are not supported in TorchScript');
        kwOnly = true;
      } else {
        const pn = this.name();
        const type = this.accept(':') ? this.typeExpr() : null;
        const def = this.accept('=') ? this.expr() : null;
        params.push({ name: pn, type, default: def, kwOnly });
      }
      if (!this.accept(',')) break;
    }
    this.expect(')');
    const returns = this.accept('->') ? this.typeExpr() : null;
    this.expect(':');
    const body = this.block();
    return { name, qualifiedName: owner ? `${owner}.${name}` : name, params, returns, body, pos: this.pos(start), source: this.sourceOf(start.line) };
  }

  // ------------------------------------------------------------------ statements
  private block(): Stmt[] {
    if (this.k() !== 'newline') { // `if x: return y` on one line
      const s = this.simpleStatements();
      return s;
    }
    this.newline();
    if (this.k() !== 'indent') this.error('expected an indented block');
    this.enter();
    this.p++;
    const body: Stmt[] = [];
    while (this.k() !== 'dedent' && this.k() !== 'eof') {
      if (this.k() === 'newline') { this.p++; continue; }
      for (const s of this.statement()) body.push(s);
    }
    if (this.k() === 'dedent') this.p++;
    this.leave();
    return body;
  }

  private statement(): Stmt[] {
    const pos = this.pos();
    if (this.isName('if')) return [this.ifStmt()];
    if (this.isName('for')) {
      this.p++;
      const target = this.targetList();
      this.expect('in');
      const iter = this.exprList();
      this.expect(':');
      return [{ kind: 'for', pos, target, iter, body: this.block() }];
    }
    if (this.isName('while')) {
      this.p++;
      const cond = this.expr();
      this.expect(':');
      return [{ kind: 'while', pos, cond, body: this.block() }];
    }
    if (this.isName('with')) {
      this.p++;
      const items = [this.expr()];
      while (this.accept(',')) items.push(this.expr());
      this.expect(':');
      return [{ kind: 'with', pos, items, body: this.block() }];
    }
    return this.simpleStatements();
  }

  private ifStmt(): Stmt {
    const pos = this.pos();
    this.p++; // 'if' or 'elif'
    const cond = this.expr();
    this.expect(':');
    const body = this.block();
    let orelse: Stmt[] = [];
    if (this.isName('elif')) { // an elif is an `if` nested in the else branch: one level deeper
      this.enter();
      orelse = [this.ifStmt()];
      this.leave();
    } else if (this.accept('else')) { this.expect(':'); orelse = this.block(); }
    return { kind: 'if', pos, cond, body, orelse };
  }

  private simpleStatements(): Stmt[] {
    const out = [this.simpleStatement()];
    while (this.accept(';')) {
      if (this.k() === 'newline') break;
      out.push(this.simpleStatement());
    }
    this.newline();
    return out;
  }

  private simpleStatement(): Stmt {
    const pos = this.pos();
    const t = this.tok;
    if (t.kind === 'name') {
      switch (t.text) {
        case 'pass': this.p++; return { kind: 'pass', pos };
        case 'break': this.p++; return { kind: 'break', pos };
        case 'continue': this.p++; return { kind: 'continue', pos };
        case 'return': {
          this.p++;
          const value = this.k() === 'newline' || this.isOp(';') ? null : this.exprList();
          return { kind: 'return', pos, value };
        }
        case 'raise': {
          this.p++;
          const value = this.k() === 'newline' ? null : this.expr();
          if (this.accept('from')) this.expr();
          return { kind: 'raise', pos, value };
        }
        case 'assert': {
          this.p++;
          const test = this.expr();
          const msg = this.accept(',') ? this.expr() : null;
          return { kind: 'assert', pos, test, msg };
        }
        case 'del': {
          this.p++;
          const targets = [this.expr()];
          while (this.accept(',')) targets.push(this.expr());
          return { kind: 'del', pos, targets };
        }
        case 'global': case 'nonlocal':
          this.error(`'${t.text}' is not supported in TorchScript`);
      }
    }
    const first = this.exprList(true);
    if (this.k() === 'op' && AUG_OPS.has(this.tok.text)) {
      const op = this.tok.text.slice(0, -1);
      this.p++;
      return { kind: 'augassign', pos, target: first, op, value: this.exprList() };
    }
    if (this.isOp(':')) {
      this.p++;
      const annotation = this.typeExpr();
      this.expect('=');
      return { kind: 'assign', pos, targets: [first], value: this.exprList(), annotation };
    }
    if (this.isOp('=')) {
      const targets = [first];
      let value: Expr = first;
      while (this.accept('=')) {
        value = this.exprList(true);
        targets.push(value);
      }
      targets.pop();
      return { kind: 'assign', pos, targets, value };
    }
    return { kind: 'expr', pos, value: first };
  }

}
