import { describe, expect, it } from 'vitest';
import { JS_BUILTINS } from './index.js';

const sign = (...args: unknown[]) => JS_BUILTINS.get('providers.aws.sign_req')!(...args);
const config = {
  aws_access_key: 'MYAWSACCESSKEYGOESHERE',
  aws_secret_access_key: 'MYAWSSECRETACCESSKEYGOESHERE',
  aws_service: 's3',
  aws_region: 'us-east-1',
};
// 2015-12-28T14:08:25Z, as in OPA's own cases.
const at = 1_451_311_705_000_000_000n;

describe('providers.aws.sign_req', () => {
  it('signs a request as OPA signs it (Signature Version 4, its header and path choices)', () => {
    const signed = sign({ method: 'get', url: 'http://example.com' }, config, at) as {
      headers: Record<string, string>;
    };
    expect(signed.headers).toEqual({
      Authorization:
        'AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3',
      host: 'example.com',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20151228T140825Z',
    });
    const unsigned = sign(
      { method: 'get', url: 'https://example.com', headers: { foo: 'bar' } },
      { ...config, disable_payload_signing: true },
      at,
    ) as { headers: Record<string, string> };
    expect(unsigned.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(unsigned.headers.Authorization).toMatch(
      /SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature=c6e6db65/,
    );
  });

  it('signs the body as Go writes its JSON, or raw_body as given, and the headers the request brings', () => {
    const headers = { foo: 'bar', 'x-amz-content-sha256': 'existing-value' };
    const body = { example: [1, 2, 3, 4] };
    const signature = (req: object, cfg = config) =>
      ((sign(req, cfg, at) as { headers: Record<string, string> }).headers.Authorization ?? '').slice(-64);
    expect(signature({ method: 'get', url: 'https://example.com', headers: { foo: 'bar' }, body })).toBe(
      'f6703a8727ec0a32f81b225a002f622e511e8a7d2ca8914894fcbb7a71d8d9d8',
    );
    // The request's own x-amz-content-sha256 is what is signed; the computed one goes out.
    const withSha = sign({ method: 'get', url: 'https://example.com', headers, body }, config, at) as {
      headers: Record<string, string>;
    };
    expect(withSha.headers.Authorization?.slice(-64)).toBe(
      '42bcac7fc6d170e09be72fdf38b62e59361265bc59d5f9156f0d6faf889e98ba',
    );
    expect(withSha.headers['x-amz-content-sha256']).toBe(
      'bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07',
    );
    expect(
      signature({ method: 'get', url: 'http://example.com', raw_body: '{"example": {1, 2, 3, 4}}', body }),
    ).toBe('5bf26e169cb8b02330dba39d53932532438fc856c2f10537689a09ed807c7195');
  });

  it('names what is missing or of the wrong type, as OPA does', () => {
    expect(() => sign({}, config, at)).toThrow(
      'operand 1 missing required request parameters(s): {"method", "url"}',
    );
    expect(() => sign({ method: 'get', url: 'http://x' }, { example: 'x' }, at)).toThrow(
      'operand 2 missing required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}',
    );
    expect(() =>
      sign({ method: 'get', url: 'http://x' }, { ...config, disable_payload_signing: 'no' }, at),
    ).toThrow("invalid value for 'disable_payload_signing'");
    expect(() => sign({ method: 'get', url: 'http://x' }, config, 1.5)).toThrow('could not convert time_ns');
  });
});
