// A float32 value a 'webgl' session computed on the GPU (src/runtime/webgl.ts), apart from the
// provider so that the executor can recognise one without loading the provider, which loads
// only when a session asks for webgl.

import type { GpuJsTexture } from '../../kernels/gpujs/device.js';
import { ExecutionError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { WebGLProducts } from './webgl.js';

const EMPTY = new Float32Array(0);

/** A float32 value in a texture of the provider's; `data` reads it back on first access. */
export class ResidentTensor extends Tensor {
  /** The texture holding the values; null once its kernel wrote it again or the run ended. */
  texture: GpuJsTexture | null;
  private values: Float32Array | null = null;

  constructor(readonly owner: WebGLProducts, texture: GpuJsTexture, dims: readonly number[]) {
    super('float32', EMPTY, [0]);
    this.texture = texture;
    Object.defineProperty(this, 'dims', { value: Object.freeze([...dims]) });
    Object.defineProperty(this, 'data', { get: () => this.read(), enumerable: true, configurable: true });
  }

  /** Whether `data` has been read back (then reading it again is free). */
  get onCpu(): boolean {
    return this.values !== null;
  }

  /** The values, read back from the texture the first time. */
  read(): Float32Array {
    if (this.values === null) {
      if (this.texture === null) throw new ExecutionError('webgl: a GPU value was read after its run ended (tessera bug: graph outputs are read when a run ends)');
      this.values = this.owner.device.read(this.texture, this.size);
    }
    return this.values;
  }
}
