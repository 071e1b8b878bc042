// SafeUnpickler: an opcode interpreter for pickle protocols 0-5 that cannot call anything.
// GLOBAL/STACK_GLOBAL/INST push data (PyGlobal) only for allow-listed names and refuse the rest;
// REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/INST call only allow-listed TypeScript entries; BUILD reaches only
// objects those entries constructed. One loop, no recursion; every length is checked by decodeOp.
// `tessera scan` runs this same loop with a scanning host (scan.ts): it records globals and
// refusals instead of stopping, and pushes placeholders instead of constructing, so every
// decoder, stack, memo and limit check is the one torchLoad makes.

import { ModelFormatError, ResourceLimitError, UnsafePickleError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { type AllowOptions, lookupGlobal } from './allow-list.js';
import { type Builder, BUILDERS, type CallContext, describe, type GlobalEntry } from './globals-api.js';
import { type DecodedOp, decodeOp, latin1 } from './opcodes.js';
import { Budget, makeFrozenSet, makeTuple, PyGlobal, isTuple, isFrozenSet } from './values.js';

/** What differs between loading a pickle and scanning it. */
export interface UnpickleHost {
  /** Every opcode, decoded, before the VM runs it. */
  onOpcode?(op: DecodedOp): void;
  /** Every global the pickle names (module and name as found, allowed or not), before it is resolved. */
  onGlobal?(module: unknown, name: unknown, allowed: boolean, opName: string, pos: number): void;
  /** The value an allowed callable returns. Loading calls the entry; scanning pushes a placeholder. */
  construct(entry: GlobalEntry, args: readonly unknown[], ctx: CallContext, kwargs?: Map<unknown, unknown>): unknown;
  /** Applies BUILD through the builder its target registered. */
  build(builder: Builder, state: unknown, ctx: CallContext): unknown;
  /**
   * An operation the VM will not perform. Loading throws it. Scanning records it and returns; the
   * VM then goes on with a RefusedValue in place of the result, so later globals are still listed.
   * `kind` is 'global' when the refusal is a global that is not allowed (scan lists those itself).
   */
  refuse(error: UnsafePickleError, kind: 'global' | 'operation'): void;
}

/** torchLoad's host: constructs through the allow-list entries and throws every refusal. */
export const LOAD_HOST: UnpickleHost = Object.freeze({
  construct: (entry: GlobalEntry, args: readonly unknown[], ctx: CallContext, kwargs?: Map<unknown, unknown>) => entry.call!(args, ctx, kwargs),
  build: (builder: Builder, state: unknown, ctx: CallContext) => builder(state, ctx),
  refuse: (error: UnsafePickleError): never => { throw error; },
});

/**
 * What a scan pushes for a refused global or call, and for anything derived from one. It is
 * never seen when loading (the refusal throws). Operations on it are not refused again.
 */
export class RefusedValue {
  constructor(readonly reason: string) {
    BUILDERS.set(this, () => undefined);
    Object.freeze(this);
  }
}

export interface UnpickleOptions extends AllowOptions {
  /** Names the input in messages (e.g. 'archive/data.pkl'). */
  readonly part?: string;
  /** Shared counters and limits; a new Budget with default limits when absent. */
  readonly budget?: Budget;
  /** Resolves PERSID/BINPERSID ids (torch storages); absent means persistent ids are an error. */
  readonly persistentLoad?: (pid: unknown, pos: number) => unknown;
  /** Out-of-band buffers for NEXT_BUFFER (protocol 5). */
  readonly buffers?: readonly Uint8Array[];
  readonly tensorTable?: readonly Tensor[];
  /** LOAD_HOST when absent; scanPickle passes its own. */
  readonly host?: UnpickleHost;
}

export interface UnpickleResult {
  readonly value: unknown;
  /** Offset just past STOP. */
  readonly end: number;
}

const MAX_PROTOCOL = 5;

/** Python refuses lists, dicts, sets and bytearrays as dict keys and set items. */
function isHashable(k: unknown): boolean {
  if (k === null || typeof k !== 'object' || isTuple(k)) return true;
  if (k instanceof Set) return isFrozenSet(k);
  return !(Array.isArray(k) || k instanceof Map);
}

/** Runs one pickle starting at `start` and returns the value STOP yields. */
export function unpickle(bytes: Uint8Array, start = 0, options: UnpickleOptions = {}): UnpickleResult {
  const part = options.part ?? 'pickle';
  const budget = options.budget ?? new Budget();
  const host = options.host ?? LOAD_HOST;
  const { maxDepth, maxMemo, maxSequenceLength } = budget.limits;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const memoKeys = new WeakMap<object, number[]>();
  const depths = new WeakMap<object, number>();
  let bufferIndex = 0;
  let pos = start;
  let opName = '';
  let opPos = start;

  const fmt = (what: string): ModelFormatError => new ModelFormatError(`${part}: ${opName} at offset ${opPos}: ${what}`);
  const floor = (): number => (marks.length ? marks[marks.length - 1]! : 0);
  const push = (v: unknown): void => {
    stack.push(v);
    budget.chargeObjects(1, part);
  };
  const pop = (): unknown => {
    if (stack.length <= floor()) throw fmt('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= floor()) throw fmt('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    if (!marks.length) throw fmt('no MARK on the stack');
    return stack.splice(marks.pop()!);
  };
  // Depth of a value: 0 for a primitive. An empty container's depth 1 is implied, not stored: a
  // pickle of 100k empty containers would otherwise cost 100k WeakMap (ephemeron) entries, which
  // made the garbage collector the loader's main cost.
  // A container is 1 deep until something is put in it; any other value (a constructed object, a
  // scan's placeholder) is 0, as before, so that loading and scanning count the same depths.
  const baseDepth = (v: object): number => (Array.isArray(v) || v instanceof Map || v instanceof Set ? 1 : 0);
  const depthOf = (v: unknown): number => (typeof v === 'object' && v !== null ? depths.get(v) ?? baseDepth(v) : 0);
  const setDepth = (c: object, d: number): void => {
    if (d > maxDepth) throw new ResourceLimitError(`${part}: ${opName} at offset ${opPos}: nesting deeper than maxDepth=${maxDepth}`, 'maxDepth', d, maxDepth);
    if (d > (depths.get(c) ?? baseDepth(c))) depths.set(c, d);
  };
  const checkLength = (n: number): void => {
    if (n > maxSequenceLength) {
      throw new ResourceLimitError(`${part}: ${opName} at offset ${opPos}: a container of ${n} items exceeds maxSequenceLength=${maxSequenceLength}`, 'maxSequenceLength', n, maxSequenceLength);
    }
  };
  const container = <T extends object>(c: T, items: readonly unknown[]): T => {
    checkLength(items.length);
    let d = 0;
    for (const it of items) d = Math.max(d, depthOf(it));
    setDepth(c, d + 1);
    return c;
  };
  const ctx = (callee?: PyGlobal): CallContext => ({ part, opName, pos: opPos, budget, tensorTable: options.tensorTable, callee });
  const refused = (message: string, kind: 'global' | 'operation' = 'operation'): RefusedValue => {
    host.refuse(new UnsafePickleError(message), kind);
    return new RefusedValue(message);
  };
  const resolve = (module: unknown, name: unknown): unknown => {
    if (module instanceof RefusedValue) return module;
    if (name instanceof RefusedValue) return name;
    const strings = typeof module === 'string' && typeof name === 'string';
    const allowed = strings && lookupGlobal(module, name, options) !== undefined;
    host.onGlobal?.(module, name, allowed, opName, opPos);
    if (!strings) {
      return refused(`${part}: ${opName} at offset ${opPos}: module and name must be strings, got ${describe(module)} and ${describe(name)}`, 'global');
    }
    if (!allowed) return refused(`${part}: ${module}.${name} is not an allowed global (${opName} at offset ${opPos})`, 'global');
    return new PyGlobal(module, name);
  };
  const call = (callee: unknown, args: unknown, kwargs?: unknown): unknown => {
    if (callee instanceof RefusedValue) return callee;
    if (!(callee instanceof PyGlobal)) return refused(`${part}: ${opName} at offset ${opPos}: refusing to call a ${describe(callee)}`);
    const entry = lookupGlobal(callee.module, callee.name, options);
    if (!entry?.call) return refused(`${part}: ${callee.qualname} is not callable (${opName} at offset ${opPos})`);
    let list: readonly unknown[];
    if (Array.isArray(args)) list = args;
    else {
      const scalar = typeof args === 'string' || typeof args === 'number' || typeof args === 'bigint' || typeof args === 'boolean';
      if (!(scalar && entry.acceptsBareScalar && kwargs === undefined)) throw fmt(`arguments must be a tuple, got ${describe(args)}`);
      list = [args];
    }
    if (kwargs !== undefined && !(kwargs instanceof Map)) throw fmt(`keyword arguments must be a dict, got ${describe(kwargs)}`);
    if (kwargs instanceof Map && kwargs.size > 0 && !(entry.acceptsKeywords ?? false)) {
      throw fmt(`${callee.qualname} takes no keyword arguments`);
    }
    return host.construct(entry, list, ctx(callee), kwargs as Map<unknown, unknown> | undefined);
  };
  /** The list APPEND(S) extends; undefined when a scan refused it or it derives from a refusal. */
  const listTarget = (): unknown[] | undefined => {
    const l = top();
    if (l instanceof RefusedValue) return undefined;
    if (!Array.isArray(l) || isTuple(l)) {
      refused(`${part}: ${opName} at offset ${opPos}: target is a ${describe(l)}, not a list`);
      return undefined;
    }
    return l;
  };
  const dictTarget = (): Map<unknown, unknown> | undefined => {
    const d = top();
    if (d instanceof RefusedValue) return undefined;
    if (!(d instanceof Map)) {
      refused(`${part}: ${opName} at offset ${opPos}: target is a ${describe(d)}, not a dict`);
      return undefined;
    }
    return d;
  };
  const setItems = (d: Map<unknown, unknown> | undefined, kv: readonly unknown[]): void => {
    if (kv.length % 2) throw fmt('odd number of items for a dict');
    if (!d) return;
    for (let i = 0; i < kv.length; i += 2) {
      if (!isHashable(kv[i])) throw fmt(`unhashable dict key (${describe(kv[i])})`);
      d.set(kv[i], kv[i + 1]);
      setDepth(d, Math.max(depthOf(kv[i]), depthOf(kv[i + 1])) + 1);
    }
    checkLength(d.size);
  };
  const memoPut = (key: number, v: unknown): void => {
    if (!Number.isSafeInteger(key) || key < 0) throw fmt(`bad memo key ${key}`);
    memo.set(key, v);
    if (memo.size > maxMemo) throw new ResourceLimitError(`${part}: ${opName} at offset ${opPos}: memo holds more than maxMemo=${maxMemo} entries`, 'maxMemo', memo.size, maxMemo);
    if (typeof v === 'object' && v !== null && BUILDERS.has(v)) {
      const ks = memoKeys.get(v) ?? [];
      ks.push(key);
      memoKeys.set(v, ks);
    }
  };
  const memoGet = (key: unknown): void => {
    if (typeof key !== 'number' || !memo.has(key)) throw fmt(`memo key ${String(key)} was never stored`);
    push(memo.get(key));
  };

  for (;;) {
    const op = decodeOp(bytes, pos, part);
    host.onOpcode?.(op);
    opName = op.op.name;
    opPos = op.pos;
    pos = op.end;
    const arg = op.arg;
    switch (opName) {
      case 'PROTO':
        if ((arg as number) > MAX_PROTOCOL) throw fmt(`unsupported protocol ${arg}`);
        break;
      case 'FRAME':
        if (typeof arg !== 'number' || arg > bytes.length - pos) throw fmt(`frame of ${arg} bytes exceeds the ${bytes.length - pos} that remain`);
        break;
      case 'STOP': {
        const value = pop();
        return { value, end: pos };
      }
      case 'MARK':
        marks.push(stack.length);
        if (marks.length > maxDepth) throw new ResourceLimitError(`${part}: MARK at offset ${opPos}: more than maxDepth=${maxDepth} open marks`, 'maxDepth', marks.length, maxDepth);
        break;
      case 'POP':
        if (stack.length > floor()) stack.pop();
        else if (marks.length) marks.pop();
        else throw fmt('stack underflow');
        break;
      case 'POP_MARK': popMark(); break;
      case 'DUP': push(top()); break;
      // Scalars
      case 'NONE': push(null); break;
      case 'NEWTRUE': push(true); break;
      case 'NEWFALSE': push(false); break;
      case 'INT': push(arg === '01' ? true : arg === '00' ? false : arg); break;
      case 'BININT': case 'BININT1': case 'BININT2': case 'LONG': case 'LONG1': case 'LONG4':
      case 'FLOAT': case 'BINFLOAT':
        push(arg); break;
      // Strings and bytes
      case 'STRING': case 'BINSTRING': case 'SHORT_BINSTRING': push(latin1(arg as Uint8Array)); break;
      case 'UNICODE': case 'SHORT_BINUNICODE': case 'BINUNICODE': case 'BINUNICODE8': push(arg); break;
      case 'BINBYTES': case 'SHORT_BINBYTES': case 'BINBYTES8': case 'BYTEARRAY8': {
        const b = arg as Uint8Array;
        budget.chargeBytes(b.length, part);
        push(b.slice());
        break;
      }
      case 'NEXT_BUFFER': {
        const buf = options.buffers?.[bufferIndex++];
        if (!buf) throw fmt('no out-of-band buffer was given for it');
        push(buf);
        break;
      }
      case 'READONLY_BUFFER': top(); break;
      // Containers
      case 'EMPTY_LIST': push(container([], [])); break;
      case 'LIST': { const items = popMark(); push(container(items, items)); break; }
      case 'APPEND': {
        const v = pop();
        const l = listTarget();
        if (l) { l.push(v); checkLength(l.length); setDepth(l, depthOf(v) + 1); }
        break;
      }
      case 'APPENDS': {
        const items = popMark();
        const l = listTarget();
        if (l) {
          checkLength(l.length + items.length);
          for (const v of items) { l.push(v); setDepth(l, depthOf(v) + 1); }
        }
        break;
      }
      case 'EMPTY_TUPLE': push(makeTuple([])); break;
      case 'TUPLE': { const items = popMark(); push(makeTuple(container(items, items))); break; }
      case 'TUPLE1': case 'TUPLE2': case 'TUPLE3': {
        const n = opName === 'TUPLE1' ? 1 : opName === 'TUPLE2' ? 2 : 3;
        const items: unknown[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        push(makeTuple(container(items, items)));
        break;
      }
      case 'EMPTY_DICT': push(container(new Map(), [])); break;
      case 'DICT': { const kv = popMark(); const d = container(new Map(), []); setItems(d, kv); push(d); break; }
      case 'SETITEM': { const v = pop(); const k = pop(); setItems(dictTarget(), [k, v]); break; }
      case 'SETITEMS': { const kv = popMark(); setItems(dictTarget(), kv); break; }
      case 'EMPTY_SET': push(container(new Set(), [])); break;
      case 'ADDITEMS': {
        const items = popMark();
        const s = top();
        if (s instanceof RefusedValue) break;
        if (!(s instanceof Set) || isFrozenSet(s)) {
          refused(`${part}: ADDITEMS at offset ${opPos}: target is a ${describe(s)}, not a set`);
          break;
        }
        for (const v of items) {
          if (!isHashable(v)) throw fmt(`unhashable set item (${describe(v)})`);
          s.add(v); setDepth(s, depthOf(v) + 1);
        }
        checkLength(s.size);
        break;
      }
      case 'FROZENSET': {
        const items = popMark();
        for (const v of items) if (!isHashable(v)) throw fmt(`unhashable set item (${describe(v)})`);
        push(makeFrozenSet(container(new Set(items), items)));
        break;
      }
      // Memo
      case 'GET': case 'BINGET': case 'LONG_BINGET': memoGet(arg); break;
      case 'PUT': case 'BINPUT': case 'LONG_BINPUT': memoPut(arg as number, top()); break;
      case 'MEMOIZE': memoPut(memo.size, top()); break;
      // Globals and calls
      case 'GLOBAL': { const [m, n] = arg as readonly [string, string]; push(resolve(m, n)); break; }
      case 'STACK_GLOBAL': { const n = pop(); const m = pop(); push(resolve(m, n)); break; }
      case 'INST': {
        const [m, n] = arg as readonly [string, string];
        const cls = resolve(m, n);
        push(call(cls, makeTuple(popMark())));
        break;
      }
      case 'OBJ': {
        const items = popMark();
        if (!items.length) throw fmt('no class given');
        push(call(items[0], makeTuple(items.slice(1))));
        break;
      }
      case 'REDUCE': { const args = pop(); const f = pop(); push(call(f, args)); break; }
      case 'NEWOBJ': { const args = pop(); const cls = pop(); push(call(cls, args)); break; }
      case 'NEWOBJ_EX': { const kw = pop(); const args = pop(); const cls = pop(); push(call(cls, args, kw)); break; }
      case 'BUILD': {
        const state = pop();
        const obj = top();
        const builder = typeof obj === 'object' && obj !== null ? BUILDERS.get(obj) : undefined;
        if (!builder) {
          refused(
            `${part}: BUILD at offset ${opPos}: refusing to set the state of a ${describe(obj)} ` +
              '(only objects the loader constructed accept BUILD)',
          );
          break;
        }
        const replaced = host.build(builder, state, ctx());
        if (replaced !== undefined) {
          stack[stack.length - 1] = replaced;
          for (const k of memoKeys.get(obj as object) ?? []) if (memo.get(k) === obj) memo.set(k, replaced);
          memoKeys.delete(obj as object);
        }
        break;
      }
      case 'PERSID': case 'BINPERSID': {
        const pid = opName === 'PERSID' ? arg : pop();
        if (!options.persistentLoad) throw fmt('persistent id outside a torch container');
        push(options.persistentLoad(pid, opPos));
        break;
      }
      case 'EXT1': case 'EXT2': case 'EXT4':
        push(refused(`${part}: ${opName} at offset ${opPos}: extension code ${arg} names a global through the copyreg registry; refused`));
        break;
      default:
        throw fmt('opcode not handled');
    }
  }
}
