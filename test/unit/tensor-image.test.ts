// Tensor.fromImage() and tensor.toImageData() (issue 13), against references:
// - onnxruntime-web's own Tensor.fromImage / toImageData on ImageData, run here in Node with an
//   ImageData class and a 2D canvas that only copies pixels (all its image paths need);
// - the ONNX backend suite's ImageDecoder cases (PIL's decoded pixels) for encoded bytes;
// - onnxruntime-node's Resize (linear, half_pixel, antialias) for resizedWidth/resizedHeight.
// Where onnxruntime-web 1.30 departs from its documentation (resize crops, NHWC throws, BGR is
// read as RGB by toImageData), tessera follows the documentation and the tests say so.

import fc from 'fast-check';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ResourceLimitError, Tensor } from '../../src/index.js';
import { caseFile, decodeValue } from '../conformance/backend-suite.js';
import { FakeImageData, installFakeCanvas } from '../helpers/fake-canvas.js';
import { writeModel } from '../helpers/onnx-writer.js';
import { encodePng } from '../helpers/png-writer.js';

installFakeCanvas();
const g = globalThis as Record<string, unknown>;

const image = (w: number, h: number, seed: number): FakeImageData => {
  const d = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37 + seed * 101 + ((i * i) % 13)) & 255;
  return new FakeImageData(d, w, h);
};

type Options = Parameters<typeof Tensor.fromImage>[1];
const FORMATS = ['RGB', 'RGBA', 'BGR', 'RBG'] as const;
const NORMS = [
  undefined,
  { mean: 127.5, bias: -127.5 },
  { mean: [58.4, 57.1, 57.4], bias: [-123.7, -116.3, -103.5] },
  { mean: [2, 3, 4, 5], bias: [1, 2, 3, 4] },
];

describe("Tensor.fromImage(ImageData) equals onnxruntime-web's", () => {
  it('without options: a [1, 3, H, W] float32 tensor of pixel / 255', async () => {
    const img = image(5, 3, 1);
    const want = await ortWeb.Tensor.fromImage(img as unknown as ImageData);
    const got = await Tensor.fromImage(img);
    expect(got.type).toBe('float32');
    expect(got.dims).toEqual([1, 3, 3, 5]);
    expect(got.dims).toEqual(want.dims);
    expect(got.data).toEqual(want.data);
  });

  it('every tensorFormat and norm, at any size (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom(...FORMATS), fc.constantFrom(...NORMS),
      async (w, h, seed, tensorFormat, norm) => {
        const img = image(w, h, seed);
        // onnxruntime-web writes into the options object it is given: each gets its own.
        const opts = (): Options => ({ tensorFormat, ...(norm ? { norm: structuredClone(norm) } : {}) }) as Options;
        const want = await ortWeb.Tensor.fromImage(img as unknown as ImageData, opts() as never);
        const got = await Tensor.fromImage(img, opts());
        expect(got.dims).toEqual(want.dims);
        expect(got.data).toEqual(want.data);
      },
    ), { numRuns: 60 });
  });

  it("tensorLayout 'NHWC' (onnxruntime-web throws) is the NCHW tensor transposed", async () => {
    const img = image(4, 3, 7);
    await expect(ortWeb.Tensor.fromImage(img as unknown as ImageData, { tensorLayout: 'NHWC' })).rejects.toThrow(/NHWC/);
    const nchw = await Tensor.fromImage(img, { tensorFormat: 'BGR' });
    const nhwc = await Tensor.fromImage(img, { tensorFormat: 'BGR', tensorLayout: 'NHWC' });
    expect(nhwc.dims).toEqual([1, 3, 4, 3]);
    const a = nchw.data as Float32Array;
    const b = nhwc.data as Float32Array;
    for (let c = 0; c < 3; c++) for (let i = 0; i < 12; i++) expect(b[i * 3 + c]).toBe(a[c * 12 + i]);
  });

  it("dataType 'uint8' holds the pixel bytes; norm with it is refused", async () => {
    const img = image(3, 2, 3);
    const t = await Tensor.fromImage(img, { dataType: 'uint8', tensorFormat: 'RGBA', tensorLayout: 'NHWC' });
    expect(t.type).toBe('uint8');
    expect(t.dims).toEqual([1, 2, 3, 4]);
    expect(Array.from(t.data as Uint8Array)).toEqual(Array.from(img.data));
    // and back: a uint8 tensor's values are the pixels (default mean 1, not 255)
    expect(Array.from(t.toImageData({ format: 'RGBA', tensorLayout: 'NHWC' }).data)).toEqual(Array.from(img.data));
    await expect(Tensor.fromImage(img, { dataType: 'uint8', norm: { mean: 1 } })).rejects.toThrow(/norm applies to float32 tensors/);
  });

  it('a norm with only bias or only mean keeps the other default (onnxruntime-web needs both)', async () => {
    const img = image(2, 1, 5);
    const t = await Tensor.fromImage(img, { norm: { bias: 10 } });
    expect(t.data).toEqual(new Float32Array([0, 1, 2].flatMap((c) => [0, 1].map((i) => (img.data[i * 4 + c]! + 10) / 255))));
    const u = await Tensor.fromImage(img, { norm: { mean: [1, 2, 4] } });
    expect(u.data).toEqual(new Float32Array([0, 1, 2].flatMap((c) => [0, 1].map((i) => img.data[i * 4 + c]! / 2 ** c))));
  });

  it('a plain { data, width, height } object works like ImageData', async () => {
    const img = image(2, 2, 9);
    const plain = { data: new Uint8Array(img.data), width: 2, height: 2 };
    expect((await Tensor.fromImage(plain)).data).toEqual((await Tensor.fromImage(img)).data);
  });
});

