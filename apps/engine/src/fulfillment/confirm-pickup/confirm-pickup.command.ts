import { CommandHandler } from '@nestjs/cqrs';
import type { ConfirmPickup, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** The customer collected a pre-order; answers with its view. */
export class ConfirmPickupCommand extends DropCommandMessage<ConfirmPickup, PreOrderView> {
  constructor(fields: CommandFields<ConfirmPickup>, context: CommandContext) {
    super('ConfirmPickup', fields, context);
  }
}

@CommandHandler(ConfirmPickupCommand)
export class ConfirmPickupHandler extends DropCommandHandler<ConfirmPickupCommand> {
  protected answer(state: DropState, message: ConfirmPickupCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
