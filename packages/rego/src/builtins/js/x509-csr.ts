/**
 * PKCS #10 certificate signing requests as x509.ParseCertificateRequest reads them (Go reads
 * these with encoding/asn1 rather than cryptobyte, so subject values keep whatever ASN.1 type
 * they have), and the JSON Go writes for a *x509.CertificateRequest. node:crypto has no CSR
 * parser, hence this reader.
 */
import type { Json, JsonObject } from './args.js';
import {
  Asn1Error,
  context,
  Der,
  decodeBitString,
  type Element,
  readBoolean,
  readInt,
  readOid,
  TAG,
} from './der.js';
import { goUrlJson } from './go-url.js';
import { asn1AnyValue, nameJson, unmarshalRdnSequence } from './pkix-name.js';
import {
  PK,
  parseAlgorithmIdentifier,
  publicKeyAlgorithmFromOid,
  signatureAlgorithmFromAI,
} from './x509-algorithms.js';
import { ipText } from './x509-certificate.js';
import { type Extension, extensionJson, parseSan } from './x509-extensions.js';
import { parsePublicKey, rightAlign } from './x509-public-key.js';

const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

const fail = (msg: string): never => {
  throw new Asn1Error(msg);
};

/** encoding/asn1's complaint when an element is not of the type a struct field wants. */
const mismatch = (): never => fail("asn1: structure error: tags don't match");

function expect(d: Der, tag: number): Element {
  if (d.empty) return fail('asn1: syntax error: sequence truncated');
  return d.readElement(tag) ?? mismatch();
}

/** pkix.AttributeTypeAndValueSET, or undefined when the attribute has another shape. */
function attributeSet(raw: Buffer): Json | undefined {
  const outer = new Der(raw);
  const seq = outer.read(TAG.SEQUENCE);
  if (seq === undefined || !outer.empty) return undefined;
  const d = new Der(seq);
  const type = readOid(d);
  const set = d.read(TAG.SET);
  if (type === undefined || set === undefined) return undefined;
  const values: Json[] = [];
  const sd = new Der(set);
  while (!sd.empty) {
    const inner = sd.read(TAG.SEQUENCE);
    if (inner === undefined) return undefined;
    const atvs: Json[] = [];
    const id = new Der(inner);
    while (!id.empty) {
      const atv = id.read(TAG.SEQUENCE);
      if (atv === undefined) return undefined;
      const a = new Der(atv);
      const t = readOid(a);
      const v = a.readAny();
      if (t === undefined || v === undefined) return undefined;
      const value = asn1AnyValue(v);
      if ('error' in value) return undefined;
      atvs.push({ Type: t, Value: value.value });
    }
    values.push(atvs);
  }
  return { Type: type, Value: values };
}

/** parseCSRExtensions: the extensions of every extensionRequest attribute. */
function requestedExtensions(attributes: readonly Element[]): Extension[] | null {
  let out: Extension[] | null = null;
  for (const attr of attributes) {
    if (attr.tag !== TAG.SEQUENCE) continue;
    const d = new Der(attr.content);
    const id = readOid(d);
    const set = d.read(TAG.SET);
    if (id === undefined || set === undefined) continue;
    const first = new Der(set).readAny();
    if (first === undefined || id.join('.') !== OID_EXTENSION_REQUEST) continue;
    const exts = new Der(first.full).read(TAG.SEQUENCE) ?? mismatch();
    const ed = new Der(exts);
    while (!ed.empty) {
      const e = new Der(ed.read(TAG.SEQUENCE) ?? mismatch());
      const eid = readOid(e) ?? mismatch();
      let critical = false;
      if (e.peek(TAG.BOOLEAN)) critical = readBoolean(e) ?? fail('asn1: syntax error: invalid boolean');
      const value = e.read(TAG.OCTET_STRING) ?? mismatch();
      out ??= [];
      out.push({ id: eid, critical, value });
    }
  }
  return out;
}

/** x509.ParseCertificateRequest, then Go's JSON of the request. */
export function parseCertificateRequest(der: Buffer): JsonObject {
  const top = new Der(der);
  const rawEl = top.readElement(TAG.SEQUENCE) ?? mismatch();
  if (!top.empty) fail('asn1: syntax error: trailing data');
  const csr = new Der(rawEl.content);

  const tbsEl = expect(csr, TAG.SEQUENCE);
  const tbs = new Der(tbsEl.content);
  if (tbs.empty) fail('asn1: syntax error: sequence truncated');
  const version = readInt(tbs) ?? mismatch();
  if (tbs.empty) fail('asn1: syntax error: sequence truncated');
  const subjectEl = tbs.readAny() ?? fail('asn1: syntax error: data truncated');
  const spkiEl = expect(tbs, TAG.SEQUENCE);
  const spki = new Der(spkiEl.content);
  const pkAIContent = expect(spki, TAG.SEQUENCE).content;
  const pkBits =
    decodeBitString(expect(spki, TAG.BIT_STRING).content) ?? fail('asn1: syntax error: invalid BIT STRING');
  const attrsContent = expect(tbs, context(0, true)).content;
  const attributes: Element[] = [];
  const ad = new Der(attrsContent);
  while (!ad.empty) attributes.push(ad.readAny() ?? fail('asn1: syntax error: data truncated'));

  const sigAI = parseAlgorithmIdentifier(expect(csr, TAG.SEQUENCE).content);
  if ('error' in sigAI) return mismatch();
  const sigBits =
    decodeBitString(expect(csr, TAG.BIT_STRING).content) ?? fail('asn1: syntax error: invalid BIT STRING');
  const pkAI = parseAlgorithmIdentifier(pkAIContent);
  if ('error' in pkAI) return mismatch();

  const publicKeyAlgorithm = publicKeyAlgorithmFromOid(pkAI.oid);
  let publicKey: Json = null;
  if (publicKeyAlgorithm !== PK.Unknown) {
    const parsed = parsePublicKey(pkAI, pkBits, spkiEl.full);
    if ('error' in parsed) fail(parsed.error);
    else publicKey = parsed.json;
  }

  const rdns = unmarshalRdnSequence(subjectEl.full);
  if ('error' in rdns) return fail(rdns.error);

  const attributeSets = attributes.map((a) => attributeSet(a.full)).filter((a): a is Json => a !== undefined);
  const extensions = requestedExtensions(attributes);
  let san: ReturnType<typeof parseSan> = {
    dnsNames: null,
    emailAddresses: null,
    ipAddresses: null,
    uris: null,
  };
  for (const e of extensions ?? []) if (e.id.join('.') === OID_SAN) san = parseSan(e.value);

  return {
    Raw: rawEl.full.toString('base64'),
    RawTBSCertificateRequest: tbsEl.full.toString('base64'),
    RawSubjectPublicKeyInfo: spkiEl.full.toString('base64'),
    RawSubject: subjectEl.full.toString('base64'),
    Version: version,
    Signature: rightAlign(sigBits).toString('base64'),
    SignatureAlgorithm: signatureAlgorithmFromAI(sigAI),
    PublicKeyAlgorithm: publicKeyAlgorithm,
    PublicKey: publicKey,
    Subject: nameJson(rdns),
    Attributes: attributeSets.length === 0 ? null : attributeSets,
    Extensions: extensions === null ? null : extensions.map(extensionJson),
    ExtraExtensions: null,
    DNSNames: san.dnsNames,
    EmailAddresses: san.emailAddresses,
    IPAddresses: san.ipAddresses === null ? null : san.ipAddresses.map(ipText),
    URIs: san.uris === null ? null : san.uris.map(goUrlJson),
  };
}
