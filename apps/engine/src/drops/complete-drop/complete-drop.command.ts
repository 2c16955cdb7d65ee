import { CommandHandler } from '@nestjs/cqrs';
import { CompleteDrop, DropState, toDropView } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';
import type { DropView } from '../drop-views';

/** Completes a drop whose pre-orders are all settled; answers with the drop view. */
export class CompleteDropCommand extends DropCommandMessage<CompleteDrop, DropView> {
  constructor(fields: CommandFields<CompleteDrop>, context: CommandContext) {
    super('CompleteDrop', fields, context);
  }
}

@CommandHandler(CompleteDropCommand)
export class CompleteDropHandler extends DropCommandHandler<CompleteDropCommand> {
  protected answer(state: DropState): DropView {
    return toDropView(state);
  }
}
