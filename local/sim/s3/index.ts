/**
 * S3 over its REST protocol (path-style: `/<bucket>/<key>`), for the calls Hopper and its
 * hosts make: buckets with versioning, default encryption, a public access block and a
 * policy; objects put, read, listed and deleted (a delete marker when versioning is on).
 * Requests are chosen by their SigV4 scope (`…/s3/aws4_request`) and authorized by IAM as
 * AWS does (`arn:aws:s3:::bucket` and `…/key`; ListObjectsV2 is `s3:ListBucket` with
 * `s3:prefix`). Errors are S3's XML with S3's codes and statuses.
 */
import { registerPersisted, registerRestService, type RestHandler } from '../core/registry';
import { SimError } from '../core/errors';
import { escapeXml } from '../core/serde';
import { currentVersion, deleteKey, loadS3Store, putVersion, s3Store, type S3Bucket } from './store';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

registerPersisted('s3', { save: (state) => s3Store(state), load: (state, data) => loadS3Store(state, data) });

const xml = (root: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}">${inner}</${root}>`;
const el = (name: string, value: string | number | boolean | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`);
/** The text of the first `<name>` element of a small request document. */
const field = (doc: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(doc)?.[1];
const iso = (ms: number) => new Date(ms).toISOString();

/** S3's aws-chunked payload (streamed uploads with a trailing checksum): the data without the framing. */
function unchunk(raw: Buffer, headers: Record<string, unknown>): Buffer {
  if (!String(headers['content-encoding'] ?? '').includes('aws-chunked') && !String(headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-')) return raw;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function s3Error(code: string, message: string, status: number, extra: Record<string, string> = {}): SimError & { s3: { status: number; extra: Record<string, string> } } {
  return Object.assign(new SimError(code, message, status), { s3: { status, extra } });
}
const noSuchBucket = (name: string) => s3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: name });
const noSuchKey = (key: string) => s3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });

type RestAnswer = Awaited<ReturnType<RestHandler>>;

const handler: RestHandler = async (req, ctx): Promise<RestAnswer> => {
  const store = s3Store(ctx.state);
  const [, bucketName = '', ...rest] = req.path.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = req.query;
  const method = req.method;
  const bucketOf = (): S3Bucket => {
    const b = store.buckets[bucketName];
    if (!b) throw noSuchBucket(bucketName);
    return b;
  };
  const ok = (body = '', headers: Record<string, string> = {}, status = 200): RestAnswer => ({ status, body, headers: { 'content-type': 'application/xml', ...headers } });
  try {
    if (!bucketName) {
      await ctx.authorize('ListBuckets', {});
      const list = Object.values(store.buckets).map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', iso(b.createdAt))}</Bucket>`).join('');
      return ok(xml('ListAllMyBucketsResult', `<Buckets>${list}</Buckets>`));
    }
    if (!key) {
      // Bucket-level calls.
      if (method === 'PUT' && q.has('versioning')) {
        await ctx.authorize('PutBucketVersioning', { Bucket: bucketName });
        const status = field(req.body, 'Status');
        if (status !== 'Enabled' && status !== 'Suspended') throw s3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
        bucketOf().versioning = status;
        return ok();
      }
      if (method === 'GET' && q.has('versioning')) {
        await ctx.authorize('GetBucketVersioning', { Bucket: bucketName });
        return ok(xml('VersioningConfiguration', el('Status', bucketOf().versioning)));
      }
      if (method === 'PUT' && q.has('encryption')) {
        await ctx.authorize('PutBucketEncryption', { Bucket: bucketName });
        const algorithm = field(req.body, 'SSEAlgorithm');
        if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') throw s3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
        bucketOf().encryption = { algorithm, kmsKeyId: field(req.body, 'KMSMasterKeyID'), bucketKeyEnabled: field(req.body, 'BucketKeyEnabled') === 'true' };
        return ok();
      }
      if (method === 'GET' && q.has('encryption')) {
        await ctx.authorize('GetBucketEncryption', { Bucket: bucketName });
        const e = bucketOf().encryption ?? { algorithm: 'AES256' };
        return ok(xml('ServerSideEncryptionConfiguration', `<Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', e.algorithm)}${el('KMSMasterKeyID', e.kmsKeyId)}</ApplyServerSideEncryptionByDefault>${el('BucketKeyEnabled', e.bucketKeyEnabled ?? false)}</Rule>`));
      }
      if (method === 'PUT' && q.has('publicAccessBlock')) {
        await ctx.authorize('PutPublicAccessBlock', { Bucket: bucketName });
        const flag = (n: string) => field(req.body, n) === 'true';
        bucketOf().publicAccessBlock = { BlockPublicAcls: flag('BlockPublicAcls'), IgnorePublicAcls: flag('IgnorePublicAcls'), BlockPublicPolicy: flag('BlockPublicPolicy'), RestrictPublicBuckets: flag('RestrictPublicBuckets') };
        return ok();
      }
      if (method === 'GET' && q.has('publicAccessBlock')) {
        await ctx.authorize('GetPublicAccessBlock', { Bucket: bucketName });
        const pab = bucketOf().publicAccessBlock;
        if (!pab) throw s3Error('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404);
        return ok(xml('PublicAccessBlockConfiguration', Object.entries(pab).map(([k, v]) => el(k, v)).join('')));
      }
      if (method === 'PUT' && q.has('policy')) {
        await ctx.authorize('PutBucketPolicy', { Bucket: bucketName });
        try {
          JSON.parse(req.body);
        } catch {
          throw s3Error('MalformedPolicy', 'Policies must be valid JSON and the first byte must be \'{\'', 400);
        }
        const b = bucketOf();
        if (b.publicAccessBlock?.BlockPublicPolicy && /"Principal"\s*:\s*("\*"|\{\s*"AWS"\s*:\s*"\*"\s*\})/.test(req.body) && /"Effect"\s*:\s*"Allow"/.test(req.body)) {
          throw s3Error('AccessDenied', 'User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting.', 403);
        }
        b.policy = req.body;
        return ok('', {}, 204);
      }
      if (method === 'GET' && q.has('policy')) {
        await ctx.authorize('GetBucketPolicy', { Bucket: bucketName });
        const policy = bucketOf().policy;
        if (!policy) throw s3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
        return { status: 200, body: policy, headers: { 'content-type': 'application/json' } };
      }
      if (method === 'PUT' && q.has('tagging')) {
        await ctx.authorize('PutBucketTagging', { Bucket: bucketName });
        const tags: Record<string, string> = {};
        for (const m of req.body.matchAll(/<Tag>\s*<Key>([^<]*)<\/Key>\s*<Value>([^<]*)<\/Value>\s*<\/Tag>/g)) tags[m[1]] = m[2];
        bucketOf().tags = tags;
        return ok('', {}, 204);
      }
      if (method === 'POST' && q.has('delete')) {
        const b = bucketOf();
        const keys = [...req.body.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>(?:\s*<VersionId>([^<]*)<\/VersionId>)?\s*<\/Object>/g)].map((m) => ({ key: m[1], versionId: m[2] }));
        let out = '';
        for (const k of keys) {
          await ctx.authorize(k.versionId ? 'DeleteObjectVersion' : 'DeleteObject', { Bucket: bucketName, Key: k.key });
          const done = deleteKey(b, k.key, ctx.state.clock.now(), k.versionId);
          out += `<Deleted>${el('Key', k.key)}${el('VersionId', k.versionId)}${done.deleteMarker ? el('DeleteMarker', true) : ''}</Deleted>`;
        }
        return ok(xml('DeleteResult', out));
      }
      if (method === 'PUT') {
        await ctx.authorize('CreateBucket', { Bucket: bucketName });
        if (!BUCKET_NAME.test(bucketName)) throw s3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucketName });
        if (store.buckets[bucketName]) throw s3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucketName });
        const region = field(req.body, 'LocationConstraint') ?? 'us-east-1';
        store.buckets[bucketName] = { name: bucketName, region, createdAt: ctx.state.clock.now(), tags: {}, objects: {}, encryption: { algorithm: 'AES256' } };
        return ok('', { location: `/${bucketName}` });
      }
      if (method === 'HEAD') {
        await ctx.authorize('HeadBucket', { Bucket: bucketName });
        const b = bucketOf();
        return { status: 200, headers: { 'x-amz-bucket-region': b.region } };
      }
      if (method === 'DELETE') {
        await ctx.authorize('DeleteBucket', { Bucket: bucketName });
        const b = bucketOf();
        if (Object.keys(b.objects).length > 0) throw s3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucketName });
        delete store.buckets[bucketName];
        return ok('', {}, 204);
      }
      if (method === 'GET' && q.has('versions')) {
        const prefix = q.get('prefix') ?? '';
        await ctx.authorize('ListObjectVersions', { Bucket: bucketName, Prefix: prefix });
        const b = bucketOf();
        let out = el('Name', bucketName) + el('Prefix', prefix);
        for (const [k, versions] of Object.entries(b.objects).filter(([k]) => k.startsWith(prefix)).sort(([x], [y]) => x.localeCompare(y))) {
          versions.forEach((v, i) => {
            const latest = el('IsLatest', i === versions.length - 1);
            out += v.deleteMarker
              ? `<DeleteMarker>${el('Key', k)}${el('VersionId', v.versionId)}${latest}${el('LastModified', iso(v.lastModified))}</DeleteMarker>`
              : `<Version>${el('Key', k)}${el('VersionId', v.versionId)}${latest}${el('LastModified', iso(v.lastModified))}${el('ETag', v.etag)}${el('Size', v.size)}${el('StorageClass', 'STANDARD')}</Version>`;
          });
        }
        return ok(xml('ListVersionsResult', `${out}${el('IsTruncated', false)}`));
      }
      if (method === 'GET') {
        const prefix = q.get('prefix') ?? '';
        await ctx.authorize('ListObjectsV2', { Bucket: bucketName, Prefix: prefix });
        const b = bucketOf();
        const max = Math.min(Number(q.get('max-keys') ?? 1000), 1000);
        const after = q.get('continuation-token') ? Buffer.from(q.get('continuation-token')!, 'base64').toString('utf8') : q.get('start-after') ?? '';
        const keys = Object.keys(b.objects)
          .filter((k) => k.startsWith(prefix) && k > after && currentVersion(b, k))
          .sort();
        const page = keys.slice(0, max);
        const truncated = keys.length > page.length;
        const contents = page
          .map((k) => {
            const v = currentVersion(b, k)!;
            return `<Contents>${el('Key', k)}${el('LastModified', iso(v.lastModified))}${el('ETag', v.etag)}${el('Size', v.size)}${el('StorageClass', 'STANDARD')}</Contents>`;
          })
          .join('');
        const next = truncated ? el('NextContinuationToken', Buffer.from(page.at(-1)!).toString('base64')) : '';
        return ok(xml('ListBucketResult', `${el('Name', bucketName)}${el('Prefix', prefix)}${el('KeyCount', page.length)}${el('MaxKeys', max)}${el('IsTruncated', truncated)}${contents}${next}`));
      }
      throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    }

    // Object-level calls.
    const versionId = q.get('versionId') ?? undefined;
    if (method === 'PUT') {
      await ctx.authorize('PutObject', { Bucket: bucketName, Key: key });
      const b = bucketOf();
      const metadata = Object.fromEntries(Object.entries(req.headers).filter(([h]) => h.startsWith('x-amz-meta-')).map(([h, v]) => [h.slice('x-amz-meta-'.length), String(v)]));
      const v = putVersion(b, key, unchunk(req.raw, req.headers), ctx.state.clock.now(), { contentType: req.headers['content-type'] as string | undefined, metadata });
      return { status: 200, headers: { etag: v.etag, 'x-amz-server-side-encryption': v.sse?.algorithm ?? 'AES256', ...(v.versionId !== 'null' ? { 'x-amz-version-id': v.versionId } : {}) } };
    }
    if (method === 'GET' || method === 'HEAD') {
      await ctx.authorize(versionId ? 'GetObjectVersion' : 'GetObject', { Bucket: bucketName, Key: key });
      const b = bucketOf();
      const v = versionId ? b.objects[key]?.find((x) => x.versionId === versionId) : currentVersion(b, key);
      if (!v || v.deleteMarker) throw versionId ? s3Error('NoSuchVersion', 'The specified version does not exist.', 404, { Key: key, VersionId: versionId }) : noSuchKey(key);
      const body = Buffer.from(v.body ?? '', 'base64');
      const headers: Record<string, string> = {
        'content-type': v.contentType ?? 'binary/octet-stream',
        etag: v.etag,
        'last-modified': new Date(v.lastModified).toUTCString(),
        'x-amz-server-side-encryption': v.sse?.algorithm ?? 'AES256',
        ...(v.versionId !== 'null' ? { 'x-amz-version-id': v.versionId } : {}),
        ...Object.fromEntries(Object.entries(v.metadata).map(([k, val]) => [`x-amz-meta-${k}`, val])),
      };
      if (method === 'HEAD') return { status: 200, headers: { ...headers, 'content-length': String(body.length) } };
      return { status: 200, raw: body, headers };
    }
    if (method === 'DELETE') {
      await ctx.authorize(versionId ? 'DeleteObjectVersion' : 'DeleteObject', { Bucket: bucketName, Key: key });
      const done = deleteKey(bucketOf(), key, ctx.state.clock.now(), versionId);
      return { status: 204, headers: { ...(done.versionId ? { 'x-amz-version-id': done.versionId } : {}), ...(done.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) } };
    }
    throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  } catch (err) {
    const e = err instanceof SimError ? err : new SimError('InternalError', String(err instanceof Error ? err.message : err), 500);
    const extra = (e as { s3?: { extra: Record<string, string> } }).s3?.extra ?? {};
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${el('Code', e.code)}${el('Message', e.message)}${Object.entries(extra).map(([k, v]) => el(k, v)).join('')}${el('RequestId', ctx.requestId)}</Error>`;
    return { status: e.status, body: method === 'HEAD' ? '' : body, headers: { 'content-type': 'application/xml', 'x-sim-error-code': e.code } };
  }
};

registerRestService('s3', handler);
