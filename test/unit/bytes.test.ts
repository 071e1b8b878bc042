// concatBytes (src/bytes.ts): chunks joined in order; one chunk given back as it is.

import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes.js';

describe('concatBytes', () => {
  it('joins chunks in order, empty ones included', () => {
    const out = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(concatBytes([]).length).toBe(0);
  });
  it('gives back a lone chunk without copying it', () => {
    const one = Uint8Array.of(7, 8);
    expect(concatBytes([one])).toBe(one);
  });
});
