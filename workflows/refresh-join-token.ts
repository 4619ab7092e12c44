/**
 * The states every workflow that adds nodes starts them with: a fresh bootstrap token minted
 * on a control-plane instance (tokens live two hours: the create-time one is long gone),
 * waited for until it is in Parameter Store.
 */
import { poll, ref, task, type Node } from './lib/builder';
import { step as checkCommand } from '../functions/commands/check-command';
import { step as sendRefreshJoinToken } from '../functions/nodes/send-refresh-join-token';

/** `round`: where the workflow keeps which token this is, when it mints more than one (a rolling update's batch). */
export function refreshJoinToken(comment: string, round?: string): Node[] {
  return [
    task(sendRefreshJoinToken, { comment, ...(round ? { params: { round: ref(round) } } : {}), result: '$.tokenCommand' }),
    ...poll(checkCommand, {
      name: 'CheckRefreshJoinToken',
      params: { commandId: ref('$.tokenCommand.commandId'), instanceId: ref('$.tokenCommand.instanceId'), step: 'RefreshJoinToken' },
      result: null,
      every: 2,
      deadline: 300,
    }),
  ];
}
