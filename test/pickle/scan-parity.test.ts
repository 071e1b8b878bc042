// Issue 9 finding 9: `tessera scan` runs the SafeUnpickler's own VM (the same decoder, stack, memo
// and limit checks), so a file is never SAFE to the scanner and malformed to torchLoad.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanCommand } from '../../src/cli/scan.js';
import { ModelFormatError } from '../../src/errors.js';
import { scanPickle, torchLoad } from '../../src/formats/pickle/index.js';
import { torchZip } from './hostile/corpus.js';
import { P } from './hostile/pickle-writer.js';

const tmp = mkdtempSync(join(tmpdir(), 'tessera-scan-parity-'));
const latin1 = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

async function cli(bytes: Uint8Array, name: string): Promise<{ code: number; lines: string[] }> {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  const lines: string[] = [];
  const code = await scanCommand(p, { out: (l) => lines.push(l) });
  return { code, lines };
}

function refusal(bytes: Uint8Array): unknown {
  try {
    torchLoad(bytes);
  } catch (e) {
    return e;
  }
  return undefined;
}

/** torchLoad refuses with a ModelFormatError matching `where`; scan says malformed naming the same place; the CLI exits 2. */
async function bothRefuse(bytes: Uint8Array, where: RegExp, name: string): Promise<void> {
  const e = refusal(bytes);
  expect(e).toBeInstanceOf(ModelFormatError);
  expect((e as ModelFormatError).code).toBe('MODEL_FORMAT');
  expect((e as Error).message).toMatch(where);
  const r = scanPickle(bytes);
  expect(r.verdict).toBe('malformed');
  expect(r.malformed).toMatch(where);
  const { code, lines } = await cli(bytes, name);
  expect(code).toBe(2);
  const line = lines.find((l) => l.startsWith('malformed: '));
  expect(line, lines.join('\n')).toMatch(where);
  expect(lines.at(-1)).toMatch(/^verdict: MALFORMED/);
}

describe('scan and torchLoad agree on the five files of finding 9', () => {
  it('FRAME whose length is 2^63', async () => {
    const bytes = P().proto(4).op('\x95').u64(1n << 63n).none().stop().done();
    await bothRefuse(bytes, /pickle.*FRAME at offset 2: frame of 9223372036854775808 bytes/, 'frame.pkl');
  });

  it('PERSID with a text id, in a plain pickle and in a torch zip', async () => {
    await bothRefuse(latin1('Pabc\n.'), /PERSID at offset 0: persistent id outside a torch container/, 'persid.pkl');
    await bothRefuse(torchZip(latin1('\x80\x02Pabc\n.')), /archive\/data\.pkl: persistent id at offset 2: persistent id must be \('storage'/, 'persid.pt');
  });

  it('BINPERSID whose argument is not a tuple, in a plain pickle and in a torch zip', async () => {
    await bothRefuse(latin1('\x80\x02K\x01Q.'), /BINPERSID at offset 4: persistent id outside a torch container/, 'binpersid.pkl');
    await bothRefuse(torchZip(latin1('\x80\x02K\x01Q.')), /archive\/data\.pkl: persistent id at offset 4: persistent id must be \('storage'.*got number/, 'binpersid.pt');
  });

  it('protocol 0 pickle starting with INT: b"I42\\n."', async () => {
    const bytes = latin1('I42\n.');
    expect(torchLoad(bytes)).toBe(42);
    expect(scanPickle(bytes).verdict).toBe('safe');
    const { code, lines } = await cli(bytes, 'int.pkl');
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/: plain pickle$/);
    expect(lines.at(-1)).toMatch(/^verdict: SAFE/);
  });

  it('protocol 0 pickle starting with STRING: b"S\'abc\'\\np0\\n."', async () => {
    const bytes = latin1("S'abc'\np0\n.");
    expect(torchLoad(bytes)).toBe('abc');
    expect(scanPickle(bytes).verdict).toBe('safe');
    const { code, lines } = await cli(bytes, 'string.pkl');
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/: plain pickle$/);
    expect(lines.at(-1)).toMatch(/^verdict: SAFE/);
  });
});
