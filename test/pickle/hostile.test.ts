// The hostile corpus is refused with a typed error in bounded time; scanning names the globals.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ResourceLimitError, TesseraError, UnsafePickleError } from '../../src/errors.js';
import { scanPickle, stateDict, torchLoad, unpickle } from '../../src/formats/pickle/index.js';
import { Budget } from '../../src/formats/pickle/values.js';
import { inflateCapped } from '../../src/formats/pickle/zip.js';
import { bombStream, HOSTILE, stateDictPickle, torchZip } from './hostile/corpus.js';
import { P } from './hostile/pickle-writer.js';

function refusal(bytes: Uint8Array, limits?: object): unknown {
  try {
    torchLoad(bytes, { limits });
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('hostile corpus', () => {
  for (const h of HOSTILE) {
    it(`refuses: ${h.name}`, () => {
      const bytes = h.bytes();
      const t0 = performance.now();
      const e = refusal(bytes, h.limits);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(e, 'must throw').toBeInstanceOf(h.error);
      expect((e as Error).message).toMatch(h.match);
      const report = scanPickle(bytes, { limits: h.limits });
      expect(report.verdict).toBe(h.scan);
    });
  }

  it('the payload-in-zip file still loads nothing: no tensor escapes the refusal', () => {
    const e = refusal(HOSTILE.find((h) => h.name.startsWith('payload inside'))!.bytes());
    expect(e).toBeInstanceOf(UnsafePickleError);
    expect((e as UnsafePickleError).code).toBe('UNSAFE_PICKLE');
  });

  it('scan lists the dangerous global with opcode and offset', () => {
    const r = scanPickle(HOSTILE[0]!.bytes());
    expect(r.pickles[0]!.globals).toEqual([{ module: 'os', name: 'system', opcode: 'GLOBAL', offset: 2, allowed: false }]);
    expect(r.reasons).toEqual(['pickle 1: os.system (GLOBAL at offset 2) is not on the allow-list']);
  });

  it('scan resolves STACK_GLOBAL operands fetched from the memo', () => {
    const r = scanPickle(HOSTILE.find((h) => h.name === 'STACK_GLOBAL from memoised strings')!.bytes());
    expect(r.pickles[0]!.globals.map((g) => `${g.module}.${g.name}`)).toEqual(['os.system']);
  });

  it('scan finds the payload hidden after STOP', () => {
    const r = scanPickle(HOSTILE.find((h) => h.name === 'data after STOP')!.bytes());
    expect(r.reasons.join('\n')).toMatch(/pickle 2 \(after STOP\): os\.system/);
  });

  it('scan reports a truncated payload as unsafe with the globals it saw', () => {
    const full = HOSTILE[0]!.bytes();
    const r = scanPickle(full.subarray(0, full.length - 2));
    expect(r.verdict).toBe('unsafe');
    expect(r.pickles[0]!.globals[0]!.name).toBe('system');
  });

  it('scan says not-a-pickle for other files', () => {
    expect(scanPickle(new TextEncoder().encode('hello world')).verdict).toBe('not-pickle');
    expect(scanPickle(new Uint8Array(0)).verdict).toBe('not-pickle');
  });

  it('a zip bomb stops at the byte limit, not at its declared size', () => {
    const comp = bombStream(32 << 20);
    const budget = new Budget({ maxBytes: 1 << 20 });
    expect(() => inflateCapped(comp, 32 << 20, budget, 'bomb')).toThrow(ResourceLimitError);
    expect(() => inflateCapped(comp, 1000, new Budget(), 'bomb')).toThrow(/inflates past its declared size/);
  });

  it('truncation at every offset of a torch zip is a typed error', () => {
    const file = new Uint8Array(readFileSync(join(import.meta.dirname, '../../spec-models/pickle/state_dict.pt')));
    for (let n = 0; n < file.length; n++) {
      const e = refusal(file.subarray(0, n));
      expect(e, `prefix ${n}`).toBeInstanceOf(TesseraError);
    }
  });

  it('truncation at every offset of a pickle is a typed error', () => {
    for (const f of ['numpy_p0.pkl', 'numpy_p5.pkl', 'plain_p0.pkl']) {
      const file = new Uint8Array(readFileSync(join(import.meta.dirname, '../../spec-models/pickle', f)));
      for (let n = 0; n < file.length; n++) {
        const e = refusal(file.subarray(0, n));
        expect(e, `${f} prefix ${n}`).toBeInstanceOf(TesseraError);
        expect(() => scanPickle(file.subarray(0, n))).not.toThrow();
      }
    }
  });

  it('truncation at every offset of a legacy file is a typed error', () => {
    const file = new Uint8Array(readFileSync(join(import.meta.dirname, '../../spec-models/pickle/views_legacy.pt')));
    for (let n = 0; n < file.length; n++) expect(refusal(file.subarray(0, n)), `prefix ${n}`).toBeInstanceOf(TesseraError);
  });

  it('a self-referencing list loads and flattens without hanging', () => {
    const v = unpickle(P().proto(2).emptyList().binput(0).binget(0).op('a').stop().done()).value as unknown[];
    expect(v[0]).toBe(v);
    expect(stateDict(v).size).toBe(0);
  });

  it('limits can be raised: a deep but legitimate nest loads with maxDepth raised', () => {
    const bytes = P().proto(2).none().op('\x85'.repeat(1500)).stop().done();
    expect(() => torchLoad(bytes)).toThrow(ResourceLimitError);
    expect(() => torchLoad(bytes, { limits: { maxDepth: 2000 } })).not.toThrow();
  });

  it('a valid hand-written torch zip loads (the corpus builders are sound)', () => {
    const sd = stateDict(torchLoad(torchZip(stateDictPickle(4, [2, 2], [1, 2]))));
    expect([...(sd.get('w')!.data as Float32Array)]).toEqual([0.5, 2.5, 1.5, 3.5]);
  });

  it('errors are typed and carry stable codes', () => {
    expect(new UnsafePickleError('x').code).toBe('UNSAFE_PICKLE');
    expect(new ModelFormatError('x').code).toBe('MODEL_FORMAT');
  });
});
