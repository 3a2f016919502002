import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ApprovalRequest,
  type ApprovalState,
  type ApprovalStore,
  isPortcullisError,
} from '@portcullis/core';
import type { Identity } from '../identity/identity.js';
import { approvalsPage, loginPage } from './approvals-page.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { parseCookies, readBody, sendHtml, sendJson, sendProblem } from './http-helpers.js';

export interface GatewayHttpOptions {
  approvals: ApprovalStore;
  metrics: GatewayMetrics;
  /** Who presents this bearer token (API key or OIDC access token), or null. */
  authenticate: (token: string) => Identity | null | Promise<Identity | null>;
  /** The credential exchange (`/api/credentials`, `/api/login`); absent, those routes are 404. */
  credentials?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  ready: () => boolean;
  /** Serves `/recordings` (list, player, .cast files) to signed-in reviewers; absent, 404. */
  recordings?: (req: IncomingMessage, res: ServerResponse, url: URL, who: Identity | null) => Promise<void>;
  /** `settled`: the request after a vote that was accepted. */
  onVote?: (outcome: 'approve' | 'deny' | 'refused', settled?: ApprovalRequest) => void;
}

const STATES = new Set<ApprovalState>(['pending', 'approved', 'denied', 'expired']);
const COOKIE = 'portcullis_reviewer';

const bearer = (req: IncomingMessage): string | undefined => {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-portcullis-token'];
  return typeof header === 'string' ? header : undefined;
};

/** The status an error from the approval store maps to. */
function statusOf(err: unknown): [number, string] {
  const code = isPortcullisError(err) ? err.code : '';
  if (code === 'PC_APPROVAL_NOT_FOUND') return [404, 'Not Found'];
  if (code === 'PC_APPROVAL_STATE') return [409, 'Conflict'];
  if (code === 'PC_INVALID_REQUEST') return [400, 'Bad Request'];
  return [500, 'Internal Server Error'];
}

/**
 * The gateway's HTTP side: health and readiness, Prometheus metrics, the approvals JSON API
 * (reviewers authenticate with an API key in `Authorization: Bearer`) and a server-rendered
 * approvals page (the key is exchanged once for a SameSite=Strict cookie, so plain HTML forms
 * work without scripts, and cross-site form posts carry no cookie).
 */
export function createGatewayHttpServer(options: GatewayHttpOptions): Server {
  const { approvals, metrics } = options;

  async function vote(reviewer: Identity, id: string, decision: 'approve' | 'deny', comment?: string) {
    try {
      const result = await approvals.vote(id, {
        reviewer: reviewer.id,
        reviewerGroups: reviewer.groups,
        decision,
        ...(comment ? { comment } : {}),
      });
      options.onVote?.(decision, result);
      return result;
    } catch (err) {
      options.onVote?.('refused');
      throw err;
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const token = bearer(req);
    const who = token === undefined ? null : await options.authenticate(token);
    if (!who) {
      res.setHeader('www-authenticate', 'Bearer realm="portcullis"');
      return sendProblem(res, 401, 'Unauthorized', 'send a reviewer API key as Authorization: Bearer <key>');
    }
    const parts = url.pathname.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
    try {
      if (req.method === 'GET' && parts.length === 0) {
        const state = url.searchParams.get('state');
        if (state !== null && !STATES.has(state as ApprovalState))
          return sendProblem(res, 400, 'Bad Request', 'state must be pending, approved, denied or expired');
        return sendJson(res, 200, await approvals.list(state ? { state: state as ApprovalState } : {}));
      }
      if (req.method === 'GET' && parts.length === 1)
        return sendJson(res, 200, await approvals.get(parts[0]!));
      if (req.method === 'POST' && parts.length === 2 && (parts[1] === 'approve' || parts[1] === 'deny')) {
        const text = await readBody(req);
        let comment: string | undefined;
        if (text.trim() !== '') {
          const body = JSON.parse(text) as { comment?: unknown };
          if (typeof body.comment === 'string') comment = body.comment;
        }
        return sendJson(res, 200, await vote(who, parts[0]!, parts[1], comment));
      }
      return sendProblem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      if (err instanceof SyntaxError) return sendProblem(res, 400, 'Bad Request', 'the body must be JSON');
      const [status, title] = statusOf(err);
      return sendProblem(
        res,
        status,
        title,
        (err as Error).message,
        isPortcullisError(err) ? err.code : undefined,
      );
    }
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === 'POST' && url.pathname === '/approvals/login') {
      const token = new URLSearchParams(await readBody(req)).get('token') ?? '';
      if (!(await options.authenticate(token)))
        return sendHtml(res, 401, loginPage('That key is not a reviewer key.'));
      res.writeHead(303, {
        location: '/approvals',
        // Path=/ so the recordings page, behind the same sign-in, receives it too.
        'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return;
    }
    const token = parseCookies(req.headers.cookie)[COOKIE];
    const who = token === undefined ? null : await options.authenticate(token);
    if (!who) return sendHtml(res, 200, loginPage());
    let flash: string | undefined;
    const match = /^\/approvals\/([^/]+)\/(approve|deny)$/.exec(url.pathname);
    if (req.method === 'POST' && match) {
      // Belt and braces beside SameSite: a form posted from another origin is refused.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== 'null' && new URL(origin).host !== req.headers.host)
        return sendHtml(res, 403, loginPage('Cross-origin form posts are refused.'));
      try {
        await vote(who, decodeURIComponent(match[1]!), match[2] as 'approve' | 'deny');
        res.writeHead(303, { location: '/approvals' });
        res.end();
        return;
      } catch (err) {
        flash = (err as Error).message;
      }
    } else if (req.method !== 'GET' || url.pathname !== '/approvals') {
      return sendHtml(res, 404, '<p>Not found</p>');
    }
    const all = await approvals.list();
    const pending = all.filter((r) => r.state === 'pending');
    const history = all
      .filter((r) => r.state !== 'pending')
      .reverse()
      .slice(0, 50);
    return sendHtml(res, flash ? 409 : 200, approvalsPage(who.id, pending, history, flash));
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const handle = async () => {
      if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz')
        return options.ready()
          ? sendJson(res, 200, { status: 'ready' })
          : sendJson(res, 503, { status: 'starting' });
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
        return;
      }
      if (url.pathname === '/api/approvals' || url.pathname.startsWith('/api/approvals/'))
        return api(req, res, url);
      if (url.pathname === '/approvals' || url.pathname.startsWith('/approvals/')) return page(req, res, url);
      if (options.recordings && (url.pathname === '/recordings' || url.pathname.startsWith('/recordings/'))) {
        const token = bearer(req) ?? parseCookies(req.headers.cookie)[COOKIE];
        const who = token === undefined ? null : await options.authenticate(token);
        return options.recordings(req, res, url, who);
      }
      if (
        options.credentials &&
        (url.pathname === '/api/credentials' ||
          url.pathname.startsWith('/api/credentials/') ||
          url.pathname === '/api/login')
      )
        return options.credentials(req, res, url);
      return sendProblem(res, 404, 'Not Found', `no route ${url.pathname}`);
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) sendProblem(res, 500, 'Internal Server Error', (err as Error).message);
      else res.destroy();
    });
  });
}

export function listenHttp(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
