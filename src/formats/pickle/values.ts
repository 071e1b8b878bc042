// The values an unpickled tree holds, and the limits that bound building it.
// Python dicts load as Map (so keys such as `__proto__` are ordinary data), lists and tuples as
// arrays (tuples are frozen and marked), ints beyond 2^53 as bigint, bytes as Uint8Array.

import { InvalidArgumentError, ResourceLimitError } from '../../errors.js';
import { DEFAULT_LIMITS as SHARED_DEFAULTS, type ResourceLimits } from '../../limits.js';
import type { Tensor } from '../../tensor.js';

/** A reference to a Python global, as data: it is never called by looking at it. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {
    Object.freeze(this);
  }
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** builtins.slice(start, stop, step). */
export class PySlice {
  constructor(readonly start: unknown, readonly stop: unknown, readonly step: unknown) {
    Object.freeze(this);
  }
}

/** builtins.complex(re, im). */
export class PyComplex {
  constructor(readonly re: number, readonly im: number) {
    Object.freeze(this);
  }
}

/** An instance of an allow-listed data-only class (e.g. a TorchScript `__torch__` record). */
export class PyRecord {
  state: unknown = undefined;
  constructor(readonly cls: PyGlobal, readonly args: readonly unknown[], readonly kwargs?: Map<unknown, unknown>) {}
}

export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array | Tensor
  | PyValue[] | Map<unknown, PyValue> | Set<unknown> | PyGlobal | PySlice | PyComplex | PyRecord;

const TUPLES = new WeakSet<readonly unknown[]>();
const FROZEN_SETS = new WeakSet<Set<unknown>>();

export function makeTuple(items: unknown[]): readonly unknown[] {
  TUPLES.add(items);
  return Object.freeze(items);
}
/** True for arrays that were Python tuples (lists are plain arrays). */
export function isTuple(x: unknown): x is readonly unknown[] {
  return Array.isArray(x) && TUPLES.has(x);
}
export function makeFrozenSet(items: Set<unknown>): Set<unknown> {
  FROZEN_SETS.add(items);
  return items;
}
export function isFrozenSet(x: unknown): boolean {
  return x instanceof Set && FROZEN_SETS.has(x);
}

/** Attributes set by BUILD on an OrderedDict (e.g. a state dict's `_metadata`). */
export const PY_ATTRIBUTES = new WeakMap<object, unknown>();

export interface PickleLimits {
  /** Bytes of input, inflated zip members and materialized tensors together. */
  maxBytes: number;
  /** Nesting depth of containers and of MARKs. */
  maxDepth: number;
  /** Entries in the memo. */
  maxMemo: number;
  /** Values pushed while unpickling. */
  maxObjects: number;
  /** Items of one list, tuple, dict or set. */
  maxSequenceLength: number;
  /** Elements of one loaded tensor; unbounded unless given (maxBytes already bounds every tensor). */
  maxTensorElements: number;
}

export const DEFAULT_LIMITS: Readonly<PickleLimits> = Object.freeze({
  maxBytes: 2 * 1024 ** 3,
  maxDepth: 1000,
  maxMemo: 250_000,
  maxObjects: 500_000,
  maxSequenceLength: SHARED_DEFAULTS.maxSequenceLength,
  maxTensorElements: Infinity,
});

/** Limits torchLoad accepts: the pickle names above and the shared ResourceLimits names (src/limits.ts). */
export type TorchLoadLimits = Partial<PickleLimits> & Partial<ResourceLimits>;

const PICKLE_NAMES = new Set(Object.keys(DEFAULT_LIMITS));
const SHARED_NAMES = new Set(Object.keys(SHARED_DEFAULTS));

/**
 * The shared ResourceLimits names mapped onto the pickle limits:
 *   maxMemoryBytes    -> maxBytes           (input, inflated members and tensors together)
 *   maxRecursionDepth -> maxDepth           (container nesting and open MARKs)
 *   maxSequenceLength -> maxSequenceLength  (items of one list, tuple, dict or set)
 *   maxTensorElements -> maxTensorElements  (elements of one loaded tensor; no cap unless given)
 *   maxNodes, maxLoopIterations, timeoutMs  -> nothing to bound in a pickle; accepted and ignored.
 * maxMemo and maxObjects have no shared name. When a pickle name and its shared name are both
 * given, the smaller wins. Unknown names and values that are not non-negative numbers are refused.
 */
export function pickleLimits(limits?: TorchLoadLimits): Partial<PickleLimits> {
  if (limits === undefined) return {};
  if (limits === null || typeof limits !== 'object') {
    throw new InvalidArgumentError(`limits: expected an object such as { maxMemoryBytes: 2 ** 30 }, got ${limits === null ? 'null' : typeof limits}`);
  }
  const out: Partial<PickleLimits> = {};
  const take = (name: keyof PickleLimits, v: number): void => {
    out[name] = Math.min(out[name] ?? Infinity, v);
  };
  for (const key of Object.keys(limits)) {
    const v = (limits as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (!PICKLE_NAMES.has(key) && !SHARED_NAMES.has(key)) {
      throw new InvalidArgumentError(`limits: unknown limit '${key}' (known: ${[...PICKLE_NAMES, ...SHARED_NAMES].join(', ')})`);
    }
    if (typeof v !== 'number' || !(v >= 0)) throw new InvalidArgumentError(`limits.${key}: expected a non-negative number, got ${String(v)}`);
    if (key === 'maxMemoryBytes') take('maxBytes', v);
    else if (key === 'maxRecursionDepth') take('maxDepth', v);
    else if (PICKLE_NAMES.has(key)) take(key as keyof PickleLimits, v);
  }
  return out;
}

/** Counters shared by every pickle and zip member of one file. */
export class Budget {
  readonly limits: PickleLimits;
  bytes = 0;
  objects = 0;
  /** Accepts the pickle names and the shared ResourceLimits names (see pickleLimits). */
  constructor(limits?: TorchLoadLimits) {
    this.limits = { ...DEFAULT_LIMITS, ...pickleLimits(limits) };
  }
  chargeBytes(n: number, what: string): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxBytes) {
      throw new ResourceLimitError(`${what}: total bytes ${this.bytes} exceed the limit maxBytes=${this.limits.maxBytes}`, 'maxBytes', this.bytes, this.limits.maxBytes);
    }
  }
  chargeObjects(n: number, what: string): void {
    this.objects += n;
    if (this.objects > this.limits.maxObjects) {
      throw new ResourceLimitError(`${what}: more than maxObjects=${this.limits.maxObjects} values`, 'maxObjects', this.objects, this.limits.maxObjects);
    }
  }
}
