// A minimal PNG writer for tests: images whose every pixel the test chose.

import { zlibSync } from 'fflate';

/**
 * A PNG of one IDAT, every row filtered with None, no colour chunks (color type 0 gray, 2 RGB,
 * 4 gray+alpha, 6 RGBA; `samples` as bytes, big-endian for depth 16).
 */
export function encodePng(width: number, height: number, colorType: number, depth: number, samples: number[]): Uint8Array {
  const rowBytes = samples.length / height;
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) raw.set(samples.slice(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const chunk = (type: string, body: Uint8Array): number[] => {
    const typed = [...type].map((c) => c.charCodeAt(0)).concat(Array.from(body));
    const be = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    return [...be(body.length), ...typed, ...be(crc32(typed))];
  };
  const ihdr = new Uint8Array([0, 0, 0, width, 0, 0, 0, height, depth, colorType, 0, 0, 0]);
  return new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, ...chunk('IHDR', ihdr), ...chunk('IDAT', zlibSync(raw)), ...chunk('IEND', new Uint8Array(0))]);
}

function crc32(bytes: number[]): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
