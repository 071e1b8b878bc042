// The repository must work on a fresh clone with nothing beside it: no test, script or source
// file may reach outside the repository (the conformance tests once read their data from a
// folder beside it).
// .ci/run also runs the suite in a clone inside an otherwise empty folder.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the repository is self-contained', () => {
  it('no tracked source, test, script or config file refers to a folder beside the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n')
      .filter((f) => /\.(ts|mts|mjs|js|cjs|py|json|sh)$|^\.ci\//.test(f) && !f.startsWith('test/unit/self-contained'));
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.filter((f) => /\.\.\/shared\b|\/work\/shared\b/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
