// Storage versions, as PyTorch's version counter: every in-place write into a tensor's data
// array (assignInPlace, and a view written back into its base) bumps that array's version, so
// what an op derives from a tensor and keeps across calls (a packed weight, see prepared.ts) is
// rebuilt after the tensor changes. The version belongs to the data array, not the Tensor object:
// views made by view/reshape/flatten/squeeze share it, and a write through any of them counts.
// Writes made outside the aten ops (a caller's JS code setting a module parameter's data) are
// not seen; replace the Tensor instead (a new object is a new key).

const versions = new WeakMap<object, number>();

/** The version of `data`: 0 until something writes into it in place. */
export function storageVersion(data: object): number {
  return versions.get(data) ?? 0;
}

/** Records an in-place write into `data`. */
export function bumpStorageVersion(data: object): void {
  versions.set(data, (versions.get(data) ?? 0) + 1);
}
