// The CLI's --version and per-command help (issue 13): what a user types first.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, { out: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

describe('tessera --version and --help', () => {
  it('--version (and -v, version) prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v', 'version']) expect(await cli(flag)).toEqual({ code: 0, out: `tessera ${version}` });
    expect((await cli('--version', 'extra')).code).toBe(2);
  });

  it('COMMAND --help prints that command alone; --help lists every command', async () => {
    const all = await cli('--help');
    expect(all.code).toBe(0);
    for (const c of ['inspect', 'scan', 'convert', 'run', 'trace', 'compare', 'ops', 'demo']) expect(all.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    const run = await cli('run', '--help');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/--ep wasm\|cpu/);
    expect(run.out).not.toMatch(/^ {2}scan /m);
    const scan = await cli('scan', '-h');
    expect(scan.out).toMatch(/exit 0 safe, 1 unsafe, 3 cannot verify/);
    expect(scan.out).not.toMatch(/^ {2}run /m);
    for (const [c, flag] of [['trace', /--until-nan/], ['compare', /--ort/], ['ops', /--json/]] as const) {
      const help = await cli(c, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toMatch(flag);
      expect(help.out).not.toMatch(/^ {2}demo /m);
    }
    // no command: the usage, exit 2; an unknown one names the commands
    expect((await cli()).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
  });
});
