// The parsed TorchScript source (classes, functions, statements, expressions): the IR of
// TorchScript programs, as src/ir/graph.ts is of ONNX graphs. Made by src/formats/torchscript
// (lexer, parser), run by src/runtime/torchscript.

export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A type annotation as written: `Tensor`, `List[int]`, `Optional[Tuple[int, str]]`, `__torch__.a.B`. */
export interface TypeExpr {
  readonly name: string;
  readonly args: readonly TypeExpr[];
}

export type Expr =
  | { kind: 'name'; pos: Pos; id: string }
  | { kind: 'const'; pos: Pos; value: bigint | number | string | boolean | null }
  | { kind: 'attr'; pos: Pos; obj: Expr; attr: string }
  | { kind: 'subscript'; pos: Pos; obj: Expr; index: Expr }
  | { kind: 'slice'; pos: Pos; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { kind: 'call'; pos: Pos; fn: Expr; args: Expr[]; kwargs: { name: string; value: Expr }[]; site: CallSite }
  | { kind: 'tuple'; pos: Pos; items: Expr[] }
  | { kind: 'list'; pos: Pos; items: Expr[] }
  | { kind: 'dict'; pos: Pos; keys: Expr[]; values: Expr[] }
  | { kind: 'listcomp'; pos: Pos; elt: Expr; target: Expr; iter: Expr; conds: Expr[] }
  | { kind: 'dictcomp'; pos: Pos; key: Expr; value: Expr; target: Expr; iter: Expr; conds: Expr[] }
  | { kind: 'unary'; pos: Pos; op: string; operand: Expr }
  | { kind: 'binary'; pos: Pos; op: string; left: Expr; right: Expr }
  | { kind: 'boolop'; pos: Pos; op: 'and' | 'or'; values: Expr[] }
  | { kind: 'compare'; pos: Pos; ops: string[]; operands: Expr[] }
  | { kind: 'ifexp'; pos: Pos; cond: Expr; then: Expr; else: Expr }
  | { kind: 'type'; pos: Pos; type: TypeExpr }
  | { kind: 'starred'; pos: Pos; value: Expr };

/** Per call site cache the interpreter fills (e.g. the resolved callee kind). */
export interface CallSite {
  resolved?: unknown;
}

export type Stmt =
  | { kind: 'expr'; pos: Pos; value: Expr }
  | { kind: 'assign'; pos: Pos; targets: Expr[]; value: Expr; annotation?: TypeExpr }
  | { kind: 'augassign'; pos: Pos; target: Expr; op: string; value: Expr }
  | { kind: 'if'; pos: Pos; cond: Expr; body: Stmt[]; orelse: Stmt[] }
  | { kind: 'for'; pos: Pos; target: Expr; iter: Expr; body: Stmt[] }
  | { kind: 'while'; pos: Pos; cond: Expr; body: Stmt[] }
  | { kind: 'break'; pos: Pos }
  | { kind: 'continue'; pos: Pos }
  | { kind: 'pass'; pos: Pos }
  | { kind: 'return'; pos: Pos; value: Expr | null }
  | { kind: 'raise'; pos: Pos; value: Expr | null }
  | { kind: 'assert'; pos: Pos; test: Expr; msg: Expr | null }
  | { kind: 'del'; pos: Pos; targets: Expr[] }
  | { kind: 'with'; pos: Pos; items: Expr[]; body: Stmt[] };

export interface Param {
  readonly name: string;
  readonly type: TypeExpr | null;
  readonly default: Expr | null;
  readonly kwOnly: boolean;
}

export interface FunctionDef {
  readonly name: string;
  readonly qualifiedName: string;
  readonly params: readonly Param[];
  readonly returns: TypeExpr | null;
  readonly body: readonly Stmt[];
  readonly pos: Pos;
  /** The source text of the definition (for inspect). */
  readonly source: string;
}

export interface AttributeDecl {
  readonly name: string;
  readonly type: TypeExpr;
  /** `Final[...] = value` constants. */
  readonly value: Expr | null;
  readonly final: boolean;
}

export interface ClassDef {
  readonly name: string;
  readonly qualifiedName: string;
  readonly bases: readonly string[];
  readonly attributes: readonly AttributeDecl[];
  readonly parameters: readonly string[];
  readonly buffers: readonly string[];
  readonly methods: ReadonlyMap<string, FunctionDef>;
  /** Class-level assignments other than __parameters__/__buffers__ (e.g. enum values). */
  readonly constants: ReadonlyMap<string, Expr>;
  readonly pos: Pos;
  readonly source: string;
}

/** One code/ file: its qualified module name, classes and free functions. */
export interface CodeModule {
  readonly name: string;
  readonly file: string;
  readonly classes: ReadonlyMap<string, ClassDef>;
  readonly functions: ReadonlyMap<string, FunctionDef>;
  readonly globals: ReadonlyMap<string, Expr>;
}

export function typeToString(t: TypeExpr): string {
  return t.args.length ? `${t.name}[${t.args.map(typeToString).join(', ')}]` : t.name;
}
