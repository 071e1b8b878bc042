// run()'s arguments, checked the same way for in-thread and worker sessions: onnxruntime-web's
// `run(feeds, options?)` and `run(feeds, fetches, options?)`.

import { InvalidArgumentError } from '../errors.js';
import type { RunControlOptions } from '../limits.js';
import { Tensor } from '../tensor.js';

/** Checks run()'s arguments and sorts out its two overloads; `fn` names the call in errors. */
export function parseRunArgs(
  fn: string, outputNames: readonly string[], feeds: unknown,
  b: readonly string[] | RunControlOptions | undefined, c: RunControlOptions | undefined,
): { fetches?: readonly string[]; options?: RunControlOptions } {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds) || feeds instanceof Tensor) {
    const got = feeds === null ? 'null' : Array.isArray(feeds) ? 'an array' : feeds instanceof Tensor ? 'a Tensor' : typeof feeds;
    throw new InvalidArgumentError(`${fn}: feeds must be an object mapping input names to tensors, got ${got}`);
  }
  let fetches: readonly string[] | undefined;
  let options: RunControlOptions | undefined = c;
  if (Array.isArray(b)) fetches = b;
  else if (b !== undefined && b !== null && typeof b === 'object') {
    if (c !== undefined) throw new InvalidArgumentError(`${fn}: fetches must be an array of output names`);
    options = b as RunControlOptions;
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
    const { signal, timeoutMs, terminate } = options;
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
