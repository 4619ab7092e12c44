/**
 * Wire (de)serialisation driven by the AWS SDK's own shape schemas.
 *
 * The SDK v3 clients ship a schema for every operation's input and output (with the
 * `ec2QueryName`/`xmlName`/`xmlFlattened` traits). Reading requests and writing
 * replies from those schemas keeps every element name and list wrapper exactly as the
 * SDK expects, instead of hand-writing hundreds of camelCase names. Handlers work with
 * SDK-shaped objects (`CreateVpcRequest` in, `CreateVpcResult` out).
 */
import { NormalizedSchema } from '@smithy/core/schema';

/** How a query protocol names things: EC2's dialect or plain awsQuery. */
export interface QuerySettings {
  ec2: boolean;
}

type Schema = Parameters<typeof NormalizedSchema.of>[0];

/** Decodes a flat `Key.1.Sub=value` form into an SDK-shaped input object. */
export function decodeQuery(schema: Schema, params: Record<string, string>, settings: QuerySettings): Record<string, unknown> {
  const prefixes = new Set<string>();
  for (const key of Object.keys(params)) {
    const parts = key.split('.');
    for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join('.'));
  }
  const read = (ns: NormalizedSchema, key: string): unknown => {
    if (ns.isListSchema()) {
      const member = ns.getValueSchema();
      const flat = settings.ec2 || !!ns.getMergedTraits().xmlFlattened;
      const t = member.getMergedTraits();
      const base = flat ? key : `${key}.${(t.xmlName as string | undefined) ?? 'member'}`;
      const out: unknown[] = [];
      for (let i = 1; prefixes.has(`${base}.${i}`); i++) out.push(read(member, `${base}.${i}`));
      return prefixes.has(key) ? out : undefined;
    }
    if (ns.isMapSchema()) {
      const flat = !!ns.getMergedTraits().xmlFlattened;
      const base = flat ? key : `${key}.entry`;
      const out: Record<string, unknown> = {};
      for (let i = 1; prefixes.has(`${base}.${i}`); i++) {
        const k = params[`${base}.${i}.key`];
        if (k !== undefined) out[k] = read(ns.getValueSchema(), `${base}.${i}.value`);
      }
      return prefixes.has(key) ? out : undefined;
    }
    if (ns.isStructSchema()) {
      if (key && !prefixes.has(key)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, member] of ns.structIterator()) {
        const t = member.getMergedTraits();
        const wire = wireName(name, t.xmlName as string | undefined, t.ec2QueryName as string | undefined, settings);
        const v = read(member, key ? `${key}.${wire}` : wire);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    const raw = params[key];
    if (raw === undefined) return undefined;
    if (ns.isBooleanSchema()) return raw === 'true';
    if (ns.isNumericSchema()) return Number(raw);
    if (ns.isTimestampSchema()) return new Date(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : raw);
    if (ns.isBlobSchema()) return Buffer.from(raw, 'base64');
    return raw;
  };
  return (read(NormalizedSchema.of(schema), '') as Record<string, unknown>) ?? {};
}

function wireName(member: string, xmlName: string | undefined, ec2QueryName: string | undefined, s: QuerySettings): string {
  if (s.ec2 && ec2QueryName) return ec2QueryName;
  const key = xmlName ?? member;
  return s.ec2 ? key[0].toUpperCase() + key.slice(1) : key;
}

/** Escapes text for XML content. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Serialises an SDK-shaped output object as the XML children the SDK will read back. */
export function encodeXml(schema: Schema, value: unknown): string {
  const write = (ns: NormalizedSchema, v: unknown, tag: string): string => {
    if (v === undefined || v === null) return '';
    if (ns.isListSchema()) {
      if (!Array.isArray(v)) return '';
      const member = ns.getValueSchema();
      if (ns.getMergedTraits().xmlFlattened) return v.map((x) => write(member, x, tag)).join('');
      const itemTag = (member.getMergedTraits().xmlName as string | undefined) ?? 'member';
      return `<${tag}>${v.map((x) => write(member, x, itemTag)).join('')}</${tag}>`;
    }
    if (ns.isMapSchema()) {
      const entries = Object.entries(v as Record<string, unknown>);
      const body = entries
        .map(([k, x]) => `<entry><key>${escapeXml(k)}</key>${write(ns.getValueSchema(), x, 'value')}</entry>`)
        .join('');
      return `<${tag}>${body}</${tag}>`;
    }
    if (ns.isStructSchema()) {
      return tag ? `<${tag}>${structBody(ns, v as Record<string, unknown>)}</${tag}>` : structBody(ns, v as Record<string, unknown>);
    }
    if (ns.isTimestampSchema()) {
      const d = v instanceof Date ? v : new Date(v as string | number);
      return `<${tag}>${d.toISOString()}</${tag}>`;
    }
    if (ns.isBlobSchema()) {
      const b = typeof v === 'string' ? Buffer.from(v) : Buffer.from(v as Uint8Array);
      return `<${tag}>${b.toString('base64')}</${tag}>`;
    }
    return `<${tag}>${escapeXml(String(v))}</${tag}>`;
  };
  const structBody = (ns: NormalizedSchema, obj: Record<string, unknown>): string => {
    let out = '';
    for (const [name, member] of ns.structIterator()) {
      const tag = (member.getMemberTraits().xmlName as string | undefined) ?? name;
      out += write(member, obj[name], tag);
    }
    return out;
  };
  return write(NormalizedSchema.of(schema), value, '');
}
