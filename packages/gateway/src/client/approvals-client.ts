import type { ApprovalRequest, ApprovalState } from '@portcullis/core';
import { GatewayApiError } from '../errors.js';

export interface ApprovalsClientOptions {
  /** The gateway's HTTP base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A reviewer API key. */
  token: string;
}

/** A small client for the gateway's approvals API, used by `portcullis approvals`. */
export class ApprovalsClient {
  readonly #url: string;
  readonly #token: string;

  constructor(options: ApprovalsClientOptions) {
    if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url))
      throw new GatewayApiError(
        'url must be the gateway URL, such as http://127.0.0.1:8080 (--url or PORTCULLIS_URL)',
      );
    if (typeof options.token !== 'string' || options.token === '')
      throw new GatewayApiError('a reviewer API key is required (--token or PORTCULLIS_TOKEN)');
    this.#url = options.url.replace(/\/$/, '');
    this.#token = options.token;
  }

  list(state?: ApprovalState): Promise<ApprovalRequest[]> {
    return this.#call('GET', `/api/approvals${state ? `?state=${state}` : ''}`);
  }

  get(id: string): Promise<ApprovalRequest> {
    return this.#call('GET', `/api/approvals/${encodeURIComponent(id)}`);
  }

  vote(id: string, decision: 'approve' | 'deny', comment?: string): Promise<ApprovalRequest> {
    return this.#call(
      'POST',
      `/api/approvals/${encodeURIComponent(id)}/${decision}`,
      comment ? { comment } : {},
    );
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new GatewayApiError(`cannot reach the gateway at ${this.#url}: ${(err as Error).message}`, 0, {
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch {}
      throw new GatewayApiError(`${method} ${path}: ${res.status} ${detail}`, res.status);
    }
    return JSON.parse(text) as T;
  }
}
