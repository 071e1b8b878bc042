// One budget for everything a model file can make tessera do: memory, tensor sizes, graph size,
// loop iterations, TorchScript container sizes, nesting depth and wall time. The same names are
// accepted by InferenceSession.create, torchLoad, loadTorchScript and the CLI (--max-memory, ...).
// A breach is a ResourceLimitError naming the limit, where it happened and the value that broke it.

import { AbortError, InvalidArgumentError, ResourceLimitError } from './errors.js';

export interface ResourceLimits {
  /** Bytes a session may hold at once: weights, external data and live activations. */
  readonly maxMemoryBytes: number;
  /** Elements of any one tensor (or TorchScript list/string/dict). */
  readonly maxTensorElements: number;
  /** Nodes in a model: its graph, every subgraph and every function body together. */
  readonly maxNodes: number;
  /**
   * Loop iterations in one run: every ONNX Loop/Scan step and TorchScript loop iteration counted
   * together, so nested loops cannot multiply past it (a trip count over it is refused up front).
   */
  readonly maxLoopIterations: number;
  /** Elements of one TorchScript list, characters of one string, entries of one dict. */
  readonly maxSequenceLength: number;
  /** Nesting: parser depth, call depth, subgraph depth, pickle/protobuf nesting. */
  readonly maxRecursionDepth: number;
  /** Wall time of one run in milliseconds; 0 means no limit. */
  readonly timeoutMs: number;
}

export const DEFAULT_LIMITS: ResourceLimits = Object.freeze({
  maxMemoryBytes: 4 * 2 ** 30,
  maxTensorElements: 2 ** 28,
  maxNodes: 1_000_000,
  maxLoopIterations: 100_000,
  maxSequenceLength: 2 ** 22,
  maxRecursionDepth: 500,
  timeoutMs: 0,
});

const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof ResourceLimits)[];

/** The defaults with `overrides` applied; every override must be a non-negative number. */
export function resolveLimits(overrides?: Partial<ResourceLimits>): ResourceLimits {
  if (overrides === undefined) return DEFAULT_LIMITS;
  if (overrides === null || typeof overrides !== 'object') {
    throw new InvalidArgumentError(`limits: expected an object such as { maxMemoryBytes: 2 ** 30 }, got ${overrides === null ? 'null' : typeof overrides}`);
  }
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides)) {
    if (!(LIMIT_NAMES as string[]).includes(key)) {
      throw new InvalidArgumentError(`limits: unknown limit '${key}' (known: ${LIMIT_NAMES.join(', ')})`);
    }
    const v = (overrides as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v >= 0)) throw new InvalidArgumentError(`limits.${key}: expected a non-negative number, got ${String(v)}`);
    out[key] = v;
  }
  return Object.freeze(out) as unknown as ResourceLimits;
}

/** Throws a ResourceLimitError when `value` exceeds `limits[limit]`. `where` names the node, op or source line. */
export function checkLimit(limits: ResourceLimits, limit: keyof ResourceLimits, value: number, where: string): void {
  const max = limits[limit];
  if (value > max) throw new ResourceLimitError(`${where}: ${describe(limit, value)} exceeds the limit ${limit} = ${max}`, limit, value, max);
}

function describe(limit: keyof ResourceLimits, value: number): string {
  switch (limit) {
    case 'maxMemoryBytes': return `${value} bytes`;
    case 'maxTensorElements': return `${value} elements`;
    case 'maxNodes': return `${value} nodes`;
    case 'maxLoopIterations': return `${value} iterations`;
    case 'maxSequenceLength': return `a length of ${value}`;
    case 'maxRecursionDepth': return `nesting depth ${value}`;
    case 'timeoutMs': return `${value} ms`;
  }
}

/** Per-run options shared by ONNX and TorchScript sessions (onnxruntime-web's RunOptions, where they meet). */
export interface RunControlOptions {
  /** Cancels the run between nodes, per loop iteration and per batch of TorchScript statements (AbortError). */
  readonly signal?: AbortSignal;
  /** Wall time for this run in ms; overrides limits.timeoutMs. */
  readonly timeoutMs?: number;
  /**
   * onnxruntime-web's RunOptions.terminate: when true the run stops at its next check, as if its
   * signal fired (AbortError). Read when the run starts and at every check, so setting it on the
   * options object while a worker session runs stops that run.
   */
  readonly terminate?: boolean;
  /** onnxruntime-web's RunOptions.logSeverityLevel (0 verbose .. 4 fatal): accepted and checked; tessera logs nothing during a run. */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** onnxruntime-web's RunOptions.logVerbosityLevel: accepted, unused. */
  readonly logVerbosityLevel?: number;
  /** onnxruntime-web's RunOptions.tag: a name for the run; accepted, unused (tessera keeps no run log). */
  readonly tag?: string;
}

