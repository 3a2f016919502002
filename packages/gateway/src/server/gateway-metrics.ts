import type { ApprovalRequest, AuditRecord, DecisionResult } from '@portcullis/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's Prometheus metrics, on a registry of its own so several gateways can share a process. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #decisions: Counter<'effect' | 'resource'>;
  readonly #latency: Histogram<'resource'>;
  readonly #approvals: Counter<'outcome'>;
  readonly #approvalWait: Histogram<'outcome'>;
  readonly #bytes: Counter<'resource' | 'type'>;
  readonly #audited: Counter<'resource' | 'stage'>;

  /**
   * `lanes`: what each PostgreSQL resource's native lane has relayed since it started (the
   * pg proxy's `nativeLane`), read at each scrape. `catalogIdle`: the server backends each
   * PostgreSQL resource keeps for later sessions' catalog lookups (the pg proxy's `catalogIdle`);
   * `upstreamIdle`, those it keeps, reset, to run later sessions on (`upstreamReuse`).
   */
  constructor(
    sessions: () => Record<string, number>,
    lanes: () => Record<string, { readonly statements: number; readonly handoffs: number }> = () => ({}),
    catalogIdle: () => Record<string, number> = () => ({}),
    upstreamIdle: () => Record<string, number> = () => ({}),
  ) {
    this.#decisions = new Counter({
      name: 'portcullis_decisions_total',
      help: 'Decisions made, by effect and resource',
      labelNames: ['effect', 'resource'],
      registers: [this.registry],
    });
    this.#latency = new Histogram({
      name: 'portcullis_decision_duration_seconds',
      help: 'Time to decide one statement (facts, policy, credential check)',
      labelNames: ['resource'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.#approvals = new Counter({
      name: 'portcullis_approval_votes_total',
      help: 'Votes cast through the approvals API, by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.#approvalWait = new Histogram({
      name: 'portcullis_approval_wait_seconds',
      help: 'Time from an approval request to the vote that settled it, by outcome (approved, denied)',
      labelNames: ['outcome'],
      // Humans answer in seconds to hours; the default wait limit is minutes.
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400],
      registers: [this.registry],
    });
    this.#bytes = new Counter({
      name: 'portcullis_response_bytes_total',
      help: 'Bytes delivered to clients after masking, by resource and resource type',
      labelNames: ['resource', 'type'],
      registers: [this.registry],
    });
    this.#audited = new Counter({
      name: 'portcullis_audit_records_total',
      help: 'Audit records written, by resource and stage (decision, completion, session_start, session_end)',
      labelNames: ['resource', 'stage'],
      registers: [this.registry],
    });
    laneCounter(this.registry, lanes, 'statements', {
      name: 'portcullis_pg_native_lane_statements_total',
      help: 'Statements a PostgreSQL resource relayed on its native lane (in C, each with its audit records), by resource; counted as each session hands back or ends',
    });
    laneCounter(this.registry, lanes, 'handoffs', {
      name: 'portcullis_pg_native_lane_handoffs_total',
      help: "Times a PostgreSQL resource's native lane handed a session back to JavaScript, by resource",
    });
    resourceGauge(this.registry, catalogIdle, {
      name: 'portcullis_pg_catalog_idle_connections',
      help: "Server backends a PostgreSQL resource keeps open for later sessions' catalog lookups, by resource",
    });
    resourceGauge(this.registry, upstreamIdle, {
      name: 'portcullis_pg_upstream_idle_connections',
      help: 'Server backends a PostgreSQL resource keeps open, reset, for later sessions (upstream.reuse), by resource',
    });
    resourceGauge(this.registry, sessions, {
      name: 'portcullis_sessions',
      help: 'Open client sessions, by resource',
    });
  }

  observeDecision(result: DecisionResult, elapsedMs: number): void {
    const resource = result.input.resource.name;
    this.#decisions.inc({ effect: result.decision.effect, resource });
    this.#latency.observe({ resource }, elapsedMs / 1000);
  }

  /** Counts a record once the audit sink has stored it; completion records carry the bytes sent. */
  observeAudit(record: AuditRecord): void {
    const resource = record.resource.name;
    const stage = record.stage ?? 'decision';
    this.#audited.inc({ resource, stage });
    // session_end repeats the session's total; completions already counted each response.
    if (stage === 'completion' && record.response)
      this.#bytes.inc({ resource, type: record.resource.type }, record.response.bytes);
  }

  /** `settled`: the request as the vote left it; its wait is observed once the vote decided it. */
  observeVote(outcome: 'approve' | 'deny' | 'refused', settled?: ApprovalRequest): void {
    this.#approvals.inc({ outcome });
    if (!settled?.decided_at || (settled.state !== 'approved' && settled.state !== 'denied')) return;
    const waited = Date.parse(settled.decided_at) - Date.parse(settled.created_at);
    if (Number.isFinite(waited))
      this.#approvalWait.observe({ outcome: settled.state }, Math.max(0, waited) / 1000);
  }
}

/**
 * A counter that follows a running total read at each scrape (the pg proxy counts, the
 * registry reports): it goes up by what the total has grown since the last scrape.
 */
function laneCounter(
  registry: Registry,
  lanes: () => Record<string, { readonly statements: number; readonly handoffs: number }>,
  which: 'statements' | 'handoffs',
  names: { name: string; help: string },
): void {
  const seen = new Map<string, number>();
  new Counter({
    ...names,
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const [resource, lane] of Object.entries(lanes())) {
        const total = lane[which];
        // Shown from the first scrape on, at 0 until the lane relays anything.
        this.inc({ resource }, Math.max(0, total - (seen.get(resource) ?? 0)));
        seen.set(resource, total);
      }
    },
  });
}

/** A gauge by resource, read at each scrape. */
function resourceGauge(
  registry: Registry,
  read: () => Record<string, number>,
  names: { name: string; help: string },
): void {
  new Gauge({
    ...names,
    labelNames: ['resource'],
    registers: [registry],
    collect() {
      for (const [resource, n] of Object.entries(read())) this.set({ resource }, n);
    },
  });
}
