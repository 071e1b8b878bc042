// `tessera scan`, `tessera inspect FILE.pt` and `tessera convert` as functions.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertCommand } from '../../src/cli/convert.js';
import { inspectPickleCommand } from '../../src/cli/inspect-pickle.js';
import { scanCommand } from '../../src/cli/scan.js';
import { stateDict, torchLoad } from '../../src/formats/pickle/index.js';
import { readSafetensors } from '../../src/formats/safetensors/index.js';
import { HOSTILE } from './hostile/corpus.js';

const FIX = join(import.meta.dirname, '../../spec-models/pickle');
const tmp = mkdtempSync(join(tmpdir(), 'tessera-pickle-'));
const capture = (): { io: { out(l: string): void }; lines: string[] } => {
  const lines: string[] = [];
  return { io: { out: (l) => lines.push(l) }, lines };
};

describe('tessera scan', () => {
  it('exit 0 and SAFE for a state dict, listing its globals and opcode classes', async () => {
    const { io, lines } = capture();
    expect(await scanCommand(join(FIX, 'state_dict.pt'), io)).toBe(0);
    const text = lines.join('\n');
    expect(text).toMatch(/torch\.save zip archive/);
    expect(text).toMatch(/torch\._utils\._rebuild_tensor_v2 +GLOBAL @52 +allowed/);
    expect(text).toMatch(/collections\.OrderedDict/);
    expect(text).toMatch(/call +REDUCE/);
    expect(lines.at(-1)).toMatch(/^verdict: SAFE/);
  });

  it('exit 1 and UNSAFE, naming module.name, opcode and offset', async () => {
    const p = join(tmp, 'evil.pkl');
    writeFileSync(p, HOSTILE[0]!.bytes());
    const { io, lines } = capture();
    expect(await scanCommand(p, io)).toBe(1);
    expect(lines.join('\n')).toMatch(/os\.system +GLOBAL @2 +NOT ALLOWED/);
    expect(lines).toContain('  - pickle 1: os.system (GLOBAL at offset 2) is not on the allow-list');
  });

  it('exit 3 (cannot verify) for a file that is neither a pickle nor a container it knows', async () => {
    const p = join(tmp, 'notes.txt');
    writeFileSync(p, 'just some text\n');
    const { io, lines } = capture();
    expect(await scanCommand(p, io)).toBe(3);
    expect(lines.join('\n')).toMatch(/cannot verify: not a pickle, nor a container tessera knows/);
    expect(lines.find((l) => l.startsWith('verdict: '))).toMatch(/^verdict: CANNOT VERIFY/);
  });
});

describe('tessera inspect FILE.pt', () => {
  it('prints the tree with shapes, dtypes and sharing', async () => {
    const { io, lines } = capture();
    await inspectPickleCommand(join(FIX, 'views.pt'), io);
    expect(lines[1]).toBe('tensors: 11, elements: 109');
    expect(lines).toContain('  "transposed": float32[6, 4] (storage 0 offset 0 stride [1, 6])');
    expect(lines).toContain('  "element": float32[] (storage 0 offset 23 stride [])');
    expect(lines.at(-1)).toMatch(/^shared storage 1: other$|^shared storage 0:/);
    expect(lines.some((l) => /^shared storage 0: base, transposed, row/.test(l))).toBe(true);
  });

  it('prints a checkpoint config', async () => {
    const { io, lines } = capture();
    await inspectPickleCommand(join(FIX, 'checkpoint.pt'), io);
    expect(lines).toContain('    "big": 1180591620717411303424');
    expect(lines).toContain('    "dtype": torch.float16');
    expect(lines.some((l) => l.includes('"conv.weight": float32[2, 1, 3, 3]'))).toBe(true);
  });
});

describe('tessera convert', () => {
  it('writes a safetensors file with the same tensors', async () => {
    const out = join(tmp, 'sd.safetensors');
    const { io, lines } = capture();
    await convertCommand(join(FIX, 'checkpoint.pt'), out, io);
    expect(lines.at(-1)).toMatch(/^wrote 21 tensor\(s\)/);
    const back = readSafetensors(new Uint8Array(readFileSync(out)));
    const sd = stateDict(torchLoad(new Uint8Array(readFileSync(join(FIX, 'checkpoint.pt')))));
    for (const [k, t] of sd) expect(back.tensors.get(k)!.data).toEqual(t.data);
    expect(back.metadata.get('format')).toBe('pt');
  });

  it('refuses a hostile file without writing anything', async () => {
    const p = join(tmp, 'evil.pt');
    writeFileSync(p, HOSTILE.find((h) => h.name.startsWith('payload inside'))!.bytes());
    await expect(convertCommand(p, join(tmp, 'never.safetensors'), capture().io)).rejects.toThrow(/os\.system/);
    expect(() => readFileSync(join(tmp, 'never.safetensors'))).toThrow();
  });
});
