import { CommandHandler } from '@nestjs/cqrs';
import { DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../drop-command';
import { DropWriter } from '../drop-writer';

export type LifecycleAction =
  | { type: 'OpenEarlyAccess' }
  | { type: 'OpenPreOrderWindow' }
  | { type: 'ClosePreOrderWindow' }
  | { type: 'CancelDrop'; reason: string }
  | { type: 'RequestRefunds'; maxCount: number }
  | { type: 'CompleteDrop' };

/** Moves a drop along its lifecycle (ops over HTTP, or the scheduler); answers with the drop's view. */
export class DropLifecycleCommand extends DropCommandMessage<ReturnType<typeof toDropView>> {
  constructor(dropId: string, action: LifecycleAction, context: CommandContext) {
    super({ ...action, dropId, now: context.occurredAt }, context);
  }
  answer(state: DropState): ReturnType<typeof toDropView> {
    return toDropView(state);
  }
}

@CommandHandler(DropLifecycleCommand)
export class DropLifecycleHandler extends DropCommandHandler<DropLifecycleCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
