// Worker sessions from the built package in Node (the Node entry's worker_threads factory), Deno
// and Bun (their global Worker, through the core entry): test/portability/worker-run.mjs runs the
// digits model in a worker, compares it with an in-thread run bit for bit, aborts a run midway and
// runs again. Node and Bun exit with the session left open (an idle worker does not hold the
// process); Deno's Worker cannot be unref'd, so there the script releases the session.

import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'test/portability/worker-run.mjs');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

const runtimes: [string, string, string[], boolean][] = [
  ['node', process.execPath, [script], false],
  ['deno', bin('deno'), ['run', '--allow-read', '--allow-env', script], true],
  ['bun', bin('bun'), ['run', script], false],
];

describe('portability: a worker session in every runtime', () => {
  for (const [name, exe, args, release] of runtimes) {
    it(`${name}: runs in a worker bit-identical to in-thread, aborts with AbortError, runs again${release ? '' : ', and exits without release()'}`, () => {
      const out = execFileSync(exe, args, {
        cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', RELEASE: release ? '1' : '0' },
      });
      const result = JSON.parse(out.trim().split('\n').pop()!) as { inputNames: string[]; first: boolean; aborted: string; after: boolean };
      expect(result.inputNames).toEqual(['image']);
      expect(result.first).toBe(true);
      expect(result.aborted).toMatch(/^AbortError: AbortError: (node '.*' \(\w+\)|graph '.*'): the run was cancelled$/);
      expect(result.after).toBe(true);
    }, 180_000);
  }
});
