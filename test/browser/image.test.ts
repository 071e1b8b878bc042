// Tensor.fromImage in Chromium (issue 13), from dist/tessera.min.mjs as a page imports it: an
// <img> element, an ImageBitmap and a URL, against onnxruntime-web's Tensor.fromImage on the same
// page and against tessera's own PNG decoder in Node. (onnxruntime-web makes an <img> an RGBA
// tensor whatever its documentation says; tessera's default is the documented RGB, so the
// comparison asks for RGBA.) toImageData() there returns a real ImageData.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/index.js';
import { encodePng } from '../helpers/png-writer.js';
import { openTestPage, root, type TestPage } from './harness.js';

const DIST = join(root, 'dist');
const W = 7;
const H = 5;
const rgb = Array.from({ length: W * H * 3 }, (_, i) => (i * 47 + ((i * i) % 11)) & 255);
const png = encodePng(W, H, 2, 8, rgb);
const dir = mkdtempSync(join(tmpdir(), 'tessera-image-page-'));
let page: Page;

let t: TestPage | undefined;

beforeAll(async () => {
  if (!existsSync(join(DIST, 'tessera.min.mjs'))) throw new Error('dist/tessera.min.mjs is missing: run npm run build (npm test does)');
  writeFileSync(join(dir, 'img.png'), png);
  t = await openTestPage({
    '/dist/tessera.min.mjs': join(DIST, 'tessera.min.mjs'),
    '/ort.min.mjs': join(root, 'node_modules/onnxruntime-web/dist/ort.min.mjs'),
    '/img.png': join(dir, 'img.png'),
  });
  ({ page } = t);
}, 120_000);

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('browser: Tensor.fromImage from dist/tessera.min.mjs', () => {
  it("an <img>, an ImageBitmap and a URL give the PNG's pixels, as onnxruntime-web reads them", async () => {
    // A string, so that vitest leaves its import() alone: the page loads the files itself.
    const got = await page.evaluate(`(async () => {
      const t = await import('/dist/tessera.min.mjs');
      const ort = await import('/ort.min.mjs');
      const img = new Image();
      img.src = '/img.png';
      await img.decode();
      const data = (x) => ({ dims: [...x.dims], data: Array.from(x.data) });
      const back = (await t.Tensor.fromImage(img)).toImageData();
      return {
        ortElement: data(await ort.Tensor.fromImage(img)),
        element: data(await t.Tensor.fromImage(img, { tensorFormat: 'RGBA' })),
        bitmap: data(await t.Tensor.fromImage(await createImageBitmap(img))),
        ortUrl: data(await ort.Tensor.fromImage('/img.png')),
        url: data(await t.Tensor.fromImage('/img.png')),
        back: { isImageData: back instanceof ImageData, data: Array.from(back.data) },
      };
    })()`) as Record<string, { dims: number[]; data: number[] }> & { back: { isImageData: boolean; data: number[] } };
    const asPlain = (x: Tensor) => ({ dims: [...x.dims], data: Array.from(x.data as Float32Array) });
    const rgba = asPlain(await Tensor.fromImage(png, { tensorFormat: 'RGBA' }));
    const plain = asPlain(await Tensor.fromImage(png));
    expect(got.ortElement).toEqual(rgba);
    expect(got.element).toEqual(rgba);
    expect(got.ortUrl).toEqual(plain);
    expect(got.url).toEqual(plain);
    expect(got.bitmap).toEqual(plain);
    expect(got.back.isImageData).toBe(true);
    expect(got.back.data).toEqual(Array.from({ length: W * H }, (_, i) => [...rgb.slice(i * 3, i * 3 + 3), 255]).flat());
  }, 60_000);
});
