// The operator registry every session uses unless it brings custom ops: the built-in ONNX ops
// (the common families at once, the optional ones when a model names them) and whatever
// registerOp() added.

import { OPTIONAL_ONNX_FAMILIES, onnxOps } from '../../ops/onnx/index.js';
import type { OpDef } from '../../ops/op-def.js';
import { OpRegistry } from './registry.js';

const defaultRegistry = new OpRegistry(onnxOps, OPTIONAL_ONNX_FAMILIES);
const registered: OpDef[] = [];

export function defaultOpRegistry(): OpRegistry {
  return defaultRegistry;
}

/**
 * Loads every optional operator family into the default registry: for code that plans models
 * synchronously (InferenceSession.fromModel, planModel) instead of through InferenceSession.create,
 * which loads what a model needs by itself. Bundlers then fetch every family.
 */
export function loadAllOps(): Promise<void> {
  return defaultRegistry.loadAll();
}

/**
 * Registers an operator for every session created afterwards, e.g. a custom layer:
 * `registerOp({ domain: 'com.example', name: 'Swish2', since: 1, run: ([x]) => [...] })`.
 * A definition for an existing domain::name with a higher `since` takes precedence from that
 * opset on; one with the same `since` replaces the built-in one.
 */
export function registerOp(def: OpDef): void {
  registered.push(def);
  defaultRegistry.add(def);
}

/** The default registry, or a new one with `custom` ops added for one session. */
export function registryWith(custom: readonly OpDef[] | undefined): OpRegistry {
  if (!custom?.length) return defaultRegistry;
  return new OpRegistry([...onnxOps, ...registered, ...custom], OPTIONAL_ONNX_FAMILIES);
}
