// The contract between the SafeUnpickler and the TypeScript constructors the allow-list names.
// A global is data until REDUCE/NEWOBJ/OBJ/INST hands it to its entry's `call`; BUILD only ever
// reaches objects that a `call` registered in BUILDERS.

import { ModelFormatError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { isTuple, type Budget, PyGlobal } from './values.js';

export interface CallContext {
  /** Names the file part, e.g. 'archive/data.pkl'. */
  readonly part: string;
  /** The calling opcode and its byte offset, for messages. */
  readonly opName: string;
  readonly pos: number;
  readonly budget: Budget;
  /** TorchScript's tensor table, for torch.jit._pickle.build_tensor_from_id. */
  readonly tensorTable?: readonly Tensor[];
  /** The global being called. */
  readonly callee?: PyGlobal;
}

/**
 * What an entry's `call` returns, as far as the VM can tell without calling it: a container kind,
 * 'arg0' (its first argument, unchanged), or 'object' (anything else: a tensor, a record, a slice).
 * `tessera scan` pushes a placeholder of this kind, so the VM's checks on it (APPEND needs a list,
 * a dict key must be hashable, ...) give the verdict loading would give.
 */
export type EntryResult = 'dict' | 'tuple' | 'set' | 'frozenset' | 'bytes' | 'str' | 'arg0' | 'object';

export interface GlobalEntry {
  /** Builds the value from positional args (kwargs only from NEWOBJ_EX). */
  readonly call?: (args: readonly unknown[], ctx: CallContext, kwargs?: Map<unknown, unknown>) => unknown;
  /** NEWOBJ_EX may pass keyword arguments (kept as data by records); others refuse them. */
  readonly acceptsKeywords?: boolean;
  /**
   * REDUCE may pass one scalar (str, int, float, bool) instead of an argument tuple: TorchScript
   * pickles an Enum member as REDUCE(class, value) (torch's C++ unpickler reads it that way).
   */
  readonly acceptsBareScalar?: boolean;
  /** What `call` returns (required when `call` is present; see EntryResult). */
  readonly returns?: EntryResult;
  /** Whether what `call` returns accepts BUILD: any number of times, or 'once' (it is then replaced by an object that does not). */
  readonly builds?: 'many' | 'once';
}

/** Applies BUILD's state; returns a replacement value, or undefined when the object was updated in place. */
export type Builder = (state: unknown, ctx: CallContext) => unknown;

/** Objects the loader constructed and that accept BUILD. Nothing else does. */
export const BUILDERS = new WeakMap<object, Builder>();

export function where(ctx: CallContext): string {
  return `${ctx.part}: ${ctx.opName} at offset ${ctx.pos}`;
}

export function bad(ctx: CallContext, fn: string, what: string): never {
  throw new ModelFormatError(`${where(ctx)}: ${fn}: ${what}`);
}

export function describe(x: unknown): string {
  if (x === null) return 'None';
  if (x instanceof PyGlobal) return `global ${x.qualname}`;
  if (isTuple(x)) return 'tuple';
  if (Array.isArray(x)) return 'list';
  if (x instanceof Map) return 'dict';
  if (x instanceof Uint8Array) return 'bytes';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}

export function argCount(ctx: CallContext, fn: string, args: readonly unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    bad(ctx, fn, `takes ${min === max ? min : `${min}-${max}`} argument(s), got ${args.length}`);
  }
}

export function asInt(ctx: CallContext, fn: string, x: unknown, what: string): number {
  if (typeof x === 'number' && Number.isSafeInteger(x)) return x;
  if (typeof x === 'boolean') return x ? 1 : 0;
  bad(ctx, fn, `${what} must be an int, got ${describe(x)}`);
}

export function asNumber(ctx: CallContext, fn: string, x: unknown, what: string): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  bad(ctx, fn, `${what} must be a number, got ${describe(x)}`);
}

export function asIntList(ctx: CallContext, fn: string, x: unknown, what: string): number[] {
  if (!Array.isArray(x)) bad(ctx, fn, `${what} must be a tuple of ints, got ${describe(x)}`);
  if (x.length > 64) bad(ctx, fn, `${what} has ${x.length} dimensions (more than 64)`);
  return x.map((v) => asInt(ctx, fn, v, what));
}

export function asString(ctx: CallContext, fn: string, x: unknown, what: string): string {
  if (typeof x === 'string') return x;
  bad(ctx, fn, `${what} must be a str, got ${describe(x)}`);
}

export function isGlobal(x: unknown, qualname: string): boolean {
  return x instanceof PyGlobal && x.qualname === qualname;
}
