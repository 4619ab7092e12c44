/**
 * Turns aws-local-stepfunctions' event log into Step Functions history events
 * (GetExecutionHistory's shape). Close to AWS for what Hopper reads — states entered
 * and exited, task attempts and failures, the execution's end — not a byte-for-byte copy.
 */

/** A history event as GetExecutionHistory returns it (timestamp in ms; the endpoint converts). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** The library's event log entry, loosely typed: only the fields read here. */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  index?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
}

const json = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? null));
const text = (value: unknown): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** Builds the history of one execution, event by event. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  /**
   * State transitions as AWS bills them: every state entered, plus every retry attempt
   * (a retried Task counts again in AWS).
   */
  transitions = 0;
  private readonly lastOfState = new Map<string, number>();
  /** Set when the runtime times the execution out itself: the library's abort is then a time-out. */
  timedOut = false;

  /**
   * `now`: the runtime's clock (the clock of execution), which stamps the events as it stamps
   * the execution's start and stop — not the library's wall-clock times, which miss the jumps.
   */
  constructor(
    private readonly resourceOf: (stateName: string) => string,
    private readonly now?: () => number,
  ) {}

  /** Append the history events for one library event. */
  add(event: LibraryEvent): void {
    const state = event.state;
    switch (event.type) {
      case 'ExecutionStarted':
        return this.push(event, 'ExecutionStarted', { executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false } } });
      case 'ExecutionSucceeded':
        return this.push(event, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: json(event.output), outputDetails: { truncated: false } } });
      case 'ExecutionFailed':
        return this.push(event, 'ExecutionFailed', { executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } });
      case 'ExecutionAborted':
        if (this.timedOut) return this.push(event, 'ExecutionTimedOut', { executionTimedOutEventDetails: {} });
        return this.push(event, 'ExecutionAborted', { executionAbortedEventDetails: {} });
      case 'ExecutionTimeout':
        return this.push(event, 'ExecutionTimedOut', { executionTimedOutEventDetails: {} });
      case 'StateEntered':
        if (!state) return;
        this.transitions++;
        this.push(event, `${state.type}StateEntered`, { stateEnteredEventDetails: { name: state.name, input: json(state.input) } }, state.name);
        if (state.type === 'Task') this.taskAttempt(event, state.name);
        return;
      case 'StateRetried':
        if (!state) return;
        this.transitions++;
        if (state.type === 'Task') this.taskAttempt(event, state.name);
        return;
      case 'StateExited':
        if (!state) return;
        if (state.type === 'Task' && !this.lastTaskFailed(state.name)) {
          this.push(event, 'TaskSucceeded', { taskSucceededEventDetails: { ...this.resource(state.name), output: json(state.output) } }, state.name);
        }
        return this.push(event, `${state.type}StateExited`, { stateExitedEventDetails: { name: state.name, output: json(state.output) } }, state.name);
      case 'StateFailed':
        if (state?.type !== 'Task') return;
        return this.push(event, 'TaskFailed', { taskFailedEventDetails: { ...this.resource(state.name), error: event.Error, cause: text(event.Cause) } }, state.name);
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        return this.push(event, event.type, { [key]: { name: event.parentState?.name, index: event.index } });
      }
      default:
        // Parallel branch and catch markers have no history event of their own in AWS.
        return;
    }
  }

  private taskAttempt(event: LibraryEvent, stateName: string): void {
    this.push(event, 'TaskScheduled', { taskScheduledEventDetails: { ...this.resource(stateName), region: 'local', parameters: json(event.state?.input) } }, stateName);
    this.push(event, 'TaskStarted', { taskStartedEventDetails: this.resource(stateName) }, stateName);
  }

  /** After a caught failure the library still reports the state as exited; AWS shows no TaskSucceeded then. */
  private lastTaskFailed(stateName: string): boolean {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.type === 'TaskFailed' && (e.taskFailedEventDetails as { stateName?: string }).stateName === stateName) return true;
      if (e.type === 'TaskStarted' && (e.taskStartedEventDetails as { stateName?: string }).stateName === stateName) return false;
    }
    return false;
  }

  private resource(stateName: string): Record<string, string> {
    // stateName is not an AWS field; it lets lastTaskFailed pair events under Map concurrency.
    return { resourceType: 'lambda', resource: this.resourceOf(stateName), stateName };
  }

  /**
   * As in AWS, an event of a state points at the one before it in that state (a TaskFailed at
   * its TaskStarted, back to the state's entry), so that events name their state even when Map
   * iterations and Parallel branches interleave; an entry points at the event just before.
   */
  private push(event: LibraryEvent, type: string, details: Record<string, unknown>, stateName?: string): void {
    const id = this.events.length + 1;
    const previousEventId = stateName !== undefined && !type.endsWith('StateEntered') ? (this.lastOfState.get(stateName) ?? id - 1) : id - 1;
    if (stateName !== undefined) this.lastOfState.set(stateName, id);
    this.events.push({ id, previousEventId, timestamp: this.now ? this.now() : event.timestamp, type, ...details });
  }
}
