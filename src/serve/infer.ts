// One inference request and its response in the Open Inference Protocol's REST form: the JSON
// request object (inputs, requested outputs, parameters), optionally followed by binary tensor data
// (Inference-Header-Content-Length), checked against the model's declared inputs; and the response
// in JSON, or with the outputs asked for as binary after the JSON header.

import type { ValueMetadata } from '../api/session.js';
import { concatBytes } from '../bytes.js';
import type { DataType } from '../dtypes.js';
import type { Tensor } from '../tensor.js';
import {
  ProtocolError, checkShape, dataTypeOfProtocol, protocolDataType, tensorFromBinary, tensorFromJson, tensorToBinary, tensorToJsonText,
} from './tensors.js';

/** What the request's inputs must fit: the model's names, types and shapes, and the element budget. */
export interface ModelSignature {
  readonly inputs: readonly ValueMetadata[];
  readonly outputNames: readonly string[];
  readonly maxElements: number;
}

export interface ParsedInferRequest {
  readonly id: string | undefined;
  readonly feeds: Record<string, Tensor>;
  /** The outputs to return, in order, and whether each goes back as binary data. */
  readonly outputs: readonly { readonly name: string; readonly binary: boolean }[];
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function parametersOf(x: Json, where: string): Json {
  const p = x.parameters;
  if (p === undefined) return {};
  if (!isObject(p)) throw new ProtocolError(400, `${where}: 'parameters' must be an object`);
  return p;
}

/**
 * The request body (its JSON part first, `headerLength` bytes of it when the binary extension is
 * used) as feeds for the model, checked: names, datatypes, shapes, data and binary sizes.
 */
export function parseInferRequest(body: Uint8Array, headerLength: string | null, model: ModelSignature): ParsedInferRequest {
  let jsonBytes = body;
  let binary: Uint8Array = new Uint8Array(0);
  if (headerLength !== null) {
    const n = /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength.trim()) : NaN;
    if (!(n <= body.length)) {
      throw new ProtocolError(400, `Inference-Header-Content-Length is '${headerLength}', not a byte count within the ${body.length}-byte body`);
    }
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  let request: unknown;
  try {
    request = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (e) {
    throw new ProtocolError(400, `the request body is not valid JSON: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!isObject(request)) throw new ProtocolError(400, 'the request body must be a JSON object with "inputs"');
  const id = request.id;
  if (id !== undefined && typeof id !== 'string') throw new ProtocolError(400, "'id' must be a string");
  const parameters = parametersOf(request, 'request');
  const binaryOutput = parameters.binary_data_output;
  if (binaryOutput !== undefined && typeof binaryOutput !== 'boolean') throw new ProtocolError(400, "request: parameter 'binary_data_output' must be a boolean");

  const inputs = request.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new ProtocolError(400, "'inputs' must be a non-empty array of tensors");
  const declared = new Map(model.inputs.map((m) => [m.name, m]));
  const feeds: Record<string, Tensor> = {};
  let consumed = 0;
  inputs.forEach((input: unknown, i) => {
    if (!isObject(input)) throw new ProtocolError(400, `inputs[${i}] must be an object with name, shape, datatype and data`);
    const { name, datatype } = input;
    if (typeof name !== 'string') throw new ProtocolError(400, `inputs[${i}]: 'name' must be a string`);
    const where = `input '${name}'`;
    const meta = declared.get(name);
    if (!meta) throw new ProtocolError(400, `${where} is not an input of this model (inputs: ${model.inputs.map((m) => m.name).join(', ')})`);
    if (Object.hasOwn(feeds, name)) throw new ProtocolError(400, `${where} is given twice`);
    const type = typeof datatype === 'string' ? dataTypeOfProtocol(datatype) : undefined;
    if (type === undefined) throw new ProtocolError(400, `${where}: datatype ${JSON.stringify(datatype)} is not one of BOOL, UINT8..UINT64, INT8..INT64, FP16, BF16, FP32, FP64, BYTES`);
    if (meta.type !== undefined && meta.type !== type) {
      throw new ProtocolError(400, `${where}: the model takes ${protocolDataType(meta.type as DataType) ?? meta.type}, the request sends ${datatype as string}`);
    }
    const shape = checkShape(input.shape, where, model.maxElements);
    checkDeclaredShape(meta, shape, where);
    const size = parametersOf(input, where).binary_data_size;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ProtocolError(400, `${where}: 'binary_data_size' must be a byte count`);
      if (input.data !== undefined) throw new ProtocolError(400, `${where}: has both 'data' and 'binary_data_size'`);
      if (consumed + size > binary.length) {
        throw new ProtocolError(400, `${where}: binary_data_size ${size} runs past the ${binary.length} bytes of binary data after the JSON header`);
      }
      feeds[name] = tensorFromBinary(type, shape, binary.subarray(consumed, consumed + size), where);
      consumed += size;
    } else {
      if (input.data === undefined) throw new ProtocolError(400, `${where}: has neither 'data' nor 'binary_data_size'`);
      feeds[name] = tensorFromJson(type, shape, input.data, where);
    }
  });
  if (consumed !== binary.length) {
    throw new ProtocolError(400, `the body has ${binary.length} bytes of binary data after the JSON header, the inputs' binary_data_size take ${consumed}`);
  }
  const missing = model.inputs.filter((m) => !Object.hasOwn(feeds, m.name)).map((m) => m.name);
  if (missing.length) throw new ProtocolError(400, `missing input(s): ${missing.join(', ')}`);

  return { id, feeds, outputs: requestedOutputs(request.outputs, model.outputNames, binaryOutput === true) };
}

/** A declared shape's rank and fixed dims against the request's (symbolic or unknown dims take any size). */
function checkDeclaredShape(meta: ValueMetadata, shape: readonly number[], where: string): void {
  const want = meta.shape;
  if (want === undefined) return;
  const bad = want.length !== shape.length || want.some((d, i) => typeof d === 'number' && d >= 0 && d !== shape[i]);
  if (bad) {
    const fmt = want.map((d) => (typeof d === 'number' ? String(d) : '-1')).join(', ');
    throw new ProtocolError(400, `${where}: the model takes shape [${fmt}], the request sends [${shape.join(', ')}]`);
  }
}

function requestedOutputs(outputs: unknown, names: readonly string[], binaryDefault: boolean): ParsedInferRequest['outputs'] {
  if (outputs === undefined) return names.map((name) => ({ name, binary: binaryDefault }));
  if (!Array.isArray(outputs)) throw new ProtocolError(400, "'outputs' must be an array of { name }");
  const seen = new Set<string>();
  return outputs.map((o: unknown, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw new ProtocolError(400, `outputs[${i}] must be an object with a 'name'`);
    const { name } = o;
    if (!names.includes(name)) throw new ProtocolError(400, `output '${name}' is not an output of this model (outputs: ${names.join(', ')})`);
    if (seen.has(name)) throw new ProtocolError(400, `output '${name}' is requested twice`);
    seen.add(name);
    const b = parametersOf(o, `output '${name}'`).binary_data;
    if (b !== undefined && typeof b !== 'boolean') throw new ProtocolError(400, `output '${name}': parameter 'binary_data' must be a boolean`);
    return { name, binary: b ?? binaryDefault };
  });
}

/** The response to an inference: JSON, or (when an output goes back as binary) the JSON header and the binary data. */
export function inferResponse(
  modelName: string, modelVersion: string | undefined, id: string | undefined,
  requested: ParsedInferRequest['outputs'], results: Record<string, Tensor>,
): Response {
  const parts: string[] = [];
  const blobs: Uint8Array[] = [];
  for (const { name, binary } of requested) {
    const t = results[name];
    if (t === undefined) throw new ProtocolError(500, `the model did not produce output '${name}'`);
    const datatype = protocolDataType(t.type);
    if (datatype === undefined) throw new ProtocolError(500, `output '${name}' holds ${t.type} elements, which the protocol has no datatype for`);
    const head = `{"name":${JSON.stringify(name)},"datatype":"${datatype}","shape":[${t.dims.join(',')}]`;
    if (binary) {
      const bytes = tensorToBinary(t);
      blobs.push(bytes);
      parts.push(`${head},"parameters":{"binary_data_size":${bytes.length}}}`);
    } else {
      parts.push(`${head},"data":${tensorToJsonText(t)}}`);
    }
  }
  const header = `{"model_name":${JSON.stringify(modelName)}${modelVersion === undefined ? '' : `,"model_version":${JSON.stringify(modelVersion)}`}`
    + `${id === undefined ? '' : `,"id":${JSON.stringify(id)}`},"outputs":[${parts.join(',')}]}`;
  if (blobs.length === 0) return new Response(header, { status: 200, headers: { 'content-type': 'application/json' } });
  const json = new TextEncoder().encode(header);
  // Two chunks at least, so a new array over an ArrayBuffer.
  return new Response(concatBytes([json, ...blobs]) as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(json.length) },
  });
}
