import { describe, expect, test } from 'vitest';
import { createScramClient } from '../upstream/scram-client.js';
import { createScramServerExchange, createScramVerifier, parseScramVerifier } from './scram-server.js';

const mock = { key: Buffer.alloc(32, 7), user: 'alice' };

async function exchange(verifier: string | undefined, password: string) {
  const client = createScramClient(password);
  const server = createScramServerExchange(verifier ? parseScramVerifier(verifier) : undefined, mock);
  const serverFirst = server.serverFirst(client.clientFirst);
  const final = server.serverFinal(await client.respond(serverFirst));
  if (final !== undefined) client.verify(final);
  return final;
}

describe('SCRAM-SHA-256, server side', () => {
  test('our client and our server agree on the right password, and the client checks the server', async () => {
    const verifier = createScramVerifier('s3cret', { iterations: 4096 });
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[^$]+\$[^:]+:.+$/);
    expect(await exchange(verifier, 's3cret')).toMatch(/^v=/);
  });

  test('a wrong password and a mock exchange both fail at the end', async () => {
    const verifier = createScramVerifier('s3cret');
    expect(await exchange(verifier, 'wrong')).toBeUndefined();
    expect(await exchange(undefined, 's3cret')).toBeUndefined();
  });

  test('a mock exchange for an unknown user offers a stable salt', () => {
    const a = createScramServerExchange(undefined, mock).serverFirst('n,,n=,r=abc');
    const b = createScramServerExchange(undefined, mock).serverFirst('n,,n=,r=abc');
    expect(a.split(',')[1]).toBe(b.split(',')[1]);
  });

  test('channel binding it did not offer, and malformed messages, are protocol errors', () => {
    const server = createScramServerExchange(parseScramVerifier(createScramVerifier('x')), mock);
    expect(() => server.serverFirst('p=tls-server-end-point,,n=,r=abc')).toThrow(/channel binding/);
    expect(() => server.serverFirst('garbage')).toThrow(/malformed/);
    server.serverFirst('n,,n=,r=abc');
    expect(() => server.serverFinal('c=eSws,r=abc,p=AAAA')).toThrow(/channel binding/);
  });

  test('with channel binding offered: a binding client is checked, a downgrade refused', () => {
    const binding = Buffer.alloc(32, 9);
    const plus = () => createScramServerExchange(parseScramVerifier(createScramVerifier('x')), mock, binding);
    // 'y': the client could bind but was told PLUS is not offered, so someone removed it.
    expect(() => plus().serverFirst('y,,n=,r=abc', 'SCRAM-SHA-256')).toThrow(/negotiation error/);
    expect(() => plus().serverFirst('n,,n=,r=abc', 'SCRAM-SHA-256-PLUS')).toThrow(/no channel binding/);
    expect(() => plus().serverFirst('p=tls-server-end-point,,n=,r=abc', 'SCRAM-SHA-256')).toThrow(
      /carries channel binding/,
    );
    expect(() => plus().serverFirst('p=tls-unique,,n=,r=abc', 'SCRAM-SHA-256-PLUS')).toThrow(/unsupported/);
    // 'n' on a PLUS-capable connection is a client that cannot bind: allowed, as PostgreSQL does.
    expect(plus().serverFirst('n,,n=,r=abc', 'SCRAM-SHA-256')).toMatch(/^r=abc/);

    const header = 'p=tls-server-end-point,,';
    const server = plus();
    const nonce = /^r=([^,]+)/.exec(server.serverFirst(`${header}n=,r=abc`, 'SCRAM-SHA-256-PLUS'))?.[1];
    const bound = (data: Buffer) => Buffer.concat([Buffer.from(header), data]).toString('base64');
    // Bound to another certificate (a relay in between): refused before the proof is looked at.
    expect(() => server.serverFinal(`c=${bound(Buffer.alloc(32, 1))},r=${nonce},p=AAAA`)).toThrow(
      /channel binding does not match/,
    );
    // The right binding data gets as far as the proof (a wrong one here).
    expect(
      server.serverFinal(`c=${bound(binding)},r=${nonce},p=${Buffer.alloc(32).toString('base64')}`),
    ).toBe(undefined);
  });

  test('parses only well-formed verifiers', () => {
    expect(parseScramVerifier('md5abc')).toBeUndefined();
    expect(parseScramVerifier('SCRAM-SHA-256$0:AAAA$AAAA:AAAA')).toBeUndefined();
  });
});

describe('SCRAM-SHA-256-PLUS: our client against our server', () => {
  const verifier = createScramVerifier('s3cret', { iterations: 4096 });
  async function plus(clientBinding: Buffer | 'unoffered' | undefined, serverBinding: Buffer | undefined) {
    const client = createScramClient('s3cret', clientBinding === undefined ? {} : { binding: clientBinding });
    const server = createScramServerExchange(parseScramVerifier(verifier), mock, serverBinding);
    const final = server.serverFinal(
      await client.respond(server.serverFirst(client.clientFirst, client.mechanism)),
    );
    if (final !== undefined) client.verify(final);
    return {
      mechanism: client.mechanism,
      header: client.clientFirst.slice(0, client.clientFirst.indexOf(',,') + 2),
      final,
    };
  }
  const certificateHash = Buffer.alloc(32, 1);

  test('bound to the same certificate hash, the exchange succeeds as PLUS', async () => {
    expect(await plus(certificateHash, certificateHash)).toMatchObject({
      mechanism: 'SCRAM-SHA-256-PLUS',
      header: 'p=tls-server-end-point,,',
      final: expect.stringMatching(/^v=/),
    });
  });

  test('bound to another certificate (a man in the middle), the proof is refused', async () => {
    await expect(plus(Buffer.alloc(32, 2), certificateHash)).rejects.toThrow(
      /channel binding does not match/,
    );
  });

  test("'y' to a server that offered PLUS is refused (a downgrade); 'n' and 'y' pass where none was offered", async () => {
    await expect(plus('unoffered', certificateHash)).rejects.toThrow();
    expect(await plus('unoffered', undefined)).toMatchObject({ mechanism: 'SCRAM-SHA-256', header: 'y,,' });
    expect(await plus(undefined, undefined)).toMatchObject({
      header: 'n,,',
      final: expect.stringMatching(/^v=/),
    });
  });
});