/** What RunControl reads of an AbortSignal; the worker's shared abort flag has the same shape. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

/**
 * One stop condition for a run out of its options: the signal, `terminate` and `extra` (another
 * source, such as a worker's shared flag), each read at every check. Undefined when there is none.
 */
export function stopSignalOf(options: RunControlOptions | undefined, extra?: AbortLike): AbortLike | undefined {
  const signal = options?.signal;
  if (options === undefined || (!('terminate' in options) && extra === undefined)) return signal;
  return {
    get aborted() {
      return signal?.aborted === true || options.terminate === true || extra?.aborted === true;
    },
    get reason() {
      if (signal?.aborted) return signal.reason;
      return options.terminate === true ? 'RunOptions.terminate was set' : extra?.reason;
    },
  };
}

/**
 * Watches one run: cancellation, the deadline, and the limits. `poll` is cheap enough to call per
 * node or per loop iteration: it reads the clock only every 64th call.
 */
export class RunControl {
  private readonly deadline: number;
  private calls = 0;
  constructor(readonly limits: ResourceLimits, private readonly signal?: AbortLike, timeoutMs?: number) {
    const t = timeoutMs ?? limits.timeoutMs;
    if (typeof t !== 'number' || !(t >= 0)) throw new InvalidArgumentError(`timeoutMs: expected a non-negative number, got ${String(t)}`);
    this.timeoutMs = t;
    this.deadline = t > 0 ? now() + t : Infinity;
  }
  readonly timeoutMs: number;

  /** Throws AbortError when the signal fired, ResourceLimitError when the deadline passed. */
  poll(where: string): void {
    if (this.signal?.aborted) throw abortError(where, this.signal);
    if (this.deadline !== Infinity && (++this.calls & 63) === 0) this.checkClock(where);
  }

  /** Like poll, but always reads the clock (for points that may be far apart). */
  pollNow(where: string): void {
    if (this.signal?.aborted) throw abortError(where, this.signal);
    if (this.deadline !== Infinity) this.checkClock(where);
  }

  private checkClock(where: string): void {
    const t = now();
    if (t > this.deadline) {
      const elapsed = Math.round(t - this.deadline + this.timeoutMs);
      throw new ResourceLimitError(`${where}: the run took ${elapsed} ms, over its time limit of ${this.timeoutMs} ms`, 'timeoutMs', elapsed, this.timeoutMs);
    }
  }

  check(limit: keyof ResourceLimits, value: number, where: string): void {
    checkLimit(this.limits, limit, value, where);
  }

  /** Loop iterations counted so far in this run (all loops together). */
  get iterations(): number {
    return this.iterationCount;
  }
  private iterationCount = 0;

  /** Counts `n` more loop iterations of this run; refuses past limits.maxLoopIterations. */
  addIterations(n: number, where: string): void {
    this.iterationCount += n;
    if (this.iterationCount > this.limits.maxLoopIterations) {
      throw new ResourceLimitError(
        `${where}: the run's loops reached ${this.iterationCount} iterations in all, over the limit maxLoopIterations = ${this.limits.maxLoopIterations}`,
        'maxLoopIterations', this.iterationCount, this.limits.maxLoopIterations,
      );
    }
  }

  /** Starts the iteration count again (a control reused across runs). */
  resetIterations(): void {
    this.iterationCount = 0;
  }
}

/** A control with the default limits and no signal, for callers that have none: a new one each time. */
export function uncontrolled(): RunControl {
  return new RunControl(DEFAULT_LIMITS);
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

/** The AbortError of a run stopped at `where` by `signal` (its reason, if any, in the message). */
export function abortError(where: string, signal?: AbortLike): AbortError {
  return new AbortError(`${where}: the run was cancelled${signal ? abortReason(signal) : ''}`);
}

/** ' (reason)' for a signal that fired with a reason of its own, '' otherwise. */
export function abortReason(signal: AbortLike): string {
  const r = signal.reason as unknown;
  if (r === undefined) return '';
  if (r instanceof Error) return r.name === 'AbortError' ? '' : ` (${r.message})`;
  return ` (${String(r)})`;
}
