// What every run carries: its limits, its AbortSignal (or onnxruntime-web's `terminate`) and its
// deadline, checked between nodes, per loop iteration and per batch of TorchScript statements.
// Apart from limits.ts so that what the main entry exports about limits stays a small module.

import { AbortError, InvalidArgumentError, ResourceLimitError } from './errors.js';
import { checkLimit, DEFAULT_LIMITS, type ResourceLimits } from './limits.js';

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
