// Values flowing through a graph: tensors, sequences (arrays), optionals (null = none) and
// maps (ONNX map(K, V), e.g. ZipMap's per-row {label: probability}).

import type { Tensor } from './tensor.js';

export type MapKey = string | bigint;

export type Value = Tensor | readonly Value[] | null | ReadonlyMap<MapKey, Value | number>;
