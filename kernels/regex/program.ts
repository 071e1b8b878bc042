// Compiles a parsed RE2 pattern to a Thompson-NFA program and runs it as a Pike VM: every
// thread advances in lock step over the input's code points, at most one thread per
// instruction, so a full match costs O(input length x program size) — RE2's guarantee — whatever
// the pattern. Only "does the whole string match" is asked, so threads carry no capture slots.
//
// Program size is checked before any instruction is emitted, against RE2's default budget.

import { Assert, MAX_PROGRAM_SIZE, type RegexNode, Re2SyntaxError } from './parse.js';
import { type Ranges, isWordChar, rangesContain } from './ranges.js';

const CHAR = 0;
const CLASS = 1;
const SPLIT = 2;
const JMP = 3;
const ASSERT = 4;
const MATCH = 5;

/** A compiled pattern. Instruction pc is op[pc] with operands x[pc], y[pc]; it starts at pc 0. */
export interface Re2Program {
  readonly op: Uint8Array;
  /** CHAR: the code point; CLASS: index into classes; SPLIT/JMP: a target; ASSERT: Assert bits. */
  readonly x: Int32Array;
  /** SPLIT: the second target. */
  readonly y: Int32Array;
  readonly classes: readonly Ranges[];
  readonly size: number;
}

/** Instructions `node` compiles to (without the final MATCH). */
function programSize(node: RegexNode): number {
  switch (node.k) {
    case 'empty': return 0;
    case 'char': case 'class': case 'assert': return 1;
    case 'cat': return node.subs.reduce((n, s) => n + programSize(s), 0);
    case 'alt': return node.subs.reduce((n, s) => n + programSize(s), 0) + 2 * (node.subs.length - 1);
    case 'quest': case 'plus': return programSize(node.sub) + 1;
    case 'star': return programSize(node.sub) + 2;
    case 'repeat': {
      const s = programSize(node.sub);
      if (node.max < 0) return node.min === 0 ? s + 2 : node.min * s + 1;
      return node.min * s + (node.max - node.min) * (s + 1);
    }
  }
}

/** Compiles `node` (the parse of `pattern`); Re2SyntaxError when the program would be too large. */
export function compileRe2(node: RegexNode, pattern: string): Re2Program {
  const size = programSize(node) + 1;
  if (size > MAX_PROGRAM_SIZE) {
    throw new Re2SyntaxError(`pattern too large: it compiles to ${size} instructions, over RE2's limit of ${MAX_PROGRAM_SIZE}`, pattern, 0);
  }
  const op = new Uint8Array(size);
  const x = new Int32Array(size);
  const y = new Int32Array(size);
  const classes: Ranges[] = [];
  const classIndex = new Map<Ranges, number>();
  let pc = 0;
  const put = (o: number, a = 0, b = 0): number => {
    op[pc] = o;
    x[pc] = a;
    y[pc] = b;
    return pc++;
  };
  const emit = (n: RegexNode): void => {
    switch (n.k) {
      case 'empty': return;
      case 'char': put(CHAR, n.cp); return;
      case 'class': {
        let k = classIndex.get(n.ranges);
        if (k === undefined) {
          k = classes.push(n.ranges) - 1;
          classIndex.set(n.ranges, k);
        }
        put(CLASS, k);
        return;
      }
      case 'assert': put(ASSERT, n.what); return;
      case 'cat': for (const s of n.subs) emit(s); return;
      case 'alt': {
        const jumps: number[] = [];
        for (let i = 0; i < n.subs.length - 1; i++) {
          const split = put(SPLIT, pc + 1);
          emit(n.subs[i]!);
          jumps.push(put(JMP));
          y[split] = pc;
        }
        emit(n.subs[n.subs.length - 1]!);
        for (const j of jumps) x[j] = pc;
        return;
      }
      case 'quest': {
        const split = put(SPLIT, pc + 1);
        emit(n.sub);
        y[split] = pc;
        return;
      }
      case 'star': {
        const split = put(SPLIT, pc + 1);
        emit(n.sub);
        put(JMP, split);
        y[split] = pc;
        return;
      }
      case 'plus': {
        const start = pc;
        emit(n.sub);
        put(SPLIT, start, pc + 1);
        return;
      }
      case 'repeat': {
        if (n.max < 0) {
          if (n.min === 0) return emit({ k: 'star', sub: n.sub });
          for (let i = 1; i < n.min; i++) emit(n.sub);
          return emit({ k: 'plus', sub: n.sub });
        }
        for (let i = 0; i < n.min; i++) emit(n.sub);
        const splits: number[] = [];
        for (let i = n.min; i < n.max; i++) {
          splits.push(put(SPLIT, pc + 1));
          emit(n.sub);
        }
        for (const s of splits) y[s] = pc;
        return;
      }
    }
  };
  emit(node);
  put(MATCH);
  if (pc !== size) throw new Error(`regex compiler: emitted ${pc} instructions, sized ${size}`);
  return { op, x, y, classes, size };
}