describe("tensor.toImageData() equals onnxruntime-web's", () => {
  const tensorOf = (c: number, h: number, w: number, seed: number): Float32Array => {
    const d = new Float32Array(c * h * w);
    // values around [0, 1] and beyond it (clamped), some on half-byte boundaries (rounded half to even)
    for (let i = 0; i < d.length; i++) d[i] = ((i * 53 + seed * 17) % 300) / 255 - 0.05 + (i % 5 === 0 ? 0.5 / 255 : 0);
    return d;
  };

  // (onnxruntime-web's toImageData refuses 'RBG' for 3 channels, and a norm missing mean or bias.)
  it('RGB and RGBA tensors, with and without norm (property)', async () => {
    await fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom('RGB', 'RGBA'), fc.constantFrom(...NORMS.slice(0, 3)),
      (w, h, seed, format, norm) => {
        const c = format === 'RGBA' ? 4 : 3;
        const data = tensorOf(c, h, w, seed);
        const opts = { format, ...(norm ? { norm: structuredClone(norm) } : {}) } as const;
        const want = new ortWeb.Tensor('float32', data, [1, c, h, w]).toImageData(opts as never);
        const got = new Tensor('float32', data, [1, c, h, w]).toImageData(opts as never);
        expect(got).toBeInstanceOf(FakeImageData); // a real ImageData where the host has the class
        expect([got.width, got.height]).toEqual([want.width, want.height]);
        expect(Array.from(got.data)).toEqual(Array.from(want.data));
      },
    ), { numRuns: 60 });
  });

  it('no options: an RGB tensor, alpha 255', () => {
    const data = tensorOf(3, 2, 3, 5);
    const want = new ortWeb.Tensor('float32', data, [1, 3, 2, 3]).toImageData();
    const got = new Tensor('float32', data, [1, 3, 2, 3]).toImageData();
    expect(Array.from(got.data)).toEqual(Array.from(want.data));
  });

  it("'BGR' and 'NHWC' are read as named (onnxruntime-web reads both as planar RGB)", async () => {
    const img = image(3, 2, 11);
    for (const tensorLayout of ['NCHW', 'NHWC'] as const) {
      const t = await Tensor.fromImage(img, { tensorFormat: 'BGR', tensorLayout });
      const back = t.toImageData({ format: 'BGR', tensorLayout });
      for (let i = 0; i < 6; i++) {
        expect(Array.from(back.data.subarray(i * 4, i * 4 + 3))).toEqual(Array.from(img.data.subarray(i * 4, i * 4 + 3)));
        expect(back.data[i * 4 + 3]).toBe(255);
      }
    }
  });

  it('without an ImageData class, a plain object of the same shape', () => {
    delete g.ImageData;
    try {
      const out = new Tensor('float32', new Float32Array(12), [1, 4, 1, 3]).toImageData({ format: 'RGBA' });
      expect(out).toEqual({ data: new Uint8ClampedArray(12), width: 3, height: 1, colorSpace: 'srgb' });
    } finally {
      g.ImageData = FakeImageData;
    }
  });

  it('refuses tensors that are not one image, naming what is wrong', () => {
    expect(() => new Tensor('float32', new Float32Array(6), [2, 3]).toImageData()).toThrow(/expected a tensor of dims \[1, C, H, W\].*got \[2, 3\]/);
    expect(() => new Tensor('float32', new Float32Array(6), [1, 3, 1, 2]).toImageData({ format: 'RGBA' })).toThrow(/format 'RGBA' needs 4 channels, the tensor \(NCHW\) has 3/);
    expect(() => new Tensor('float32', new Float32Array(6), [1, 3, 1, 2]).toImageData({ tensorLayout: 'CHW' as never })).toThrow(InvalidArgumentError);
    expect(() => new Tensor('int64', [1, 2, 3], [1, 3, 1, 1]).toImageData()).toThrow(/a int64 tensor holds no pixel values/);
  });
});

