// WasmThreadPool in Node, Deno and Bun: each runs test/portability/wasm-threads-run.ts from the
// TypeScript sources (the worker script is plain JavaScript beside them), which checks the
// threaded SIMD GEMM against one thread bit for bit and a worker's error, and prints one JSON
// line; this test also checks that the process then exits by itself. Node and Bun unref their
// workers, so a pool that is never disposed does not keep the process alive; Deno's web Worker
// has no unref, so there the pool must be disposed (or the Node entry imported, whose
// worker_threads workers Deno can unref).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'test/portability/wasm-threads-run.ts');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

const cases: [string, string, string[]][] = [
  // [name, executable, arguments]
  ['node, Node entry, pools kept', process.execPath, ['--import', 'tsx', script, 'node', 'keep']],
  ['node, Node entry, pools disposed', process.execPath, ['--import', 'tsx', script, 'node', 'dispose']],
  ['deno, web Worker, pools disposed', bin('deno'), ['run', '--sloppy-imports', '--allow-read', '--allow-env', script, 'web', 'dispose']],
  ['deno, Node entry (worker_threads), pools kept', bin('deno'), ['run', '--sloppy-imports', '--allow-read', '--allow-env', script, 'node', 'keep']],
  ['bun, web Worker, pools kept', bin('bun'), ['run', script, 'web', 'keep']],
  ['bun, Node entry, pools kept', bin('bun'), ['run', script, 'node', 'keep']],
];

/** Runs to exit; rejects if the process has not exited after `ms` (a pool keeping it alive). */
function runToExit(exe: string, args: string[], ms: number): Promise<string> {
  return new Promise((res, rej) => {
    execFile(exe, args, { cwd: root, encoding: 'utf8', timeout: ms, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${err.killed ? `still running after ${ms} ms (killed)` : err.message}\n${stdout}\n${stderr}`));
      else res(stdout);
    });
  });
}

describe('portability: WasmThreadPool in every runtime', () => {
  for (const [name, exe, args] of cases) {
    it(`${name}: bit-identical GEMM, typed worker errors, and the process exits`, async () => {
      const out = await runToExit(exe, args, 90_000);
      const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(r.shared).toBe(true);
      expect(r.threads).toEqual([1, 2, 3]);
      expect(r.gemmFailure).toBeNull();
      expect(r.gemmRuns).toBe(60);
      expect(r.workerError).toMatch(/^1: worker 1 \(of 2 threads\) failed in call [01] of 'arrive' \(256, 2, 260, 0, -1\): RuntimeError: (unreachable|Unreachable code)/);
      expect(r.afterError).toEqual([5, 6]);
      expect(r.fallbacks).toEqual(['1 thread(s) asked for: nothing to share']);
    }, 100_000);
  }
});

describe('portability: WasmThreadPool from the built package (the worker script tsc copied)', () => {
  const dist = join(root, 'test/portability/wasm-threads-dist.mjs');
  it('the worker script is built beside the pool', () => {
    expect(existsSync(join(root, 'dist/kernels/wasm/threads-worker.js'))).toBe(true);
  });
  for (const [name, exe, args] of [
    ['node, Node entry', process.execPath, [dist, 'node']],
    ['deno, web Worker', bin('deno'), ['run', '--allow-read', '--allow-env', dist, 'web']],
    ['bun, web Worker', bin('bun'), ['run', dist, 'web']],
  ] as const) {
    it(`${name}: runs a batch on 2 threads`, async () => {
      const out = await runToExit(exe, [...args], 60_000);
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ threads: 2, ok: true, fallbacks: [] });
    }, 70_000);
  }
});