/** About 1-10 ms of matching. */
const POLL_STEPS = 1 << 20;

/** A sparse set of pcs (Briggs & Torczon): O(1) insert, membership and clear, no allocation. */
interface ThreadList {
  readonly dense: Int32Array;
  readonly sparse: Int32Array;
  n: number;
}

const threadList = (size: number): ThreadList => ({ dense: new Int32Array(size), sparse: new Int32Array(size), n: 0 });

/**
 * Runs compiled programs over strings. Holds the VM's scratch (two thread lists and a stack,
 * sized to the program), so one matcher serves many strings without allocating; not reentrant.
 */
export class PikeVm {
  private cur: ThreadList;
  private next: ThreadList;
  private readonly stack: Int32Array;
  /** Thread steps since `poll` was last called. */
  private steps = 0;

  /**
   * `poll`, when given, is called about every POLL_STEPS thread steps (across strings) and may
   * throw to abandon the match: the hook for a run's deadline or AbortSignal.
   */
  constructor(private readonly prog: Re2Program, private readonly poll?: () => void) {
    this.cur = threadList(prog.size);
    this.next = threadList(prog.size);
    // Each pc enters a list once per step and pushes at most two successors.
    this.stack = new Int32Array(2 * prog.size + 1);
  }

  /** Whether all of `s` matches, reading it as code points (a surrogate pair is one character). */
  fullMatch(s: string): boolean {
    const { op, x, classes, size } = this.prog;
    const len = s.length;
    this.cur.n = 0;
    this.addThread(this.cur, 0, context(s, 0, -1));
    for (let i = 0; i < len;) {
      const c = s.codePointAt(i)!;
      i += c > 0xffff ? 2 : 1;
      const cur = this.cur;
      const next = this.next;
      next.n = 0;
      const ctx = context(s, i, c);
      for (let t = 0; t < cur.n; t++) {
        const pc = cur.dense[t]!;
        const o = op[pc];
        if (o === CHAR) {
          if (x[pc] === c) this.addThread(next, pc + 1, ctx);
        } else if (o === CLASS) {
          if (rangesContain(classes[x[pc]!]!, c)) this.addThread(next, pc + 1, ctx);
        }
      }
      if (next.n === 0) return false;
      this.cur = next;
      this.next = cur;
      this.steps += cur.n;
      if (this.steps >= POLL_STEPS && this.poll) {
        this.steps = 0;
        this.poll();
      }
    }
    return has(this.cur, size - 1);
  }

  /** Adds `pc0` and everything reachable from it through empty-width instructions at `ctx`. */
  private addThread(list: ThreadList, pc0: number, ctx: number): void {
    const { op, x, y } = this.prog;
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (has(list, pc)) continue;
      list.sparse[pc] = list.n;
      list.dense[list.n++] = pc;
      switch (op[pc]) {
        case JMP:
          stack[sp++] = x[pc]!;
          break;
        case SPLIT:
          stack[sp++] = y[pc]!;
          stack[sp++] = x[pc]!;
          break;
        case ASSERT:
          if ((x[pc]! & ctx) !== 0) stack[sp++] = pc + 1;
          break;
        default:
          break; // CHAR, CLASS, MATCH: wait for the next character (or the end)
      }
    }
  }
}

function has(list: ThreadList, pc: number): boolean {
  const k = list.sparse[pc]!;
  return k < list.n && list.dense[k] === pc;
}

/** The assertions that hold at UTF-16 offset `i` of `s`, where `prev` is the code point before it (-1 at 0). */
function context(s: string, i: number, prev: number): number {
  const next = i < s.length ? s.charCodeAt(i) : -1;
  let ctx = 0;
  if (i === 0) ctx |= Assert.BeginText | Assert.BeginLine;
  else if (prev === 10) ctx |= Assert.BeginLine;
  if (next < 0) ctx |= Assert.EndText | Assert.EndLine;
  else if (next === 10) ctx |= Assert.EndLine;
  ctx |= isWordChar(prev) !== isWordChar(next) ? Assert.WordBoundary : Assert.NotWordBoundary;
  return ctx;
}
