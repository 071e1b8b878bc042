// The WebAssembly SIMD engine's properties (GEMM entry points, conv, depthwise, Winograd,
// resident panels, split executors) hold in Node, Deno and Bun (each runs
// test/portability/gemm-simd-run.ts from the TypeScript sources), on the relaxed-simd fma kernels
// where the runtime has it (Deno, Bun, Node with --experimental-wasm-relaxed-simd) and on the
// mul+add kernels everywhere.

import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'test/portability/gemm-simd-run.ts');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

const runtimes: [string, string, string[], boolean][] = [
  // [name, executable, arguments, whether relaxed-simd must be there]
  ['node', process.execPath, ['--import', 'tsx', script], false],
  ['node --experimental-wasm-relaxed-simd', process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', script], true],
  ['deno', bin('deno'), ['run', '--sloppy-imports', '--allow-read', '--allow-env', script], true],
  ['bun', bin('bun'), ['run', script], false],
];

describe('portability: the WebAssembly SIMD engine in every runtime', () => {
  for (const [name, exe, args, relaxed] of runtimes) {
    it(`${name}: SIMD available and every property holds`, () => {
      const out = execFileSync(exe, args, { cwd: root, encoding: 'utf8', timeout: 170_000, env: { ...process.env, NO_COLOR: '1' } });
      const result = JSON.parse(out.trim().split('\n').pop()!) as {
        simd: boolean; relaxed: boolean; runs: number; engineRuns: number; failures: unknown[];
      };
      expect(result.simd).toBe(true);
      if (relaxed) expect(result.relaxed).toBe(true);
      expect(result.failures).toEqual([]);
      expect(result.runs).toBeGreaterThan(1000);
      expect(result.engineRuns).toBeGreaterThan(700);
    }, 180_000);
  }
});
