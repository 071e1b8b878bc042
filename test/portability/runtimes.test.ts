// The built package runs the digits model unchanged in Node, Deno and Bun, and the core
// (everything but the CLI and the Node entry) uses no code generation and no node: imports.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'test/portability/digits-run.mjs');
const bin = (name: string) => join(root, 'node_modules/.bin', name);

const runtimes: [string, string, string[]][] = [
  ['node', process.execPath, [script]],
  ['deno', bin('deno'), ['run', '--allow-read', '--allow-env', script]],
  ['bun', bin('bun'), ['run', script]],
];

describe('portability: the digits model in every runtime', () => {
  it('the package is built', () => {
    expect(existsSync(join(root, 'dist/src/index.js'))).toBe(true);
  });
  for (const [name, exe, args] of runtimes) {
    it(`runs in ${name} with outputs within 1e-4 of PyTorch`, () => {
      const out = execFileSync(exe, args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
      const result = JSON.parse(out.trim().split('\n').pop()!) as { n: number; accuracy: number; maxDiff: number; dims: number[] };
      expect(result.n).toBe(360);
      expect(result.dims).toEqual([360, 10]);
      expect(result.maxDiff).toBeLessThan(1e-4);
      expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    }, 180_000);
  }
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('portability: the core uses web-standard APIs only', () => {
  const core = [...sources(join(root, 'src')), ...sources(join(root, 'ops')), ...sources(join(root, 'kernels'))]
    .filter((p) => !p.includes(`${join('src', 'cli')}`) && !p.endsWith(join('src', 'node.ts')));
  it('has no node: imports, eval or new Function', () => {
    const offenders: string[] = [];
    for (const p of core) {
      const text = readFileSync(p, 'utf8');
      if (/from\s+['"]node:|require\(|\beval\s*\(|new\s+Function\s*\(|\bBuffer\./.test(text)) offenders.push(p);
    }
    expect(offenders).toEqual([]);
    expect(core.length).toBeGreaterThan(10);
  });
  it('kernels import nothing from src/ or ops/', () => {
    const offenders = sources(join(root, 'kernels')).filter((p) => /from\s+['"]\.\.\/(src|ops)\//.test(readFileSync(p, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
