import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { parseRequestLine } from './index.js';

describe('parseRequestLine', () => {
  it('reads one JSON-lines request', () => {
    const line =
      '{"subject":{"id":"alice"},"resource":{"type":"postgres","name":"db","labels":{"env":"prod"}},"sql":"DROP TABLE x"}';
    expect(parseRequestLine(line)).toEqual({
      subject: { id: 'alice' },
      resource: { type: 'postgres', name: 'db', labels: { env: 'prod' } },
      sql: 'DROP TABLE x',
    });
  });

  it('reads command and http lines', () => {
    expect(
      parseRequestLine('{"subject":{"id":"a"},"resource":{"type":"ssh","name":"h"},"command":"ls"}').command,
    ).toBe('ls');
    const http = parseRequestLine(
      '{"subject":{"id":"a"},"resource":{"type":"http","name":"api"},"http":{"method":"GET","url":"https://x/"}}',
    );
    expect(http.http?.method).toBe('GET');
  });

  it('rejects a line that is not JSON or not an object', () => {
    expect(() => parseRequestLine('{"subject":')).toThrow(InvalidRequestError);
    expect(() => parseRequestLine('[1]')).toThrow(/JSON object/);
  });

  it('rejects a line that is not a valid request, naming the field', () => {
    expect(() =>
      parseRequestLine('{"subject":{"id":"a"},"resource":{"type":"x","name":"n"},"sql":"s"}'),
    ).toThrow(/resource\.type/);
  });
});
