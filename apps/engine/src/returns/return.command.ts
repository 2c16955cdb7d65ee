import { CommandHandler } from '@nestjs/cqrs';
import type { DropCommand, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { DropCommandHandler, DropCommandMessage } from '../drops/drop-command';
import { returnView } from '../drops/drop-views';
import { DropWriter } from '../drops/drop-writer';

type ReturnCommandType = Extract<DropCommand, { returnId: string }>;
export type ReturnAction = ReturnCommandType extends infer C ? (C extends ReturnCommandType ? Omit<C, 'dropId' | 'now'> : never) : never;

/** Request, receive or refund a return; answers with the return's view. */
export class ReturnCommand extends DropCommandMessage<ReturnType<typeof returnView>> {
  constructor(dropId: string, action: ReturnAction, context: CommandContext) {
    super({ ...action, dropId, now: context.occurredAt } as DropCommand, context);
  }
  answer(state: DropState) {
    return returnView(state, (this.command as ReturnCommandType).returnId);
  }
}

@CommandHandler(ReturnCommand)
export class ReturnHandler extends DropCommandHandler<ReturnCommand> {
  constructor(drops: DropWriter) {
    super(drops);
  }
}
