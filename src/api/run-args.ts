// run()'s arguments, checked the same way for in-thread and worker sessions: onnxruntime-web's
// `run(feeds, options?)` and `run(feeds, fetches, options?)`.

import { InvalidArgumentError } from '../errors.js';
import type { RunControlOptions } from '../run-control.js';
import { Tensor } from '../tensor.js';

/**
 * Which outputs a run returns, as onnxruntime-web takes them: a list of output names, or an
 * object keyed by output names (values null or a Tensor; tessera returns new tensors and does not
 * write into a given one).
 */
export type Fetches = readonly string[] | Readonly<Record<string, Tensor | null>>;

/** Checks run()'s arguments and sorts out its two overloads; `fn` names the call in errors. */
export function parseRunArgs(
  fn: string, outputNames: readonly string[], feeds: unknown,
  b: Fetches | RunControlOptions | undefined, c: RunControlOptions | undefined,
): { fetches?: readonly string[]; options?: RunControlOptions } {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds) || feeds instanceof Tensor) {
    const got = feeds === null ? 'null' : Array.isArray(feeds) ? 'an array' : feeds instanceof Tensor ? 'a Tensor' : typeof feeds;
    throw new InvalidArgumentError(`${fn}: feeds must be an object mapping input names to tensors, got ${got}`);
  }
  let fetches: readonly string[] | undefined;
  let options: RunControlOptions | undefined = c;
  if (Array.isArray(b)) fetches = b;
  else if (b !== undefined && b !== null && typeof b === 'object') {
    if (b instanceof Tensor) throw new InvalidArgumentError(`${fn}: fetches must be output names or an object keyed by them, got a Tensor`);
    // onnxruntime-web's rule: an object is fetches when it names an output (with null or a
    // Tensor as the value), else it is the options. tessera returns new tensors either way: a
    // tensor given in fetches is not written into.
    const named = outputNames.filter((name) => Object.hasOwn(b, name)
      && ((b as Record<string, unknown>)[name] === null || (b as Record<string, unknown>)[name] instanceof Tensor));
    if (named.length > 0) fetches = named;
    else {
      if (c !== undefined) throw new InvalidArgumentError(`${fn}: fetches must be an array of output names or an object keyed by them (outputs: ${outputNames.join(', ')})`);
      options = b as RunControlOptions;
    }
  } else if (b !== undefined) throw new InvalidArgumentError(`${fn}: fetches must be an array of output names, got ${typeof b}`);
  if (fetches) {
    for (const f of fetches) {
      if (typeof f !== 'string' || !outputNames.includes(f)) {
        throw new InvalidArgumentError(`${fn}: '${String(f)}' is not an output of this model (outputs: ${outputNames.join(', ')})`);
      }
    }
  }
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${fn}: options must be an object such as { signal, timeoutMs }`);
    const { signal, timeoutMs, terminate, logSeverityLevel, logVerbosityLevel, tag } = options;
    if (logSeverityLevel !== undefined && ![0, 1, 2, 3, 4].includes(logSeverityLevel)) {
      throw new InvalidArgumentError(`${fn}: options.logSeverityLevel must be 0, 1, 2, 3 or 4, got ${String(logSeverityLevel)}`);
    }
    if (logVerbosityLevel !== undefined && typeof logVerbosityLevel !== 'number') {
      throw new InvalidArgumentError(`${fn}: options.logVerbosityLevel must be a number, got ${typeof logVerbosityLevel}`);
    }
    if (tag !== undefined && typeof tag !== 'string') throw new InvalidArgumentError(`${fn}: options.tag must be a string, got ${typeof tag}`);
    if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
      throw new InvalidArgumentError(`${fn}: options.signal must be an AbortSignal`);
    }
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
      throw new InvalidArgumentError(`${fn}: options.timeoutMs must be a non-negative number of milliseconds, got ${String(timeoutMs)}`);
    }
    if (terminate !== undefined && typeof terminate !== 'boolean') {
      throw new InvalidArgumentError(`${fn}: options.terminate must be a boolean, got ${typeof terminate}`);
    }
  }
  return { fetches, options };
}
