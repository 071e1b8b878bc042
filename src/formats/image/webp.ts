// WebP container (RIFF 'WEBP'): simple lossy ('VP8 '), lossless ('VP8L') and extended ('VP8X')
// files. Alpha ('ALPH') is not needed for RGB / grayscale output and is skipped.

import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError, checkDimensions } from './image-error.js';
import { decodeVp8 } from './webp-vp8.js';
import { decodeVp8l } from './webp-vp8l.js';
import { yuvToRgb } from './webp-yuv.js';

const F = 'WebP';

export function isWebp(b: Uint8Array): boolean {
  return b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
    b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50;
}

export function decodeWebp(b: Uint8Array): DecodedImage {
  if (!isWebp(b)) throw new ImageDecodeError(F, 0, 'missing RIFF/WEBP signature');
  const riffEnd = Math.min(b.length, 8 + ((b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0));
  let p = 12;
  let canvas: [number, number] | undefined;
  const size = (at: number) => (w: number, h: number): void => {
    checkDimensions(F, at, w, h);
    if (canvas && (canvas[0] !== w || canvas[1] !== h)) {
      throw new ImageDecodeError(F, at, `frame ${w}x${h} differs from the VP8X canvas ${canvas[0]}x${canvas[1]}`);
    }
  };
  while (p + 8 <= riffEnd) {
    const tag = String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);
    const len = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    const body = p + 8;
    const end = body + len;
    if (end > b.length) throw new ImageDecodeError(F, p, `chunk '${tag}' (${len} bytes) runs past the end of data`);
    if (tag === 'VP8X') {
      if (len < 10) throw new ImageDecodeError(F, p, 'VP8X chunk too short');
      if (b[body] & 2) throw new ImageDecodeError(F, body, 'animated WebP is not supported');
      const w = 1 + (b[body + 4] | (b[body + 5] << 8) | (b[body + 6] << 16));
      const h = 1 + (b[body + 7] | (b[body + 8] << 8) | (b[body + 9] << 16));
      checkDimensions(F, body + 4, w, h);
      canvas = [w, h];
    } else if (tag === 'VP8 ') {
      const yuv = decodeVp8(b, body, end, size(body));
      const out = new Uint8Array(yuv.width * yuv.height * 3);
      yuvToRgb(yuv, out);
      return { width: yuv.width, height: yuv.height, mode: 'RGB', data: out };
    } else if (tag === 'VP8L') {
      return decodeVp8l(b, body, end, size(body));
    }
    p = end + (len & 1);
  }
  throw new ImageDecodeError(F, p, "no 'VP8 ' or 'VP8L' image chunk");
}
