/**
 * Dry-run plans, printed the way kops prints them so the output reads familiar:
 *
 *     Will modify resources:
 *       AutoscalingGroup/nodes
 *         MinSize     2 -> 3
 */
import type { PlanChange, PlanView } from '../../shared/api/types';

const HEADINGS: Record<PlanChange['action'], string> = {
  create: 'Will create resources:',
  update: 'Will modify resources:',
  delete: 'Will delete resources:',
};

/** The plan as text (ends with a newline); "No changes need to be applied" when empty. */
export function renderPlan(plan: PlanView): string {
  const changes = plan.changes ?? [];
  if (changes.length === 0) return 'No changes need to be applied\n';
  const out: string[] = [];
  for (const action of ['create', 'update', 'delete'] as const) {
    const group = changes.filter((c) => c.action === action);
    if (group.length === 0) continue;
    out.push(HEADINGS[action]);
    for (const change of group) {
      out.push(`  ${change.kind}/${change.name}`);
      const fields = change.fields ?? [];
      const width = Math.max(0, ...fields.map((f) => f.field.length));
      for (const f of fields) {
        const value = action === 'update' ? `${show(f.from)} -> ${show(f.to)}` : show(action === 'delete' ? (f.from ?? f.to) : f.to);
        out.push(`    ${f.field.padEnd(width)}   ${value}`);
      }
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** Whether a reply is a plan (the dry-run shape) rather than an accepted operation. */
export function isPlan(reply: unknown): reply is PlanView {
  return !!reply && typeof reply === 'object' && Array.isArray((reply as PlanView).changes);
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
