import { CommandHandler } from '@nestjs/cqrs';
import type { MarkReadyForPickup, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** A covered pickup pre-order waits at its location; answers with its view. */
export class MarkReadyForPickupCommand extends DropCommandMessage<MarkReadyForPickup, PreOrderView> {
  constructor(fields: CommandFields<MarkReadyForPickup>, context: CommandContext) {
    super('MarkReadyForPickup', fields, context);
  }
}

@CommandHandler(MarkReadyForPickupCommand)
export class MarkReadyForPickupHandler extends DropCommandHandler<MarkReadyForPickupCommand> {
  protected answer(state: DropState, message: MarkReadyForPickupCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
