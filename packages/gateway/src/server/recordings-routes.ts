import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Identity } from '../identity/identity.js';
import { escapeHtml as e, sendHtml } from './http-helpers.js';

const CAST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.cast$/;
const ASSETS: Record<string, { file: string; type: string }> = {
  'asciinema-player.min.js': { file: 'asciinema-player.min.js', type: 'text/javascript; charset=utf-8' },
  'asciinema-player.css': { file: 'asciinema-player.css', type: 'text/css; charset=utf-8' },
};

/** Starts the player on the element that names its recording; a file, because the CSP allows no inline script. */
const PLAY_JS = `const el = document.getElementById('player');
window.player = AsciinemaPlayer.create(el.dataset.src, el, { autoPlay: true, speed: 4, idleTimeLimit: 1 });
`;

/**
 * The player page runs the player's own script and its WebAssembly terminal, and fetches the
 * recording from this origin; nothing else is allowed.
 */
const PLAYER_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; form-action 'self'";

const require = createRequire(import.meta.url);
/** The player's bundle directory, found through the package's own exports map. */
const playerDir = (): string =>
  require.resolve('asciinema-player/dist/bundle/asciinema-player.css').replace(/asciinema-player\.css$/, '');

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}`;

function layout(title: string, head: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>`;
}

interface CastSummary {
  name: string;
  size: number;
  title: string;
  timestamp?: number;
}

async function summarise(dir: string, name: string): Promise<CastSummary | undefined> {
  try {
    const path = join(dir, name);
    const info = await stat(path);
    // The header is the first line; reading a bounded prefix keeps a huge recording cheap to list.
    const file = await open(path, 'r');
    let prefix: string;
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      prefix = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
    const header = JSON.parse(prefix.split('\n', 1)[0] ?? '{}') as { title?: string; timestamp?: number };
    return {
      name,
      size: info.size,
      title: typeof header.title === 'string' ? header.title : '',
      ...(typeof header.timestamp === 'number' ? { timestamp: header.timestamp } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The recordings page: a list of the SSH sessions recorded (asciicast v2 files in `dir`) and
 * a player for each, using asciinema's own web player. Viewing needs the same sign-in as the
 * approvals page; the `.cast` files are also served to bearer tokens for tooling.
 */
export function recordingsRoutes(dir: string) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, who: Identity | null): Promise<void> => {
    const rest = url.pathname.slice('/recordings'.length).replace(/^\//, '');
    if (req.method !== 'GET') return sendHtml(res, 405, '<p>Method not allowed</p>');
    if (rest === 'assets/play.js') {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'max-age=3600',
      });
      res.end(PLAY_JS);
      return;
    }
    if (rest.startsWith('assets/')) {
      const asset = ASSETS[rest.slice('assets/'.length)];
      if (!asset) return sendHtml(res, 404, '<p>Not found</p>');
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'max-age=3600' });
      createReadStream(join(playerDir(), asset.file)).pipe(res);
      return;
    }
    if (!who)
      return sendHtml(
        res,
        401,
        layout(
          'Portcullis recordings',
          '',
          '<p>Sign in on the <a href="/approvals">approvals page</a> first.</p>',
        ),
      );
    if (rest === '') {
      let names: string[] = [];
      try {
        names = (await readdir(dir)).filter((n) => CAST_NAME.test(n));
      } catch {
        names = [];
      }
      const rows = (await Promise.all(names.map((n) => summarise(dir, n))))
        .filter((c): c is CastSummary => c !== undefined)
        .sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0))
        .map(
          (c) =>
            `<tr><td><a href="/recordings/${encodeURIComponent(c.name.replace(/\.cast$/, ''))}">${e(c.name)}</a></td><td>${e(
              c.title,
            )}</td><td>${c.timestamp ? e(new Date(c.timestamp * 1000).toISOString()) : ''}</td><td>${c.size}</td></tr>`,
        )
        .join('');
      return sendHtml(
        res,
        200,
        layout(
          'Portcullis recordings',
          '',
          `<h1>Recorded sessions</h1>${
            rows === ''
              ? '<p id="no-recordings">No sessions recorded yet.</p>'
              : `<table id="recordings"><thead><tr><th>recording</th><th>title</th><th>started</th><th>bytes</th></tr></thead><tbody>${rows}</tbody></table>`
          }`,
        ),
      );
    }
    const name = rest.endsWith('.cast') ? rest : `${rest}.cast`;
    if (!CAST_NAME.test(name)) return sendHtml(res, 404, '<p>Not found</p>');
    const path = join(dir, name);
    try {
      await stat(path);
    } catch {
      return sendHtml(res, 404, '<p>No such recording</p>');
    }
    if (rest.endsWith('.cast')) {
      res.writeHead(200, { 'content-type': 'application/x-asciicast', 'cache-control': 'no-store' });
      createReadStream(path).pipe(res);
      return;
    }
    const src = `/recordings/${encodeURIComponent(name)}`;
    return sendHtml(
      res,
      200,
      layout(
        `Recording ${name}`,
        '<link rel="stylesheet" href="/recordings/assets/asciinema-player.css"><script src="/recordings/assets/asciinema-player.min.js"></script>',
        `<p><a href="/recordings">All recordings</a></p><h1>${e(name)}</h1><div id="player" data-src="${e(src)}"></div>
<script src="/recordings/assets/play.js"></script>`,
      ),
      { 'content-security-policy': PLAYER_CSP },
    );
  };
}
