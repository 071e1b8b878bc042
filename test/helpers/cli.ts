// Runs the tessera CLI in-process (src/cli/main.ts) and collects what it prints, for the CLI tests.

import { expect, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** `tessera ...args`: its exit code, its stdout lines and what it wrote with console.error. */
export async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => { err.push(m); });
  try {
    return { code: await main(args, { out: (l) => out.push(l) }), out, err };
  } finally {
    spy.mockRestore();
  }
}

/** `tessera ...args --json`: its exit code and the one JSON document it printed. */
export async function cliJson(...args: string[]): Promise<{ code: number; doc: any }> {
  const r = await cli(...args, '--json');
  expect(r.out, r.err.join('\n')).toHaveLength(1); // one document
  return { code: r.code, doc: JSON.parse(r.out[0]!) };
}
