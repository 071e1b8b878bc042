// Runtime checks of values against TorchScript types (isinstance, Optional/Union refinement).

import { TsDevice, TsObject, TsTuple, type TsValue } from '../../../ops/aten/aten-op.js';
import { Tensor } from '../../tensor.js';
import type { TypeExpr } from '../../ir/torchscript-ast.js';

/**
 * Runtime check of a value against a TorchScript type (isinstance, Union refinement).
 * `classMatches` decides class types (it knows interfaces and the archive's class names).
 */
export function matchesType(v: TsValue, t: TypeExpr, classMatches: (obj: TsObject, name: string) => boolean): boolean {
  const m = (x: TsValue, ty: TypeExpr): boolean => matchesType(x, ty, classMatches);
  switch (t.name) {
    case 'Any': return true;
    case 'int': return typeof v === 'bigint';
    case 'float': return typeof v === 'number';
    case 'bool': return typeof v === 'boolean';
    case 'str': return typeof v === 'string';
    case 'complex': return false;
    case 'number': case 'Scalar': return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
    case 'NoneType': case 'None': return v === null;
    case 'Tensor': return v instanceof Tensor;
    case 'Device': return v instanceof TsDevice;
    case 'Optional': return v === null || m(v, t.args[0]!);
    case 'Union': return t.args.some((a) => m(v, a));
    // Python's builtin classes, as code written `isinstance(x, list)` for a Union serializes them.
    case 'list': return Array.isArray(v);
    case 'tuple': return v instanceof TsTuple;
    case 'List': return Array.isArray(v) && (!t.args[0] || v.every((x) => m(x, t.args[0]!)));
    case 'Tuple': return v instanceof TsTuple && (t.args.length === 0 ? v.items.length === 0 : v.items.length === t.args.length && v.items.every((x, i) => m(x, t.args[i]!)));
    case 'Dict': return v instanceof Map && [...v].every(([k, x]) => (!t.args[0] || m(k, t.args[0])) && (!t.args[1] || m(x, t.args[1])));
    default:
      if (v instanceof TsObject) return classMatches(v, t.name);
      if (v instanceof TsTuple) return v.typeName === t.name;
      return false;
  }
}

