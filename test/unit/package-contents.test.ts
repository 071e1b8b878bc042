// What `npm pack` would publish (issue 13): the build (dist: JavaScript, types, wasm, the browser
// file), the digits model, README, LICENSE; no tests and no TypeScript sources, and source maps
// that carry their sources (the .ts files are not in the package). Needs `npm run build` first,
// as `npm test` does.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;

function packedFiles(): string[] {
  if (!existsSync(join(root, 'dist/src/index.js'))) throw new Error('dist/ is missing: run `npm run build` before this test');
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
  });
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return report!.files.map((f) => f.path);
}

describe('the npm package', () => {
  const files = packedFiles();
  const has = (p: string) => files.includes(p);

  it('holds the build, the types, the digits model, README and LICENSE', () => {
    for (const p of [
      'package.json', 'README.md', 'LICENSE',
      'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/node.js', 'dist/src/node.d.ts', 'dist/src/cli/main.js',
      'dist/src/formats/image/tensor-from-image.js', 'dist/tessera.min.mjs', 'dist/worker-entry.js', 'dist/threads-worker.js',
      'spec-models/digits/digits_cnn_opset17.onnx',
    ]) expect(has(p), p).toBe(true);
    expect(files.some((p) => p.startsWith('dist/wasm/')), 'the precompiled wasm modules').toBe(true);
  });

  it('every path package.json points at is in it', () => {
    const targets: string[] = [pkg.main as string, pkg.types as string, ...Object.values(pkg.bin as Record<string, string>)];
    for (const entry of Object.values(pkg.exports as Record<string, string | Record<string, string>>)) targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
    for (const t of targets) expect(has(t.replace(/^\.\//, '')), t).toBe(true);
  });

  it('has no tests, no TypeScript sources and nothing from the work tree', () => {
    const wrong = files.filter((p) => /(^|\/)test\/|\.test\.[cm]?[jt]s$|(^|\/)bench\/|(^|\/)node_modules\//.test(p) ||
      (/\.ts$/.test(p) && !p.endsWith('.d.ts')) || !/^(dist\/|spec-models\/digits\/|package\.json$|README\.md$|LICENSE$)/.test(p));
    expect(wrong).toEqual([]);
  });

  it('says what it is: license, repository, homepage; LICENSE is the Apache 2.0 text', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect((pkg.repository as { url: string }).url).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/tessera\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\/github\.com\/[\w-]+\/tessera/);
  });

  it('source maps carry the sources they map, since the .ts files are not shipped', () => {
    const maps = files.filter((p) => p.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(100);
    for (const m of ['dist/src/tensor.js.map', 'dist/src/api/session.js.map', 'dist/kernels/gemm-f32.js.map']) {
      expect(has(m), m).toBe(true);
      const map = JSON.parse(readFileSync(join(root, m), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(map.sourcesContent?.length, m).toBe(map.sources.length);
      const source = resolve(dirname(join(root, m)), map.sources[0]!);
      expect(map.sourcesContent![0], m).toBe(readFileSync(source, 'utf8'));
      expect(readFileSync(join(root, m.replace(/\.map$/, '')), 'utf8')).toContain(`//# sourceMappingURL=${m.split('/').pop()}`);
    }
  });
});
