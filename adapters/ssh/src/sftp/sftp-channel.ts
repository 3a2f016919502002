/**
 * The `sftp` subsystem, served by the proxy itself: the client's SFTP requests are parsed
 * here (ssh2's SFTP server), each operation that reads, changes or lists something is
 * decided as an `action: 'file'` request, and what is allowed is relayed to the host's own
 * sftp-server over one upstream sftp channel. Refusals answer with SSH_FX_PERMISSION_DENIED
 * and the reasons on the channel's stderr (OpenSSH's sftp prints only the status name, so
 * stderr is where a person sees why).
 *
 * Decided: open (read / write), opendir (list), remove, rename, mkdir, rmdir, setstat and
 * fsetstat (setstat of the handle's path), symlink, and realpath and readlink, whose answers
 * are names: decided as a listing of the path asked about, and masked as its names would be.
 * Relayed without a decision: read, write and readdir on handles the proxy handed out for a
 * decided open, fstat, close, and stat and lstat (they change nothing, answer with no name,
 * and sftp clients send them for every path they touch). A readdir's names get the masks of
 * its opendir's decision. Extended requests are refused: the proxy advertises no extensions, so clients
 * fall back to the plain requests.
 */

import type { FileFacts, Masker } from '@portcullis/core';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';
import { maskerFor } from '../exec/mask-for.js';
import { type Attempt, attemptSummary, decideAttempt, denyMessage } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { utils } from '../ssh2-runtime.js';
import { openFacts } from './file-facts.js';

const { STATUS_CODE } = utils.sftp;

/** The largest read relayed in one request; clients accept short reads. */
const MAX_READ = 256 * 1024;

interface OpenHandle {
  upstream: Buffer;
  path: string;
  kind: 'file' | 'dir';
  /** A listing's masks (its decision's detector and pattern rules). */
  masker?: Masker;
}

export interface SftpRelayOptions {
  /** Where a refusal's explanation goes (the channel's stderr). */
  explain: (text: string) => void;
  signal: AbortSignal;
}

/**
 * Relay one sftp session between the client (`client`, server mode) and the host. Listeners
 * go on at once, since a client sends requests as soon as it has the version; each waits for
 * `upstream` (undefined when the session was refused or the host is unavailable), in order.
 */
