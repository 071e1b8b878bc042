// The line `tessera run` and `inspect` show on stderr while a model loads, when stderr is a
// terminal: bytes read, the total and the percentage once known, rewritten in place and erased at
// the end. Nothing for loads that end within SHOW_AFTER_MS, nor when stderr is a pipe or a file.

import type { LoadProgress } from '../api/session.js';

const SHOW_AFTER_MS = 300;
const EVERY_MS = 100;

/** The part of a stream the line needs (process.stderr, or a test's). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`;

/** An onProgress that draws the line on `stream`; undefined when `stream` is not a terminal. */
export function loadProgressLine(stream: ProgressStream, now: () => number = Date.now): ((p: LoadProgress) => void) | undefined {
  if (!stream.isTTY) return undefined;
  const started = now();
  let drawn = false;
  let last = -Infinity;
  return ({ loaded, total }) => {
    const end = total !== undefined && loaded === total && loaded > 0;
    if (end) {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
      return;
    }
    const t = now();
    if (t - started < SHOW_AFTER_MS || t - last < EVERY_MS) return;
    last = t;
    drawn = true;
    const of = total === undefined || total === 0 ? '' : ` of ${mb(total)} (${Math.floor((100 * loaded) / total)}%)`;
    stream.write(`\r\x1b[Kloading model: ${mb(loaded)}${of}`);
  };
}
