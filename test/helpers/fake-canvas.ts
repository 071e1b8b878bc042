// The DOM's ImageData and a 2D OffscreenCanvas, as far as onnxruntime-web's image code
// (Tensor.fromImage on ImageData, toImageData) uses them, so that it runs in Node as a reference.
// The canvas stores pixels and copies them; it draws nothing.

import { afterAll, beforeAll } from 'vitest';

/** The DOM's ImageData, as far as onnxruntime-web's image code uses it. */
export class FakeImageData {
  readonly colorSpace = 'srgb';
  constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
}

/** A 2D canvas that stores pixels and copies them (no drawing): putImageData, getImageData, createImageData. */
export class FakeOffscreenCanvas {
  private pixels = new Uint8ClampedArray(4);
  private w = 1;
  private h = 1;
  constructor(w: number, h: number) { this.width = w; this.height = h; }
  get width(): number { return this.w; }
  set width(v: number) { this.w = v; this.pixels = new Uint8ClampedArray(this.w * this.h * 4); }
  get height(): number { return this.h; }
  set height(v: number) { this.h = v; this.pixels = new Uint8ClampedArray(this.w * this.h * 4); }
  getContext(): object {
    return {
      createImageData: (w: number, h: number) => new FakeImageData(new Uint8ClampedArray(w * h * 4), w, h),
      putImageData: (img: FakeImageData, x0: number, y0: number) => {
        for (let y = 0; y < img.height; y++) {
          for (let x = 0; x < img.width; x++) {
            if (x + x0 >= this.w || y + y0 >= this.h) continue;
            for (let c = 0; c < 4; c++) this.pixels[((y + y0) * this.w + x + x0) * 4 + c] = img.data[(y * img.width + x) * 4 + c]!;
          }
        }
      },
      getImageData: (x0: number, y0: number, w: number, h: number) => {
        const out = new Uint8ClampedArray(w * h * 4);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            if (x + x0 >= this.w || y + y0 >= this.h) continue;
            for (let c = 0; c < 4; c++) out[(y * w + x) * 4 + c] = this.pixels[((y + y0) * this.w + x + x0) * 4 + c]!;
          }
        }
        return new FakeImageData(out, w, h);
      },
    };
  }
}

/** Installs both as globals for the calling test file (removed after it). */
export function installFakeCanvas(): void {
  const g = globalThis as Record<string, unknown>;
  beforeAll(() => {
    g.ImageData = FakeImageData;
    g.OffscreenCanvas = FakeOffscreenCanvas;
  });
  afterAll(() => {
    delete g.ImageData;
    delete g.OffscreenCanvas;
  });
}
