import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  type Masker,
  maskHeaderField,
  maskHeaderRecord,
  maskHeaderValue,
  maskStatusText,
  masksHeaders,
} from '@portcullis/core';

/**
 * Mask a ServerResponse's headers at the moment they go out, whatever sends them: the
 * implicit writeHead of a first write or end, an explicit writeHead (its own header argument
 * included), early hints and trailers. Stays in place for the life of the response, so a
 * body that needs no masking still gets masked headers.
 */
export function maskResponseHeaders(res: ServerResponse, masker: Masker): void {
  if (!masksHeaders(masker)) return;
  const writeHead = res.writeHead;
  res.writeHead = function headerMaskedWriteHead(this: ServerResponse, status: number, ...rest: unknown[]) {
    const given = rest.find((r) => typeof r === 'object' && r !== null);
    // An odd list is Node's to refuse, as it would without us.
    const valid = !Array.isArray(given) || given.length % 2 === 0;
    if (!this.headersSent && valid) {
      // The reason phrase goes out with the headers and can carry the same data.
      if (typeof rest[0] === 'string') rest[0] = maskStatusText(masker, rest[0]);
      else if (this.statusMessage) this.statusMessage = maskStatusText(masker, this.statusMessage);
      // Headers given to writeHead join the response's own as Node joins them (a list replaces
      // same-named headers and keeps its own repeats; an object's entries override), so all
      // are masked alike.
      if (Array.isArray(given)) {
        for (let i = 0; i < given.length; i += 2) this.removeHeader(String(given[i]));
        for (let i = 0; i < given.length; i += 2) this.appendHeader(String(given[i]), given[i + 1] as string);
      } else if (given !== undefined) {
        for (const [k, v] of Object.entries(given as OutgoingHttpHeaders))
          if (v !== undefined) this.setHeader(k, v);
      }
      for (const name of this.getHeaderNames()) {
        const value = this.getHeader(name);
        const masked = maskHeaderField(masker, name, value);
        if (masked !== value && masked !== undefined) this.setHeader(name, masked);
      }
      rest = rest.filter((r) => typeof r !== 'object' || r === null);
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
  } as ServerResponse['writeHead'];

  const addTrailers = res.addTrailers;
  res.addTrailers = function headerMaskedTrailers(this: ServerResponse, headers) {
    const record: Record<string, string> = {};
    for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers))
      record[String(name)] = maskHeaderValue(masker, String(name), String(value));
    addTrailers.call(this, record);
  };

  const earlyHints = res.writeEarlyHints;
  res.writeEarlyHints = function headerMaskedHints(this: ServerResponse, hints, callback) {
    earlyHints.call(this, maskHeaderRecord(masker, { ...hints }), callback);
  };
}
