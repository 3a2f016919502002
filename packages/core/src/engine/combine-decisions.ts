import { canonicalJson } from '../audit/canonical-json.js';
import type { Decision, Effect } from '../contract.js';
import { failureDecision } from './failure-decision.js';

const RANK: Record<Effect, number> = { allow: 0, approve: 1, deny: 2 };

/**
 * Combine the decisions for several statements, or of several policies, into one: the
 * strongest effect wins (deny > approve > allow), reasons and masks are concatenated (exact
 * duplicates dropped) so every mask still applies, and the approval block is that of the
 * first approve. Limits combine to the tightest of each. An empty list is a deny: no decision
 * is never an allow.
 */
export function combineDecisions(decisions: readonly Decision[]): Decision {
  if (decisions.length === 0) return failureDecision('no_decision', 'there was no decision to combine');
  let effect: Effect = 'allow';
  const reasons: Decision['reasons'] = [];
  const masks: Decision['masks'] = [];
  const seenReasons = new Set<string>();
  const seenMasks = new Set<string>();
  let approval: Decision['approval'];
  let affectedRows: number | undefined;
  for (const d of decisions) {
    const rows = d.limits?.affected_rows;
    if (rows !== undefined && (affectedRows === undefined || rows < affectedRows)) affectedRows = rows;
    if (RANK[d.effect] > RANK[effect]) effect = d.effect;
    if (d.effect === 'approve' && approval === undefined && d.approval !== undefined)
      approval = structuredClone(d.approval);
    for (const r of d.reasons) {
      const key = canonicalJson(r);
      if (seenReasons.has(key)) continue;
      seenReasons.add(key);
      reasons.push({ ...r });
    }
    for (const m of d.masks) {
      const key = canonicalJson(m);
      if (seenMasks.has(key)) continue;
      seenMasks.add(key);
      masks.push({ ...m });
    }
  }
  const combined: Decision = { effect, reasons, masks };
  if (effect === 'approve' && approval !== undefined) combined.approval = approval;
  if (effect !== 'deny' && affectedRows !== undefined) combined.limits = { affected_rows: affectedRows };
  return combined;
}
