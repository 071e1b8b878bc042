// Sniffs the container format from the leading bytes and dispatches to its decoder.

import { decodeBmp, isBmp } from './bmp.js';
import type { DecodedImage } from './decoded-image.js';
import { ImageDecodeError } from './image-error.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { decodeJpeg2000, isJpeg2000 } from './jpeg2000.js';
import { decodePng, isPng } from './png.js';
import { decodePnm, isPnm } from './pnm.js';
import { decodeTiff, isTiff } from './tiff.js';
import { decodeWebp, isWebp } from './webp.js';

export function decodeImage(bytes: Uint8Array): DecodedImage {
  if (isPng(bytes)) return decodePng(bytes);
  if (isJpeg(bytes)) return decodeJpeg(bytes);
  if (isJpeg2000(bytes)) return decodeJpeg2000(bytes);
  if (isTiff(bytes)) return decodeTiff(bytes);
  if (isWebp(bytes)) return decodeWebp(bytes);
  if (isBmp(bytes)) return decodeBmp(bytes);
  if (isPnm(bytes)) return decodePnm(bytes);
  throw new ImageDecodeError('image', 0, 'unrecognised image format (supported: BMP, PNM, PNG, JPEG, TIFF, WebP, JPEG 2000)');
}