export function relaySftp(
  session: SessionContext,
  client: SFTPWrapper,
  upstream: Promise<SFTPWrapper | undefined>,
  options: SftpRelayOptions,
): void {
  /** Run `fn`; a throw (a request ssh2 will not send on, a channel already gone) fails the request, never the process. */
  const guarded = (reqId: number, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      session.logger?.warn?.({ sessionId: session.id, err }, 'sftp request failed');
      try {
        client.status(reqId, STATUS_CODE.FAILURE, 'the request could not be relayed');
      } catch {
        // The channel is gone.
      }
    }
  };
  const on = <A extends unknown[]>(
    event: string,
    handler: (up: SFTPWrapper, reqId: number, ...args: A) => void,
  ) => {
    (client as unknown as NodeJS.EventEmitter).on(event, (reqId: number, ...args: A) => {
      const unavailable = () =>
        guarded(reqId, () => client.status(reqId, STATUS_CODE.FAILURE, 'sftp is not available'));
      upstream.then(
        (up) => (up ? guarded(reqId, () => handler(up, reqId, ...args)) : unavailable()),
        unavailable,
      );
    });
  };
  const handles = new Map<string, OpenHandle>();
  let nextHandle = 1;

  const issue = (open: OpenHandle): Buffer => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(nextHandle++ >>> 0);
    handles.set(id.toString('hex'), open);
    return id;
  };
  const lookup = (reqId: number, handle: Buffer): OpenHandle | undefined => {
    const open = handles.get(handle.toString('hex'));
    if (!open) client.status(reqId, STATUS_CODE.FAILURE, 'invalid handle');
    return open;
  };
  /** Answer a failed upstream call with the host's status, or FAILURE for anything else. */
  const fail = (reqId: number, err: Error & { code?: unknown }) => {
    const code = typeof err.code === 'number' ? err.code : STATUS_CODE.FAILURE;
    client.status(reqId, code, err.message);
  };
  const done = (reqId: number) => (err: (Error & { code?: unknown }) | null | undefined) => {
    if (err) fail(reqId, err);
    else client.status(reqId, STATUS_CODE.OK);
  };

  /**
   * Decide `file`; run `then` when allowed (with the masker for the decision's detector and
   * pattern masks, if any), otherwise answer PERMISSION_DENIED and say why.
   */
  const decided = (reqId: number, file: FileFacts, then: (masker: Masker | undefined) => void) => {
    const attempt: Attempt = { file };
    const refuse = (why: string) => {
      const message = `portcullis: not run: ${attemptSummary(attempt)}: ${why}`;
      options.explain(message);
      client.status(reqId, STATUS_CODE.PERMISSION_DENIED, message);
    };
    const decidedThen = (verdict: Awaited<ReturnType<typeof decideAttempt>>) => {
      if (options.signal.aborted) return;
      if (verdict.decision.effect === 'allow') {
        let masker: Masker | undefined;
        try {
          masker = maskerFor(session, verdict.decision);
        } catch {
          return refuse('the output masks the policy asks for are not valid');
        }
        // A file transfer is random access and often binary: the stream masks a policy
        // asks for cannot be applied to it, so the read is refused rather than leaked.
        if (masker && file.operation === 'read')
          return refuse('the output masks the policy asks for cannot be applied to a file transfer');
        return then(masker);
      }
      const message = `${verdict.message ?? denyMessage(verdict.decision)}\n  (${attemptSummary(attempt)})`;
      options.explain(message);
      client.status(reqId, STATUS_CODE.PERMISSION_DENIED, firstLine(message));
    };
    decideAttempt(session, attempt, options.explain, options.signal).then(
      (verdict) => guarded(reqId, () => decidedThen(verdict)),
      (err: Error) =>
        guarded(reqId, () => {
          session.logger?.error?.({ sessionId: session.id, err }, 'sftp decision failed');
          options.explain('portcullis: not run: the operation could not be decided');
          client.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'the operation could not be decided');
        }),
    );
  };

  on('OPEN', (up, reqId: number, path: string, pflags: number, attrs: Attributes) => {
    decided(reqId, openFacts(path, pflags), () =>
      up.open(path, pflags, attrs, (err, handle) => {
        if (err) return fail(reqId, err);
        client.handle(reqId, issue({ upstream: handle, path, kind: 'file' }));
      }),
    );
  });
  on('OPENDIR', (up, reqId: number, path: string) => {
    decided(reqId, { operation: 'list', path, protocol: 'sftp' }, (masker) =>
      up.opendir(path, (err, handle) => {
        if (err) return fail(reqId, err);
        client.handle(reqId, issue({ upstream: handle, path, kind: 'dir', ...(masker ? { masker } : {}) }));
      }),
    );
  });
  on('READ', (up, reqId: number, handle: Buffer, offset: number, length: number) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(length, MAX_READ)));
    up.read(open.upstream, buffer, 0, buffer.length, offset, (err, bytesRead, data) => {
      if (err) return fail(reqId, err);
      if (bytesRead === 0) return client.status(reqId, STATUS_CODE.EOF);
      client.data(reqId, data.subarray(0, bytesRead));
    });
  });
  on('WRITE', (up, reqId: number, handle: Buffer, offset: number, data: Buffer) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    up.write(open.upstream, data, 0, data.length, offset, done(reqId));
  });
  on('READDIR', (up, reqId: number, handle: Buffer) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    // `full` keeps `.` and `..`, which the types do not know of.
    const readdir = up.readdir.bind(up) as unknown as (
      handle: Buffer,
      options: { full: boolean },
      cb: (err: (Error & { code?: unknown }) | undefined, list: FileEntry[]) => void,
    ) => void;
    readdir(open.upstream, { full: true }, (err, list) => {
      if (err) return fail(reqId, err);
      const masker = open.masker;
      // A listing is text, as `ls` through exec is: names (and the owners in longname) are
      // masked as that output would be. A masked name cannot be opened, which is the point.
      client.name(
        reqId,
        masker
          ? list.map((e) => ({
              ...e,
              filename: masker.maskText(e.filename),
              longname: masker.maskText(e.longname),
            }))
          : list,
      );
    });
  });
  on('FSTAT', (up, reqId: number, handle: Buffer) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    up.fstat(open.upstream, (err, stats) => (err ? fail(reqId, err) : client.attrs(reqId, stats)));
  });
  on('FSETSTAT', (up, reqId: number, handle: Buffer, attrs: Attributes) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    decided(reqId, { operation: 'setstat', path: open.path, protocol: 'sftp' }, () =>
      up.fsetstat(open.upstream, attrs, done(reqId)),
    );
  });
  on('CLOSE', (up, reqId: number, handle: Buffer) => {
    const open = lookup(reqId, handle);
    if (!open) return;
    handles.delete(handle.toString('hex'));
    up.close(open.upstream, done(reqId));
  });
  on('STAT', (up, reqId: number, path: string) => {
    up.stat(path, (err, stats) => (err ? fail(reqId, err) : client.attrs(reqId, stats)));
  });
  on('LSTAT', (up, reqId: number, path: string) => {
    up.lstat(path, (err, stats) => (err ? fail(reqId, err) : client.attrs(reqId, stats)));
  });
  /**
   * A name the host resolved (realpath, readlink) says what a listing would: it is decided as
   * a listing of the path asked about and masked as that listing's names are, so a link's
   * target or a home directory named after a person reads as `ls` would show it.
   */
  const resolveName = (
    reqId: number,
    path: string,
    resolve: (cb: (err: (Error & { code?: unknown }) | undefined, name: string) => void) => void,
  ) =>
    decided(reqId, { operation: 'list', path, protocol: 'sftp' }, (masker) =>
      resolve((err, name) => {
        if (err) return fail(reqId, err);
        const shown = masker ? masker.maskText(name) : name;
        client.name(reqId, [{ filename: shown, longname: shown, attrs: {} as Attributes }]);
      }),
    );
  on('REALPATH', (up, reqId: number, path: string) => {
    resolveName(reqId, path, (cb) => up.realpath(path, cb));
  });
  on('READLINK', (up, reqId: number, path: string) => {
    resolveName(reqId, path, (cb) => up.readlink(path, cb));
  });
  on('REMOVE', (up, reqId: number, path: string) => {
    decided(reqId, { operation: 'remove', path, protocol: 'sftp' }, () => up.unlink(path, done(reqId)));
  });
  on('RMDIR', (up, reqId: number, path: string) => {
    decided(reqId, { operation: 'rmdir', path, protocol: 'sftp' }, () => up.rmdir(path, done(reqId)));
  });
  on('MKDIR', (up, reqId: number, path: string, attrs: Attributes) => {
    decided(reqId, { operation: 'mkdir', path, protocol: 'sftp' }, () => up.mkdir(path, attrs, done(reqId)));
  });
  on('SETSTAT', (up, reqId: number, path: string, attrs: Attributes) => {
    decided(reqId, { operation: 'setstat', path, protocol: 'sftp' }, () =>
      up.setstat(path, attrs, done(reqId)),
    );
  });
  on('RENAME', (up, reqId: number, from: string, to: string) => {
    decided(reqId, { operation: 'rename', path: from, target: to, protocol: 'sftp' }, () =>
      up.rename(from, to, done(reqId)),
    );
  });
  // ssh2 undoes OpenSSH's swapped SYMLINK arguments on both sides: here the link comes
  // first, and its client method takes (target, link).
  on('SYMLINK', (up, reqId: number, link: string, target: string) => {
    decided(reqId, { operation: 'symlink', path: link, target, protocol: 'sftp' }, () =>
      up.symlink(target, link, done(reqId)),
    );
  });
  on('EXTENDED', (_up, reqId: number) => {
    client.status(reqId, STATUS_CODE.OP_UNSUPPORTED, 'extension not supported by the proxy');
  });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
