import type { ApprovalRequest, ApprovalStore } from '@portcullis/core';
import type { Request, Response } from 'express';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type HttpAnswer, problem } from './problem-document.js';

/** What a client polling the 202's Location sees: the state, not the reviewers' votes. */
export interface ApprovalStatus {
  approval_id: string;
  state: ApprovalRequest['state'];
  summary: string;
  reasons: ApprovalRequest['reasons'];
  created_at: string;
  expires_at: string;
  decided_at?: string;
  valid_until?: string;
}

/** The answer for `GET <statusPath>/<id>`, whichever framework serves it. */
export async function approvalStatus(store: ApprovalStore, id: string): Promise<HttpAnswer> {
  let request: ApprovalRequest;
  try {
    request = await store.get(id);
  } catch {
    return problem({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: `no approval ${id}`,
    });
  }
  const status: ApprovalStatus = {
    approval_id: request.id,
    state: request.state,
    summary: request.summary,
    reasons: request.reasons,
    created_at: request.created_at,
    expires_at: request.expires_at,
  };
  if (request.decided_at !== undefined) status.decided_at = request.decided_at;
  if (request.valid_until !== undefined) status.valid_until = request.valid_until;
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: status,
  };
}

/** express handler for `app.get('/portcullis/approvals/:id', expressApprovalStatus(store))`. */
export function expressApprovalStatus(store: ApprovalStore) {
  return async (req: Request, res: Response): Promise<void> => {
    const answer = await approvalStatus(store, String(req.params.id ?? ''));
    res.status(answer.status).set(answer.headers).send(JSON.stringify(answer.body));
  };
}

/** fastify handler for `app.get('/portcullis/approvals/:id', fastifyApprovalStatus(store))`. */
export function fastifyApprovalStatus(store: ApprovalStore) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<string> => {
    const answer = await approvalStatus(store, String((request.params as { id?: string }).id ?? ''));
    reply.code(answer.status).headers(answer.headers);
    return JSON.stringify(answer.body);
  };
}
