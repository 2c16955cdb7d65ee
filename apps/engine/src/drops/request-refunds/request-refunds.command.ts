import { CommandHandler } from '@nestjs/cqrs';
import { RequestRefunds, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Asks for the next chunk of refunds of a cancelled drop (the scheduler); answers with the drop view. */
export class RequestRefundsCommand extends DropCommandMessage<RequestRefunds, DropView> {
  constructor(fields: CommandFields<RequestRefunds>, context: CommandContext) {
    super('RequestRefunds', fields, context);
  }
}

@CommandHandler(RequestRefundsCommand)
export class RequestRefundsHandler extends DropCommandHandler<RequestRefundsCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
