/**
 * Distinguished names as crypto/x509 reads them into a pkix.Name, and the JSON Go writes for
 * one: the well-known attributes (2.5.4.x) sorted into their fields, every attribute in
 * `Names` in order, `ExtraNames` (only ever set when building a name) null.
 */
import type { Json, JsonObject } from './args.js';
import {
  Der,
  decodeAsn1String,
  decodeBitString,
  decodeGeneralizedTime,
  decodeInteger,
  decodeOid,
  decodeUtcTime,
  type Element,
  readOid,
  TAG,
} from './der.js';

export interface Attribute {
  readonly type: number[];
  readonly value: Json;
}

/** parseName in crypto/x509/parser.go: values must be one of the string types. */
export function parseRdnSequence(raw: Buffer): Attribute[][] | { error: string } {
  const seq = new Der(raw).read(TAG.SEQUENCE);
  if (seq === undefined) return { error: 'x509: invalid RDNSequence' };
  const d = new Der(seq);
  const rdns: Attribute[][] = [];
  while (!d.empty) {
    const set = d.read(TAG.SET);
    if (set === undefined) return { error: 'x509: invalid RDNSequence' };
    const s = new Der(set);
    const rdn: Attribute[] = [];
    while (!s.empty) {
      const atv = s.read(TAG.SEQUENCE);
      if (atv === undefined) return { error: 'x509: invalid RDNSequence: invalid attribute' };
      const a = new Der(atv);
      const type = readOid(a);
      if (type === undefined) return { error: 'x509: invalid RDNSequence: invalid attribute type' };
      const v = a.readAny();
      if (v === undefined) return { error: 'x509: invalid RDNSequence: invalid attribute value' };
      const str = decodeAsn1String(v.tag, v.content);
      if ('error' in str)
        return { error: `x509: invalid RDNSequence: invalid attribute value: ${str.error}` };
      rdn.push({ type, value: str.value });
    }
    rdns.push(rdn);
  }
  return rdns;
}

/**
 * A value decoded into Go's `any` by encoding/asn1 (as CSR subjects and attributes are): the
 * string types, INTEGER, BIT STRING, OID, times and OCTET STRING; anything else stays nil.
 */
export function asn1AnyValue(el: Element): { value: Json } | { error: string } {
  const c = el.content;
  switch (el.tag) {
    case TAG.PRINTABLE_STRING:
    case TAG.NUMERIC_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
    case TAG.UTF8_STRING:
    case TAG.BMP_STRING: {
      const s = decodeAsn1String(el.tag, c);
      return 'error' in s ? { error: `asn1: syntax error: ${s.error}` } : s;
    }
    case TAG.INTEGER: {
      const v = decodeInteger(c);
      if (v === undefined) return { error: 'asn1: structure error: integer not minimally-encoded' };
      if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) {
        return { error: 'asn1: structure error: integer too large' };
      }
      const safe = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
      return { value: safe ? Number(v) : v };
    }
    case TAG.BIT_STRING: {
      const b = decodeBitString(c);
      if (b === undefined) return { error: 'asn1: syntax error: invalid padding bits in BIT STRING' };
      return { value: { Bytes: b.bytes.toString('base64'), BitLength: b.bitLength } };
    }
    case TAG.OID: {
      const arcs = decodeOid(c);
      if (arcs === undefined) return { error: 'asn1: syntax error: invalid object identifier' };
      return { value: arcs.map(Number) };
    }
    case TAG.UTC_TIME: {
      const t = decodeUtcTime(c);
      return t === undefined ? { error: 'asn1: syntax error: invalid UTCTime' } : { value: t.json };
    }
    case TAG.GENERALIZED_TIME: {
      const t = decodeGeneralizedTime(c);
      return t === undefined ? { error: 'asn1: syntax error: invalid GeneralizedTime' } : { value: t.json };
    }
    case TAG.OCTET_STRING:
      return { value: c.toString('base64') };
    default:
      return { value: null };
  }
}

/** An RDNSequence as encoding/asn1 unmarshals one (values typed as `any`). */
export function unmarshalRdnSequence(raw: Buffer): Attribute[][] | { error: string } {
  const outer = new Der(raw);
  const seq = outer.read(TAG.SEQUENCE);
  if (seq === undefined) return { error: "asn1: structure error: tags don't match" };
  if (!outer.empty) return { error: 'x509: trailing data after X.509 Subject' };
  const d = new Der(seq);
  const rdns: Attribute[][] = [];
  while (!d.empty) {
    const set = d.read(TAG.SET);
    if (set === undefined) return { error: 'asn1: structure error: invalid RDNSequence' };
    const s = new Der(set);
    const rdn: Attribute[] = [];
    while (!s.empty) {
      const atv = s.read(TAG.SEQUENCE);
      const a = atv === undefined ? undefined : new Der(atv);
      const type = a === undefined ? undefined : readOid(a);
      const v = a?.readAny();
      if (type === undefined || v === undefined) return { error: 'asn1: structure error: invalid attribute' };
      const value = asn1AnyValue(v);
      if ('error' in value) return value;
      rdn.push({ type, value: value.value });
    }
    rdns.push(rdn);
  }
  return rdns;
}

const attributeJson = (a: Attribute): JsonObject => ({ Type: a.type, Value: a.value });

/** pkix.Name.FillFromRDNSequence, then Go's JSON of the Name. */
export function nameJson(rdns: Attribute[][]): JsonObject {
  const fields: Record<string, string[] | null> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
  };
  const byArc: Record<number, string> = {
    6: 'Country',
    7: 'Locality',
    8: 'Province',
    9: 'StreetAddress',
    10: 'Organization',
    11: 'OrganizationalUnit',
    17: 'PostalCode',
  };
  let serialNumber = '';
  let commonName = '';
  const names: JsonObject[] = [];
  for (const rdn of rdns) {
    for (const atv of rdn) {
      names.push(attributeJson(atv));
      if (typeof atv.value !== 'string') continue;
      const t = atv.type;
      if (t.length !== 4 || t[0] !== 2 || t[1] !== 5 || t[2] !== 4) continue;
      const arc = t[3]!;
      if (arc === 3) commonName = atv.value;
      else if (arc === 5) serialNumber = atv.value;
      else {
        const field = byArc[arc];
        if (field !== undefined) fields[field] = [...(fields[field] ?? []), atv.value];
      }
    }
  }
  return {
    Country: fields.Country ?? null,
    Organization: fields.Organization ?? null,
    OrganizationalUnit: fields.OrganizationalUnit ?? null,
    Locality: fields.Locality ?? null,
    Province: fields.Province ?? null,
    StreetAddress: fields.StreetAddress ?? null,
    PostalCode: fields.PostalCode ?? null,
    SerialNumber: serialNumber,
    CommonName: commonName,
    Names: names.length === 0 ? null : names,
    ExtraNames: null,
  };
}
