import type { ApprovalState } from '@portcullis/core';
import { ApprovalsClient } from '../client/approvals-client.js';
import { type CliIo, writeLine } from './cli-io.js';

export interface ApprovalsFlags {
  url?: string;
  token?: string;
  state?: ApprovalState;
  comment?: string;
  json?: boolean;
}

function client(flags: ApprovalsFlags): ApprovalsClient {
  return new ApprovalsClient({
    url: flags.url ?? process.env.PORTCULLIS_URL ?? '',
    token: flags.token ?? process.env.PORTCULLIS_TOKEN ?? '',
  });
}

/** `portcullis approvals list`: one line per request, or JSON with --json. */
export async function runApprovalsList(flags: ApprovalsFlags, io: CliIo): Promise<number> {
  try {
    const requests = await client(flags).list(flags.state ?? 'pending');
    if (flags.json) await writeLine(io.stdout, JSON.stringify(requests));
    else {
      for (const r of requests) {
        const why = r.reasons.map((x) => x.rule).join(',');
        await writeLine(
          io.stdout,
          `${r.id}\t${r.state}\t${r.subject}\t${r.resource}\t${why}\t${r.summary.replace(/\s+/g, ' ')}`,
        );
      }
    }
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis approvals list: ${(err as Error).message}`);
    return 1;
  }
}

/** `portcullis approvals approve|deny <id>`: prints the request's new state. */
export async function runApprovalsVote(
  decision: 'approve' | 'deny',
  id: string,
  flags: ApprovalsFlags,
  io: CliIo,
): Promise<number> {
  try {
    const result = await client(flags).vote(id, decision, flags.comment);
    await writeLine(io.stdout, flags.json ? JSON.stringify(result) : `${result.id}: ${result.state}`);
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis approvals ${decision}: ${(err as Error).message}`);
    return 1;
  }
}
