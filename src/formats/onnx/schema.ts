// The ONNX protobuf schema as data, written from the spec's field numbers
// (onnx.proto3 / onnx-data.proto3). Decoded by wire.ts; no code generation.

export type Scalar = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';
export interface FieldSpec {
  readonly name: string;
  readonly kind: Scalar | { readonly message: MessageName };
  readonly repeated?: boolean;
}
export type MessageName =
  | 'ModelProto' | 'GraphProto' | 'NodeProto' | 'AttributeProto' | 'TensorProto' | 'TensorSegment'
  | 'SparseTensorProto' | 'ValueInfoProto' | 'TypeProto' | 'TypeProtoTensor' | 'TypeProtoSequence'
  | 'TypeProtoMap' | 'TypeProtoOptional' | 'TypeProtoOpaque' | 'TensorShapeProto' | 'Dimension'
  | 'OperatorSetIdProto' | 'StringStringEntryProto' | 'FunctionProto' | 'SequenceProto' | 'MapProto'
  | 'OptionalProto';

const f = (name: string, kind: FieldSpec['kind'], repeated = false): FieldSpec => ({ name, kind, repeated });
const m = (message: MessageName): { message: MessageName } => ({ message });

export const SCHEMA: Readonly<Record<MessageName, Readonly<Record<number, FieldSpec>>>> = {
  ModelProto: {
    1: f('ir_version', 'int64'), 8: f('opset_import', m('OperatorSetIdProto'), true),
    2: f('producer_name', 'string'), 3: f('producer_version', 'string'), 4: f('domain', 'string'),
    5: f('model_version', 'int64'), 6: f('doc_string', 'string'), 7: f('graph', m('GraphProto')),
    14: f('metadata_props', m('StringStringEntryProto'), true),
    25: f('functions', m('FunctionProto'), true),
  },
  GraphProto: {
    1: f('node', m('NodeProto'), true), 2: f('name', 'string'),
    5: f('initializer', m('TensorProto'), true), 15: f('sparse_initializer', m('SparseTensorProto'), true),
    10: f('doc_string', 'string'), 11: f('input', m('ValueInfoProto'), true),
    12: f('output', m('ValueInfoProto'), true), 13: f('value_info', m('ValueInfoProto'), true),
  },
  NodeProto: {
    1: f('input', 'string', true), 2: f('output', 'string', true), 3: f('name', 'string'),
    4: f('op_type', 'string'), 7: f('domain', 'string'), 8: f('overload', 'string'),
    5: f('attribute', m('AttributeProto'), true), 6: f('doc_string', 'string'),
  },
  AttributeProto: {
    1: f('name', 'string'), 21: f('ref_attr_name', 'string'), 13: f('doc_string', 'string'),
    20: f('type', 'int32'), 2: f('f', 'float'), 3: f('i', 'int64'), 4: f('s', 'bytes'),
    5: f('t', m('TensorProto')), 6: f('g', m('GraphProto')), 22: f('sparse_tensor', m('SparseTensorProto')),
    14: f('tp', m('TypeProto')), 7: f('floats', 'float', true), 8: f('ints', 'int64', true),
    9: f('strings', 'bytes', true), 10: f('tensors', m('TensorProto'), true),
    11: f('graphs', m('GraphProto'), true), 23: f('sparse_tensors', m('SparseTensorProto'), true),
    15: f('type_protos', m('TypeProto'), true),
  },
  TensorProto: {
    1: f('dims', 'int64', true), 2: f('data_type', 'int32'), 3: f('segment', m('TensorSegment')),
    4: f('float_data', 'float', true), 5: f('int32_data', 'int32', true),
    6: f('string_data', 'bytes', true), 7: f('int64_data', 'int64', true), 8: f('name', 'string'),
    12: f('doc_string', 'string'), 9: f('raw_data', 'bytes'),
    13: f('external_data', m('StringStringEntryProto'), true), 14: f('data_location', 'int32'),
    10: f('double_data', 'double', true), 11: f('uint64_data', 'uint64', true),
  },
  TensorSegment: { 1: f('begin', 'int64'), 2: f('end', 'int64') },
  SparseTensorProto: {
    1: f('values', m('TensorProto')), 2: f('indices', m('TensorProto')), 3: f('dims', 'int64', true),
  },
  ValueInfoProto: { 1: f('name', 'string'), 2: f('type', m('TypeProto')), 3: f('doc_string', 'string') },
  TypeProto: {
    1: f('tensor_type', m('TypeProtoTensor')), 4: f('sequence_type', m('TypeProtoSequence')),
    5: f('map_type', m('TypeProtoMap')), 9: f('optional_type', m('TypeProtoOptional')),
    8: f('sparse_tensor_type', m('TypeProtoTensor')), 7: f('opaque_type', m('TypeProtoOpaque')),
    6: f('denotation', 'string'),
  },
  TypeProtoTensor: { 1: f('elem_type', 'int32'), 2: f('shape', m('TensorShapeProto')) },
  TypeProtoSequence: { 1: f('elem_type', m('TypeProto')) },
  TypeProtoMap: { 1: f('key_type', 'int32'), 2: f('value_type', m('TypeProto')) },
  TypeProtoOptional: { 1: f('elem_type', m('TypeProto')) },
  TypeProtoOpaque: { 1: f('domain', 'string'), 2: f('name', 'string') },
  TensorShapeProto: { 1: f('dim', m('Dimension'), true) },
  Dimension: { 1: f('dim_value', 'int64'), 2: f('dim_param', 'string'), 3: f('denotation', 'string') },
  OperatorSetIdProto: { 1: f('domain', 'string'), 2: f('version', 'int64') },
  StringStringEntryProto: { 1: f('key', 'string'), 2: f('value', 'string') },
  FunctionProto: {
    1: f('name', 'string'), 4: f('input', 'string', true), 5: f('output', 'string', true),
    6: f('attribute', 'string', true), 11: f('attribute_proto', m('AttributeProto'), true),
    7: f('node', m('NodeProto'), true), 8: f('doc_string', 'string'),
    9: f('opset_import', m('OperatorSetIdProto'), true), 10: f('domain', 'string'),
    13: f('overload', 'string'), 12: f('value_info', m('ValueInfoProto'), true),
  },
  // onnx-data.proto3: containers used by test data for sequences / optionals / maps.
  SequenceProto: {
    1: f('name', 'string'), 2: f('elem_type', 'int32'), 3: f('tensor_values', m('TensorProto'), true),
    4: f('sparse_tensor_values', m('SparseTensorProto'), true),
    5: f('sequence_values', m('SequenceProto'), true), 6: f('map_values', m('MapProto'), true),
    7: f('optional_values', m('OptionalProto'), true),
  },
  MapProto: {
    1: f('name', 'string'), 2: f('key_type', 'int32'), 3: f('keys', 'int64', true),
    4: f('string_keys', 'bytes', true), 5: f('values', m('SequenceProto')),
  },
  OptionalProto: {
    1: f('name', 'string'), 2: f('elem_type', 'int32'), 3: f('tensor_value', m('TensorProto')),
    4: f('sparse_tensor_value', m('SparseTensorProto')), 5: f('sequence_value', m('SequenceProto')),
    6: f('map_value', m('MapProto')), 7: f('optional_value', m('OptionalProto')),
  },
};
