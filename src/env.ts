// tessera's `env`, shaped like onnxruntime-web's where the concepts match: global settings read
// when a session is created. Plain data, no side effects on import.

import { InvalidArgumentError } from './errors.js';

/** tessera's version (package.json's; test/unit/ort-web-api.test.ts keeps the two equal). */
export const VERSION = '0.1.0';

export type LogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
const LOG_LEVELS: readonly LogLevel[] = ['verbose', 'info', 'warning', 'error', 'fatal'];

export interface Env {
  /** onnxruntime-web's env.logLevel: accepted and checked; tessera writes no log of its own. */
  logLevel: LogLevel;
  readonly wasm: {
    /**
     * Threads for sessions that do not set intraOpNumThreads (0: the default, the cores up to 4;
     * 1 in Deno). onnxruntime-web's env.wasm.numThreads.
     */
    numThreads: number;
  };
  readonly versions: { readonly tessera: string };
}

let logLevel: LogLevel = 'warning';
let numThreads = 0;

export const env: Env = {
  get logLevel() { return logLevel; },
  set logLevel(v: LogLevel) {
    if (!LOG_LEVELS.includes(v)) throw new InvalidArgumentError(`env.logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${String(v)}`);
    logLevel = v;
  },
  wasm: {
    get numThreads() { return numThreads; },
    set numThreads(v: number) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new InvalidArgumentError(`env.wasm.numThreads must be a whole number >= 0 (0: the default), got ${String(v)}`);
      }
      numThreads = v;
    },
  },
  versions: Object.freeze({ tessera: VERSION }),
};
