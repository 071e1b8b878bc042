// The 'webgl' provider where it cannot run (src/runtime/backend.ts, src/runtime/webgl.ts): in Node
// gpu.js is installed (a dev dependency) but finds neither WebGL2 nor headless-gl (the optional
// `gl` package is not built here), so 'webgl' is skipped like a provider tessera does not run,
// and alone it is a BackendUnavailableError saying why. The browser tests run it for real.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, InferenceSession, InvalidArgumentError } from '../../src/node.js';

const model = () => new Uint8Array(readFileSync(join(import.meta.dirname, '..', '..', 'spec-models', 'digits', 'digits_cnn_opset17.onnx')));

let glBuilt = true;
try {
  await import('gl' as string);
} catch {
  glBuilt = false;
}

/** A stand-in for gpu.js's GPU class on a host with WebGL2 but no float32 render targets. */
class NoFloatGPU {
  static readonly isWebGL2Supported = true;
  static readonly isHeadlessGLSupported = false;
  static readonly isSinglePrecisionSupported = false;
  createKernel(): never {
    throw new Error('not a GPU');
  }
  destroy(): void {}
}

describe.skipIf(glBuilt)('webgl provider without WebGL (Node, no headless-gl)', () => {
  it("skips 'webgl' (and its aliases) before 'cpu', as onnxruntime-web skips a provider it lacks", async () => {
    for (const name of ['webgl', 'gpu', 'gpu.js']) {
      const s = await InferenceSession.create(model(), { executionProviders: [name, 'cpu'] });
      expect(s.backend).toBe('cpu');
      expect(s.webgl).toBeUndefined();
    }
  });

  it("refuses ['webgl'] alone with a BackendUnavailableError that says why", async () => {
    const e = await InferenceSession.create(model(), { executionProviders: ['webgl'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendUnavailableError);
    expect((e as BackendUnavailableError).code).toBe('BACKEND_UNAVAILABLE');
    expect((e as BackendUnavailableError).skipped).toEqual([{ name: 'webgl', reason: expect.stringMatching(/no WebGL2 .*headless-gl/) }]);
    expect((e as Error).message).toMatch(/InferenceSession.create: none of the execution providers can run here: webgl \(gpu\.js finds no WebGL2/);
  });

  it('refuses a device without float32 render targets (precision single) by name', async () => {
    const e = await InferenceSession.create(model(), { executionProviders: [{ name: 'webgl', GPU: NoFloatGPU } as { name: string }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BackendUnavailableError);
    expect((e as Error).message).toMatch(/cannot render to float32 textures .*precision single/);
  });

  it('refuses webgl in a worker: true session, saying so', async () => {
    await expect(InferenceSession.create(model(), { worker: true, executionProviders: ['webgl', 'cpu'] }))
      .rejects.toThrow(/'webgl' provider does not run in a worker: true session/);
  });

  it('refuses provider options that are not what they should be', async () => {
    await expect(InferenceSession.create(model(), { executionProviders: [{ name: 'webgl', GPU: 42 } as { name: string }] }))
      .rejects.toThrow(InvalidArgumentError);
    await expect(InferenceSession.create(model(), { executionProviders: [{ name: 'webgl', minMultiplyAdds: -1 } as { name: string }] }))
      .rejects.toThrow(/minMultiplyAdds must be a number >= 0/);
    await expect(InferenceSession.create(model(), { executionProviders: [{ name: 'webgl', minElements: Number.NaN } as { name: string }] }))
      .rejects.toThrow(/minElements must be a number >= 0, got NaN/);
  });
});

describe('gpu.js stays out of the core bundle', () => {
  it('bundling src/index.ts (esbuild, browser) pulls in none of gpu.js: it is imported at run time by a specifier bundlers leave alone', async () => {
    const { build } = await import('esbuild');
    const out = await build({ entryPoints: [join(import.meta.dirname, '..', '..', 'src', 'index.ts')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const text = out.outputFiles[0]!.text;
    // gpu.js's own classes and its parser (acorn) would be there if it were bundled.
    for (const inside of ['WebGL2Kernel', 'HeadlessGLKernel', 'acorn']) expect(text.includes(inside), inside).toBe(false);
    // (esbuild prints module specifiers with double quotes; tessera's messages quote 'gpu.js' singly.)
    expect(text).not.toMatch(/import\("gpu\.js"\)|require\("gpu\.js"\)|from "gpu\.js"/);
  });
});
