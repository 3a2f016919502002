import { createMasker, type Decision, type Masker } from '@portcullis/core';
import type { SessionContext } from '../proxy/session-context.js';

/**
 * A masker for the decision's detector and pattern rules, or undefined when there is nothing
 * to mask on a byte stream (column and path rules have no meaning there).
 */
export function maskerFor(session: SessionContext, decision: Decision): Masker | undefined {
  const rules = decision.masks.filter((m) => 'detector' in m || 'pattern' in m);
  if (rules.length === 0) return undefined;
  const hashKey = session.options.masking?.hashKey;
  return createMasker({ rules, ...(hashKey === undefined ? {} : { hashKey }) });
}
