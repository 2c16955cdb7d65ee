import { CommandHandler } from '@nestjs/cqrs';
import type { ConfirmDelivery, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** The carrier delivered a pre-order; answers with its view. */
export class ConfirmDeliveryCommand extends DropCommandMessage<ConfirmDelivery, PreOrderView> {
  constructor(fields: CommandFields<ConfirmDelivery>, context: CommandContext) {
    super('ConfirmDelivery', fields, context);
  }
}

@CommandHandler(ConfirmDeliveryCommand)
export class ConfirmDeliveryHandler extends DropCommandHandler<ConfirmDeliveryCommand> {
  protected answer(state: DropState, message: ConfirmDeliveryCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
