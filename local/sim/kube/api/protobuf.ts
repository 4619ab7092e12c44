/**
 * Request bodies in Kubernetes' protobuf encoding, which kubectl's typed clients send
 * (`kubectl create configmap|secret|namespace`): the `k8s\0` magic, a `runtime.Unknown`
 * envelope naming the apiVersion and kind, and the object's own message. The schemas below
 * are the subset of `k8s.io/api/core/v1` and `k8s.io/apimachinery` generated.proto those
 * commands send, with upstream's field numbers; any other kind is a 415 that says so.
 */
import protobuf from 'protobufjs';
import type { Obj } from './derived';
import { ApiError, badRequest } from './errors';

const SCHEMA = `
syntax = "proto2";
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message OwnerReference { optional string kind = 1; optional string name = 3; optional string uid = 4; optional string apiVersion = 5; optional bool controller = 6; optional bool blockOwnerDeletion = 7; }
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3; optional string uid = 5;
  optional string resourceVersion = 6; optional int64 generation = 7;
  map<string, string> labels = 11; map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13; repeated string finalizers = 14;
}
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; optional bool immutable = 4; }
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; map<string, string> stringData = 4; optional bool immutable = 5; }
message NamespaceSpec { repeated string finalizers = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const MAGIC = Buffer.from('k8s\0');
const KINDS = ['ConfigMap', 'Secret', 'Namespace'];

/** The object in a protobuf body, as the JSON a client would have sent. */
export function decodeProtobuf(body: Buffer): Obj {
  if (!body.subarray(0, 4).equals(MAGIC)) throw badRequest('the body of the request was not a Kubernetes protobuf object (no k8s magic)');
  let envelope: Obj;
  try {
    envelope = root.lookupType('Unknown').toObject(root.lookupType('Unknown').decode(body.subarray(4)), { defaults: false }) as Obj;
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
  }
  const kind = String(envelope.typeMeta?.kind ?? '');
  if (!KINDS.includes(kind)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the simulated API server decodes protobuf only for ${KINDS.join(', ')} (got ${kind || 'no kind'}): send application/json (kubectl apply -f and create -f do, with --validate=false: no OpenAPI schemas are served)`);
  }
  const type = root.lookupType(kind);
  // Bytes fields come back base64, as the JSON form carries them.
  const object = type.toObject(type.decode(envelope.raw as Uint8Array), { bytes: String, longs: Number, defaults: false }) as Obj;
  return { apiVersion: envelope.typeMeta?.apiVersion, kind, ...object };
}
