// Values flowing through a graph: tensors, sequences (arrays) and optionals (null = none).

import type { Tensor } from './tensor.js';

export type Value = Tensor | readonly Value[] | null;
