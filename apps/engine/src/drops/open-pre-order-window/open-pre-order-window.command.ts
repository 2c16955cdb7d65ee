import { CommandHandler } from '@nestjs/cqrs';
import { OpenPreOrderWindow, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Opens the public pre-order window (ops now, or the scheduler); answers with the drop view. */
export class OpenPreOrderWindowCommand extends DropCommandMessage<OpenPreOrderWindow, DropView> {
  constructor(fields: CommandFields<OpenPreOrderWindow>, context: CommandContext) {
    super('OpenPreOrderWindow', fields, context);
  }
}

@CommandHandler(OpenPreOrderWindowCommand)
export class OpenPreOrderWindowHandler extends DropCommandHandler<OpenPreOrderWindowCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
