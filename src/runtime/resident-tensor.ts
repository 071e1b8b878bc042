// A float32 value a 'webgl' session computed on the GPU (src/runtime/webgl.ts), apart from the
// provider so that the executor can recognise one without loading the provider, which loads
// only when a session asks for webgl.

import type { GpuJsTexture } from '../../kernels/gpujs/device.js';
import { shapeSize } from '../../kernels/strides.js';
import { InvalidArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { WebGLProducts } from './webgl.js';

const EMPTY = new Float32Array(0);

/** A texture a kernel wrote and, once read back, its values: shared by a value and its reshapes. */
export class GpuBuffer {
  values: Float32Array | null = null;
  constructor(public texture: GpuJsTexture | null, readonly size: number) {}
}

/** A float32 value in a texture of the provider's; `data` reads it back on first access. */
export class ResidentTensor extends Tensor {
  constructor(readonly owner: WebGLProducts, readonly buffer: GpuBuffer, dims: readonly number[]) {
    super('float32', EMPTY, [0]);
    Object.defineProperty(this, 'dims', { value: Object.freeze([...dims]) });
    Object.defineProperty(this, 'data', { get: () => this.read(), enumerable: true, configurable: true });
  }

  /** The texture holding the values; null once its kernel wrote it again or the run ended. */
  get texture(): GpuJsTexture | null {
    return this.buffer.texture;
  }

  /** Whether `data` has been read back (then reading it again is free). */
  get onCpu(): boolean {
    return this.buffer.values !== null;
  }

  /** The values, read back from the texture the first time. */
  read(): Float32Array {
    return this.owner.readBack(this.buffer);
  }

  /** The same texture (and values, once read) with other dims: Reshape, Flatten, (Un)Squeeze stay on the GPU. */
  override reshape(dims: readonly number[]): Tensor {
    if (shapeSize(dims) !== this.size) {
      throw new InvalidArgumentError(`Tensor.reshape: a GPU value of ${this.size} element(s) cannot take dims [${dims.join(', ')}]`);
    }
    return new ResidentTensor(this.owner, this.buffer, dims);
  }

  /** Whether `v` is this value or a reshape of it (the same texture). */
  sharesBuffer(v: unknown): boolean {
    return v instanceof ResidentTensor && v.buffer === this.buffer;
  }
}
