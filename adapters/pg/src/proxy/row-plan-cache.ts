import type { MaskContext, RowPlan } from './mask-plan.js';

/** Distinct result shapes remembered per mask context; past it they are planned afresh. */
export const ROW_PLANS_PER_CONTEXT = 256;

interface ContextPlans {
  byBytes: Map<string, RowPlan>;
  /** The description last looked up or stored, own copy, so a repeat skips the string key. */
  lastBytes: Buffer | undefined;
  lastPlan: RowPlan | undefined;
}

/**
 * Row plans of one session by mask context and by the exact bytes of a RowDescription
 * body. A plan is made from the description, the mask context and what the session's catalog
 * lookups found, so the same bytes under the same context plan the same way: a repeated
 * query, or a prepared statement's portal described on every execution, is planned once.
 * Plans built from a statement's own facts (`statementBound`, for unresolved columns) hold
 * for that statement only and are never kept. A different description is a different key,
 * byte for byte. Descriptions are copied, never held: they may be views of a read buffer the
 * socket reuses.
 */
export class RowPlanCache {
  private contexts = new WeakMap<MaskContext, ContextPlans>();

  /** Forget every plan: what the catalog said may have changed (see forgetCatalog). */
  clear(): void {
    this.contexts = new WeakMap();
  }

  get(context: MaskContext, description: Buffer): RowPlan | undefined {
    const plans = this.contexts.get(context);
    if (!plans) return undefined;
    if (plans.lastBytes?.equals(description)) return plans.lastPlan;
    const plan = plans.byBytes.get(description.toString('latin1'));
    if (plan) {
      plans.lastBytes = Buffer.from(description);
      plans.lastPlan = plan;
    }
    return plan;
  }

  set(context: MaskContext, description: Buffer, plan: RowPlan): void {
    if (plan.statementBound || plan.context !== context) return;
    let plans = this.contexts.get(context);
    if (!plans) {
      plans = { byBytes: new Map(), lastBytes: undefined, lastPlan: undefined };
      this.contexts.set(context, plans);
    }
    if (plans.byBytes.size >= ROW_PLANS_PER_CONTEXT) plans.byBytes.clear();
    plans.byBytes.set(description.toString('latin1'), plan);
    plans.lastBytes = Buffer.from(description);
    plans.lastPlan = plan;
  }
}
