/**
 * Fault injection the embedded Step Functions adds around Task functions (never part of a
 * deployed function): with HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT set (`all`, or a comma
 * list of step names, `EnsureVpc,LaunchControlPlane`), a Task "crashes" once per distinct input
 * AFTER it has done all its work, as a Lambda dying before it could return. The state
 * machine's retry runs it again, which must then create nothing new.
 *
 * The step of a function is its name with a capital first letter (`ensureVpc` runs
 * `EnsureVpc`), the convention test/workflows/definitions.test.ts holds.
 */
const crashed = new Set<string>();

export function crashAfterSideEffect(functionName: string, event: unknown): void {
  const which = process.env.HOPPER_FAULT_CRASH_AFTER_SIDE_EFFECT;
  if (!which) return;
  const step = functionName[0].toUpperCase() + functionName.slice(1);
  if (which !== 'all' && !which.split(',').includes(step)) return;
  const key = `${step}:${JSON.stringify(event)}`;
  if (crashed.has(key)) return;
  crashed.add(key);
  const crash = new Error(`${step} crashed after its side effect (injected fault)`);
  crash.name = 'Lambda.ServiceException';
  throw crash;
}
