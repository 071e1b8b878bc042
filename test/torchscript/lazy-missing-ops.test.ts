// TorchScript code carries every branch of the functions it calls: F.interpolate names the
// antialiased upsamplers, torch.norm the matrix norms. Such archives load; a missing operator
// fails only where a call reaches it, naming the operator and its call site; `strict` refuses
// them all at creation.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../src/api/session.js';
import { UnsupportedOpError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { createTorchScriptSession } from '../../src/runtime/torchscript/index.js';
import { loadManifests, mismatch } from './manifest.js';

const [interpolate, norm, reaches] = ['feature_interpolate', 'feature_norm', 'lazy_reaches_missing'].map((n) => loadManifests((m) => m === n)[0]!);
const read = (p: string) => new Uint8Array(readFileSync(p));

describe('missing operators fail where a call reaches them', () => {
  it('F.interpolate in every mode loads through InferenceSession.create and matches PyTorch', async () => {
    const bytes = read(interpolate!.path);
    const s = await InferenceSession.create(bytes);
    expect(s.module!.missingOps).toContain('aten::_upsample_bilinear2d_aa'); // named, never reached
    const c = interpolate!.cases[0]!;
    const out = await s.run({ x: c.inputs[0] as Tensor, x1: c.inputs[1] as Tensor, x3: c.inputs[2] as Tensor });
    const want = c.output as Tensor[];
    expect(Object.keys(out)).toHaveLength(want.length);
    want.forEach((w, i) => expect(mismatch(out[`out.${i}`]!, w, `out.${i}`)).toBeUndefined());
  });
  it('torch.norm(x, dim=1) and torch.norm(x) load and match PyTorch', async () => {
    const s = await InferenceSession.create(read(norm!.path));
    const c = norm!.cases[0]!;
    const out = await s.run({ x: c.inputs[0] as Tensor });
    const want = (c.output as unknown as { items: Tensor[] }).items;
    want.forEach((w, i) => expect(mismatch(out[`out.${i}`]!, w, `out.${i}`)).toBeUndefined());
  });
  it('a reached branch that calls a missing operator fails at run with the operator and its line', async () => {
    const s = await InferenceSession.create(read(reaches!.path));
    const [ok, bad] = reaches!.cases;
    const out = await s.run({ x: ok!.inputs[0] as Tensor, mode: new Tensor('int64', [0n], []) });
    expect(mismatch(out.out!, ok!.output!)).toBeUndefined();
    const e = await s.run({ x: bad!.inputs[0] as Tensor, mode: new Tensor('int64', [1n], []) }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect((e as UnsupportedOpError).ops[0]).toBe('aten::_upsample_bilinear2d_aa');
    expect((e as Error).message).toMatch(
      /^aten op not implemented: aten::_upsample_bilinear2d_aa, called at lazy_reaches_missing\/code\/__torch__\/torch\/nn\/functional(\/___torch_mangle_\d+)?\.py:\d+:\d+/,
    );
    // The session stays usable.
    expect(mismatch((await s.run({ x: ok!.inputs[0] as Tensor, mode: new Tensor('int64', [0n], []) })).out!, ok!.output!)).toBeUndefined();
  });
  it('strict refuses at create, listing every missing operator with its call site', async () => {
    const bytes = read(reaches!.path);
    const e = await InferenceSession.create(bytes, { strict: true }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnsupportedOpError);
    expect((e as Error).message).toMatch(/^TorchScript model calls \d+ operator\(s\) tessera does not implement: .*aten::_upsample_bilinear2d_aa \(lazy_reaches_missing\/code\/__torch__\/torch\/nn\/functional(\/___torch_mangle_\d+)?\.py:\d+:\d+\)/);
    expect(() => createTorchScriptSession(bytes, { strict: true })).toThrow(UnsupportedOpError);
    // allowMissingOps, the former opt-out, still loads (it overrides strict).
    expect(createTorchScriptSession(bytes, { strict: true, allowMissingOps: true }).inputNames).toEqual(['x', 'mode']);
  });
});
