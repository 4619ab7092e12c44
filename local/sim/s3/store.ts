/**
 * What the simulated S3 holds: buckets (versioning, default encryption, public access block,
 * policy) and their objects, every version of each kept when versioning is on. JSON-able, so a
 * snapshot of the simulator keeps it (`registerPersisted('s3', …)`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SimState } from '../core/state';

export interface S3ObjectVersion {
  versionId: string;
  /** base64 of the bytes; a delete marker has none. */
  body?: string;
  deleteMarker?: boolean;
  etag: string;
  size: number;
  contentType?: string;
  lastModified: number;
  /** Server-side encryption applied: `AES256` or `aws:kms` with its key. */
  sse?: { algorithm: string; kmsKeyId?: string };
  metadata: Record<string, string>;
}

export interface S3Bucket {
  name: string;
  region: string;
  createdAt: number;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: { algorithm: string; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  publicAccessBlock?: { BlockPublicAcls: boolean; IgnorePublicAcls: boolean; BlockPublicPolicy: boolean; RestrictPublicBuckets: boolean };
  policy?: string;
  tags: Record<string, string>;
  /** Key → its versions, newest last. */
  objects: Record<string, S3ObjectVersion[]>;
}

export interface S3Store {
  buckets: Record<string, S3Bucket>;
}

const stores = new WeakMap<SimState, S3Store>();

export function s3Store(state: SimState): S3Store {
  let s = stores.get(state);
  if (!s) stores.set(state, (s = { buckets: {} }));
  return s;
}

export function loadS3Store(state: SimState, data: unknown): void {
  stores.set(state, (data as S3Store | undefined) ?? { buckets: {} });
}

/** The newest version of a key that is not a delete marker, if the key exists now. */
export function currentVersion(bucket: S3Bucket, key: string): S3ObjectVersion | undefined {
  const latest = bucket.objects[key]?.at(-1);
  return latest && !latest.deleteMarker ? latest : undefined;
}

/** A new object version (with versioning off it replaces the one version, `null`). */
export function putVersion(bucket: S3Bucket, key: string, body: Buffer, now: number, extra: { contentType?: string; metadata: Record<string, string> }): S3ObjectVersion {
  const version: S3ObjectVersion = {
    versionId: bucket.versioning === 'Enabled' ? randomBytes(16).toString('base64url') : 'null',
    body: body.toString('base64'),
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    size: body.length,
    contentType: extra.contentType,
    lastModified: now,
    sse: bucket.encryption ? { algorithm: bucket.encryption.algorithm, kmsKeyId: bucket.encryption.kmsKeyId } : { algorithm: 'AES256' },
    metadata: extra.metadata,
  };
  addVersion(bucket, key, version);
  return version;
}

/** A delete: with versioning on, a delete marker; off, the object is gone. */
export function deleteKey(bucket: S3Bucket, key: string, now: number, versionId?: string): { versionId?: string; deleteMarker: boolean } {
  const versions = bucket.objects[key] ?? [];
  if (versionId) {
    bucket.objects[key] = versions.filter((v) => v.versionId !== versionId);
    if (bucket.objects[key].length === 0) delete bucket.objects[key];
    return { versionId, deleteMarker: versions.find((v) => v.versionId === versionId)?.deleteMarker ?? false };
  }
  if (bucket.versioning !== 'Enabled') {
    delete bucket.objects[key];
    return { deleteMarker: false };
  }
  const marker: S3ObjectVersion = { versionId: randomBytes(16).toString('base64url'), deleteMarker: true, etag: '', size: 0, lastModified: now, metadata: {} };
  addVersion(bucket, key, marker);
  return { versionId: marker.versionId, deleteMarker: true };
}

function addVersion(bucket: S3Bucket, key: string, version: S3ObjectVersion): void {
  const versions = bucket.versioning === 'Enabled' || bucket.versioning === 'Suspended' ? (bucket.objects[key] ?? []).filter((v) => v.versionId !== 'null' || bucket.versioning === 'Enabled') : [];
  bucket.objects[key] = [...versions, version];
}
