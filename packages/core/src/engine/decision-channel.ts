import diagnosticsChannel from 'node:diagnostics_channel';
import type { DecisionResult } from './decision-result.js';

/** Name of the `node:diagnostics_channel` channel every decision is published on. */
export const DECISION_CHANNEL = 'portcullis:decision';

/** Subscribers receive the whole DecisionResult; treat it as read-only. */
export const decisionChannel = diagnosticsChannel.channel(DECISION_CHANNEL);

export function publishDecision(result: DecisionResult): void {
  if (decisionChannel.hasSubscribers) decisionChannel.publish(result);
}
