// ImageDecoder (opset 20): encoded image bytes (uint8 1-D) -> uint8 [H, W, C] pixels, decoded
// exactly as PIL does (the spec's reference): BMP, PNM (P1-P6), PNG, JPEG (baseline/progressive,
// libjpeg-turbo islow + fancy upsampling), TIFF (raw/LZW/Deflate/PackBits), WebP (VP8 lossy with
// libwebp's fancy upsampling, VP8L lossless) and JPEG 2000 (5/3 and 9/7, as OpenJPEG). Grayscale output
// is PIL's convert('L') of the decoded image. Malformed bytes raise ModelFormatError naming the
// format and byte offset; decoders refuse sizes beyond 64 Mpx or far beyond what the bytes encode.

import { InvalidNodeError, ModelFormatError, ShapeError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';
import { type PixelFormat, convertPixels } from '../../src/formats/image/color.js';
import { decodeImage } from '../../src/formats/image/decode-image.js';
import { ImageDecodeError } from '../../src/formats/image/image-error.js';
import { tensorType } from '../infer-helpers.js';
import { type Attrs, type OpDef, op } from '../op-def.js';

interface ImageDecoderAttrs {
  readonly pixelFormat: PixelFormat;
}

const FORMATS: readonly PixelFormat[] = ['RGB', 'BGR', 'Grayscale'];

export const imageDecoderOps: OpDef[] = [
  op<ImageDecoderAttrs>({
    name: 'ImageDecoder',
    since: 20,
    parse: (a: Attrs) => {
      const pixelFormat = a.string('pixel_format', 'RGB') as PixelFormat;
      if (!FORMATS.includes(pixelFormat)) {
        throw new InvalidNodeError(`ImageDecoder: pixel_format '${pixelFormat}' is not one of RGB, BGR, Grayscale`);
      }
      return Object.freeze({ pixelFormat });
    },
    run: (inputs, attrs) => {
      const input = inputs[0];
      if (!input || input.type !== 'uint8' || input.dims.length !== 1) {
        throw new ShapeError(
          `ImageDecoder: encoded_stream must be a 1-D uint8 tensor, got ${input ? `${input.type} [${input.dims.join(', ')}]` : 'nothing'}`,
        );
      }
      let img;
      try {
        img = decodeImage(input.data as Uint8Array);
      } catch (e) {
        if (e instanceof ImageDecodeError) throw new ModelFormatError(`ImageDecoder: ${e.message}`, { cause: e });
        throw e;
      }
      const channels = attrs.pixelFormat === 'Grayscale' ? 1 : 3;
      const out = new Uint8Array(img.width * img.height * channels);
      convertPixels(img, attrs.pixelFormat, out);
      return [new Tensor('uint8', out, [img.height, img.width, channels])];
    },
    infer: (_inputs, attrs, ctx) => [
      tensorType('uint8', [ctx.dataDim('height'), ctx.dataDim('width'), attrs.pixelFormat === 'Grayscale' ? 1 : 3]),
    ],
  }),
];
