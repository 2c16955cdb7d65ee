import { CommandHandler } from '@nestjs/cqrs';
import { CancelDrop, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Cancels the drop; every pre-order is to be refunded. Answers with the drop view. */
export class CancelDropCommand extends DropCommandMessage<CancelDrop, DropView> {
  constructor(fields: CommandFields<CancelDrop>, context: CommandContext) {
    super('CancelDrop', fields, context);
  }
}

@CommandHandler(CancelDropCommand)
export class CancelDropHandler extends DropCommandHandler<CancelDropCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
