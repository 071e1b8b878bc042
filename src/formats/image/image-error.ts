// The error every image decoder throws: names the format and the byte offset of the bad part.

/** Malformed or unsupported encoded image bytes; `format` and `offset` say where. */
export class ImageDecodeError extends Error {
  readonly code = 'MODEL_FORMAT';
  constructor(
    readonly format: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${format}: ${detail} at byte ${offset}`);
    this.name = 'ImageDecodeError';
  }
}

/** Largest pixel count any decoder will allocate for (64 Mpx, ~192 MB as RGB). */
export const MAX_PIXELS = 1 << 26;

/** Throws unless width x height is a positive size within MAX_PIXELS. */
export function checkDimensions(format: string, offset: number, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError(format, offset, `invalid image size ${width}x${height}`);
  }
  if (width * height > MAX_PIXELS) {
    throw new ImageDecodeError(format, offset, `image size ${width}x${height} exceeds the ${MAX_PIXELS}-pixel limit`);
  }
}