/** The image bytes and PIL's decoded [H, W, C] pixels of an ONNX backend ImageDecoder case. */
function decoderCase(name: string): { bytes: Uint8Array; pixels: Tensor } {
  const read = (f: string) => caseFile('node', name, `test_data_set_0/${f}`)!;
  const bytes = decodeValue(read('input_0.pb'), undefined, 'input') as Tensor;
  const pixels = decodeValue(read('output_0.pb'), undefined, 'output') as Tensor;
  return { bytes: bytes.data as Uint8Array, pixels };
}

describe('Tensor.fromImage(encoded bytes or a URL) against PIL (the ONNX suite)', () => {
  for (const name of ['test_image_decoder_decode_png_rgb', 'test_image_decoder_decode_jpeg_rgb', 'test_image_decoder_decode_bmp_rgb']) {
    it(name.replace('test_image_decoder_decode_', ''), async () => {
      const { bytes, pixels } = decoderCase(name);
      const [h, w] = pixels.dims as [number, number, number];
      const t = await Tensor.fromImage(bytes, { dataType: 'uint8', tensorLayout: 'NHWC' });
      expect(t.dims).toEqual([1, h, w, 3]);
      expect(t.data).toEqual(pixels.data);
      // as an ArrayBuffer and a Blob too
      expect((await Tensor.fromImage(bytes.slice().buffer, { dataType: 'uint8', tensorLayout: 'NHWC' })).data).toEqual(pixels.data);
      expect((await Tensor.fromImage(new Blob([bytes.slice()]), { dataType: 'uint8', tensorLayout: 'NHWC' })).data).toEqual(pixels.data);
    });
  }

  it('a data: URL is fetched and decoded', async () => {
    const { bytes, pixels } = decoderCase('test_image_decoder_decode_png_rgb');
    const url = `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
    const t = await Tensor.fromImage(url, { dataType: 'uint8', tensorLayout: 'NHWC' });
    expect(t.data).toEqual(pixels.data);
    expect((await Tensor.fromImage(new URL(url), { dataType: 'uint8', tensorLayout: 'NHWC' })).data).toEqual(pixels.data);
  });

  it('gray, gray+alpha and 16-bit gray PNGs become RGBA as a browser draws them', async () => {
    const gray = [0, 17, 128, 255, 3, 200];
    const rgba = (v: number[], a?: number[]) => v.flatMap((x, i) => [x, x, x, a ? a[i]! : 255]);
    const asRgba = async (png: Uint8Array) =>
      Array.from((await Tensor.fromImage(png, { dataType: 'uint8', tensorFormat: 'RGBA', tensorLayout: 'NHWC' })).data as Uint8Array);
    expect(await asRgba(encodePng(3, 2, 0, 8, gray))).toEqual(rgba(gray));
    const alpha = [255, 0, 9, 100, 254, 1];
    expect(await asRgba(encodePng(3, 2, 4, 8, gray.flatMap((v, i) => [v, alpha[i]!])))).toEqual(rgba(gray, alpha));
    const wide = [0, 0x1234, 0xffff, 0x00ff, 0x8000, 0x7fff];
    expect(await asRgba(encodePng(3, 2, 0, 16, wide.flatMap((v) => [v >> 8, v & 255])))).toEqual(rgba(wide.map((v) => v >> 8)));
  });

  it('bytes that are no image, bad URLs and bad options are typed errors naming the problem', async () => {
    await expect(Tensor.fromImage(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/unrecognised image format/);
    await expect(Tensor.fromImage('not a url')).rejects.toThrow(/Tensor\.fromImage: image 'not a url' could not be fetched/);
    await expect(Tensor.fromImage({ data: new Uint8ClampedArray(7), width: 2, height: 1 })).rejects.toThrow(/2x1 pixels needs 8 bytes \(RGBA\), got 7/);
    await expect(Tensor.fromImage({ data: new Float32Array(8), width: 2, height: 1 } as never)).rejects.toThrow(/Uint8ClampedArray or Uint8Array/);
    const img = image(2, 2, 0);
    await expect(Tensor.fromImage(img, { tensorFormat: 'GRAY' as never })).rejects.toThrow(/options\.tensorFormat must be 'RGB', 'RGBA', 'BGR' or 'RBG', got "GRAY"/);
    await expect(Tensor.fromImage(img, { resizedWidth: 0 })).rejects.toThrow(/options\.resizedWidth must be a positive integer, got 0/);
    // refused before anything that size is allocated
    await expect(Tensor.fromImage(img, { resizedWidth: 1e5, resizedHeight: 1e5 })).rejects.toThrow(ResourceLimitError);
    await expect(Tensor.fromImage(img, { resizedWidth: 1e5, resizedHeight: 1e5 })).rejects.toThrow(/a 3x100000x100000 tensor \(resized from 2x2\).*maxTensorElements/);
    await expect(Tensor.fromImage(img, { norm: { mean: [1, 2] } as never })).rejects.toThrow(/options\.norm\.mean must be a finite number or an array of 3 or 4/);
    await expect(Tensor.fromImage(img, { dataType: 'float16' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(Tensor.fromImage({ width: 2, height: 2 } as never)).rejects.toThrow(/needs a 2D canvas|getContext|drawImage/);
  });
});

describe('resizedWidth / resizedHeight resize (onnxruntime-web 1.30 crops instead)', () => {
  /** onnxruntime-node's Resize (linear, half_pixel, antialias=1) of the image's RGBA planes. */
  async function ortResize(img: FakeImageData, w: number, h: number): Promise<Float32Array> {
    const ortNode = await import('onnxruntime-node');
    const model = writeModel({
      opsets: [['', 18]],
      graph: {
        nodes: [{
          op: 'Resize', inputs: ['x', '', '', 'sizes'], outputs: ['y'],
          attrs: [{ name: 'mode', s: 'linear' }, { name: 'coordinate_transformation_mode', s: 'half_pixel' }, { name: 'antialias', i: 1 }],
        }],
        inputs: [{ name: 'x', elemType: 1, shape: [1, 4, img.height, img.width] }],
        outputs: [{ name: 'y', elemType: 1, shape: [1, 4, h, w] }],
        initializers: [{ name: 'sizes', dataType: 7, dims: [4], int64s: [1n, 4n, BigInt(h), BigInt(w)] }],
      },
    });
    const planes = new Float32Array(4 * img.width * img.height);
    const n = img.width * img.height;
    for (let i = 0; i < n; i++) for (let c = 0; c < 4; c++) planes[c * n + i] = img.data[i * 4 + c]!;
    const s = await ortNode.InferenceSession.create(model);
    const out = await s.run({ x: new ortNode.Tensor('float32', planes, [1, 4, img.height, img.width]) });
    return out.y!.data as Float32Array;
  }

  it('up and down, in each direction, match onnxruntime-node Resize to float32 rounding', async () => {
    const img = image(7, 5, 4);
    for (const [w, h] of [[3, 2], [14, 11], [7, 2], [20, 5], [1, 1]] as const) {
      const want = await ortResize(img, w, h);
      const got = await Tensor.fromImage(img, { resizedWidth: w, resizedHeight: h, tensorFormat: 'RGBA', norm: { mean: 1 } });
      expect(got.dims).toEqual([1, 4, h, w]);
      const d = got.data as Float32Array;
      for (let i = 0; i < want.length; i++) expect(Math.abs(d[i]! - want[i]!), `${w}x${h} at ${i}`).toBeLessThan(2e-3);
    }
  });

  it('onnxruntime-web crops where the documentation says resized', async () => {
    const img = image(4, 4, 2);
    const cropped = await ortWeb.Tensor.fromImage(img as unknown as ImageData, { resizedWidth: 2, resizedHeight: 2 });
    const topLeft = await Tensor.fromImage(new FakeImageData(
      new Uint8ClampedArray([...img.data.subarray(0, 8), ...img.data.subarray(16, 24)]), 2, 2,
    ));
    expect(cropped.data).toEqual(topLeft.data);
    const resized = await Tensor.fromImage(img, { resizedWidth: 2, resizedHeight: 2 });
    expect(resized.dims).toEqual([1, 3, 2, 2]);
    expect(resized.data).not.toEqual(topLeft.data);
  });

  it('one of the two keeps the other side; uint8 output rounds the resized values', async () => {
    const img = image(6, 4, 8);
    const t = await Tensor.fromImage(img, { resizedWidth: 3 });
    expect(t.dims).toEqual([1, 3, 4, 3]);
    const f = await Tensor.fromImage(img, { resizedHeight: 9, resizedWidth: 5, norm: { mean: 1 } });
    const u = await Tensor.fromImage(img, { resizedHeight: 9, resizedWidth: 5, dataType: 'uint8' });
    const fd = f.data as Float32Array;
    // (the float32 tensor is rounded once more than the bytes were)
    (u.data as Uint8Array).forEach((v, i) => expect(Math.abs(v - fd[i]!)).toBeLessThanOrEqual(0.5 + 1e-4));
  });
});
