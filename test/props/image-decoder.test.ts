// ImageDecoder: every fixture in spec-models/images (written by spec-models/image_fixtures.py) must
// decode to exactly PIL's pixels; random and mutated bytes must fail with a typed error, quickly.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PixelFormat, convertPixels } from '../../src/formats/image/color.js';
import { decodeImage } from '../../src/formats/image/decode-image.js';
import { ImageDecodeError, MAX_PIXELS } from '../../src/formats/image/image-error.js';
import { imageDecoderOps } from '../../ops/onnx/image-decoder.js';
import { type OpContext } from '../../ops/op-def.js';
import { Attrs } from '../../ops/attrs.js';
import type { Attribute } from '../../src/ir/graph.js';
import { ModelFormatError } from '../../src/errors.js';
import { parseNpy } from '../../src/formats/npy/npy.js';
import { Tensor } from '../../src/tensor.js';

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../spec-models/images');
const fixtures = readdirSync(dir).filter((f) => !f.endsWith('.npy')).sort();
const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
const npy = (f: string): Tensor => parseNpy(bytesOf(f), f);

const decoder = imageDecoderOps.find((d) => d.name === 'ImageDecoder')!;
function runOp(bytes: Uint8Array, pixelFormat?: string): Tensor {
  const map = new Map<string, Attribute>();
  if (pixelFormat) map.set('pixel_format', { type: 'string', value: pixelFormat } as unknown as Attribute);
  const attrs = decoder.parse!(new Attrs(map), {} as never);
  return decoder.run([new Tensor('uint8', bytes, [bytes.length])], attrs, {} as OpContext)[0] as Tensor;
}

/** Independent reference for BGR: reverse the last axis of PIL's RGB pixels. */
function bgrOf(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = rgb[i + 2];
    out[i + 1] = rgb[i + 1];
    out[i + 2] = rgb[i];
  }
  return out;
}

/** Decodes like the op and returns either pixels or the error; anything else is a test failure. */
function tryDecode(bytes: Uint8Array): { ok: true; w: number; h: number } | { ok: false; err: unknown } {
  try {
    const img = decodeImage(bytes);
    const out = new Uint8Array(img.width * img.height * 3);
    convertPixels(img, 'RGB' as PixelFormat, out);
    return { ok: true, w: img.width, h: img.height };
  } catch (err) {
    return { ok: false, err };
  }
}

describe('ImageDecoder matches PIL on generated fixtures', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(40));
  for (const f of fixtures) {
    it(f, () => {
      const bytes = bytesOf(f);
      const rgb = npy(`${f}.rgb.npy`);
      const gray = npy(`${f}.l.npy`);
      const [h, w] = rgb.dims;
      const outRgb = runOp(bytes);
      expect(outRgb.dims).toEqual([h, w, 3]);
      expect(Array.from(outRgb.data as Uint8Array)).toEqual(Array.from(rgb.data as Uint8Array));
      const outBgr = runOp(bytes, 'BGR');
      expect(Array.from(outBgr.data as Uint8Array)).toEqual(Array.from(bgrOf(rgb.data as Uint8Array)));
      const outGray = runOp(bytes, 'Grayscale');
      expect(outGray.dims).toEqual([h, w, 1]);
      expect(Array.from(outGray.data as Uint8Array)).toEqual(Array.from(gray.data as Uint8Array));
    });
  }
});

describe('ImageDecoder on hostile bytes', () => {
  const samples = fixtures.map(bytesOf);

  it('mutated fixtures decode or throw ImageDecodeError, fast, within the pixel limit', () => {
    fc.assert(
      fc.property(
        fc.nat(samples.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, edits, cut) => {
          const src = samples[which];
          const bytes = src.slice(0, cut === undefined ? src.length : cut % (src.length + 1));
          for (const [at, v] of edits) if (bytes.length) bytes[at % bytes.length] = v;
          const t0 = performance.now();
          const r = tryDecode(bytes);
          expect(performance.now() - t0).toBeLessThan(2000);
          if (r.ok) expect(r.w * r.h).toBeLessThanOrEqual(MAX_PIXELS);
          else expect(r.err).toBeInstanceOf(ImageDecodeError);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('random bytes behind each signature throw ImageDecodeError or decode', () => {
    const heads = [
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      [0xff, 0xd8, 0xff],
      [0x42, 0x4d],
      [0x50, 0x36, 0x0a],
      [0x50, 0x31, 0x20],
      [0x49, 0x49, 42, 0],
      [0x4d, 0x4d, 0, 42],
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x20],
      [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c],
      [0xff, 0x4f, 0xff, 0x51],
      [0, 0, 0, 12, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a],
      [],
    ];
    fc.assert(
      fc.property(fc.nat(heads.length - 1), fc.uint8Array({ maxLength: 300 }), (k, tail) => {
        const bytes = new Uint8Array([...heads[k], ...tail]);
        const r = tryDecode(bytes);
        if (!r.ok) expect(r.err).toBeInstanceOf(ImageDecodeError);
      }),
      { numRuns: 400 },
    );
  });

  it('declared sizes beyond the limit or the data are refused before allocating', () => {
    const huge = (f: string, patch: (b: Uint8Array, v: DataView) => void): unknown => {
      const b = bytesOf(f).slice();
      patch(b, new DataView(b.buffer));
      return tryDecode(b);
    };
    const cases = [
      huge('png_c2_d8_i0.png', (_, v) => { v.setUint32(16, 60000); v.setUint32(20, 60000); }),
      huge('bmp_rgb24.bmp', (_, v) => { v.setInt32(18, 40000, true); v.setInt32(22, 40000, true); }),
      huge('jpeg_420.jpg', (b) => { const i = b.findIndex((x, j) => x === 0xff && b[j + 1] === 0xc0); b[i + 5] = 0xff; b[i + 6] = 0xf0; b[i + 7] = 0xff; b[i + 8] = 0xf0; }),
      huge('tiff_rgb_raw.tif', (_, v) => { v.setUint32(8 + 2 + 8, 50000, true); v.setUint32(8 + 14 + 8, 50000, true); }),
    ];
    for (const r of cases) {
      expect(r).toMatchObject({ ok: false });
      expect((r as { err: unknown }).err).toBeInstanceOf(ImageDecodeError);
    }
  });

  it('the op reports bad bytes as ModelFormatError naming the format and offset', () => {
    expect(() => runOp(new Uint8Array([0x42, 0x4d, 1, 2]))).toThrow(ModelFormatError);
    expect(() => runOp(new Uint8Array([0x42, 0x4d, 1, 2]))).toThrow(/BMP: .* at byte \d+/);
    expect(() => runOp(new Uint8Array([1, 2, 3]))).toThrow(/unrecognised image format/);
    expect(() => runOp(new Uint8Array(0))).toThrow(ModelFormatError);
  });
});
