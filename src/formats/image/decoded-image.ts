// What every decoder returns: pixels in one of PIL's modes, so conversions match PIL exactly.

/**
 * 'L' gray, 'LA' gray+alpha, 'RGB', 'RGBA': 8-bit samples in `data`, interleaved.
 * 'I': one 32-bit-ish gray sample per pixel (PIL's 16-bit gray), stored in `data16`.
 */
export type ImageMode = 'L' | 'LA' | 'RGB' | 'RGBA' | 'I';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly mode: ImageMode;
  /** Samples for 8-bit modes (width*height*bands); empty for 'I'. */
  readonly data: Uint8Array;
  /** Samples for mode 'I' (width*height); undefined otherwise. */
  readonly data16?: Uint16Array;
}

export function modeBands(mode: ImageMode): number {
  return mode === 'L' || mode === 'I' ? 1 : mode === 'LA' ? 2 : mode === 'RGB' ? 3 : 4;
}
