import { CommandHandler } from '@nestjs/cqrs';
import { ClosePreOrderWindow, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Closes the window and decides the tipping point; answers with the drop view. */
export class ClosePreOrderWindowCommand extends DropCommandMessage<ClosePreOrderWindow, DropView> {
  constructor(fields: CommandFields<ClosePreOrderWindow>, context: CommandContext) {
    super('ClosePreOrderWindow', fields, context);
  }
}

@CommandHandler(ClosePreOrderWindowCommand)
export class ClosePreOrderWindowHandler extends DropCommandHandler<ClosePreOrderWindowCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
