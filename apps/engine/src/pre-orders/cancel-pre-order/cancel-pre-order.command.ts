import { CommandHandler } from '@nestjs/cqrs';
import type { CancelPreOrder, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** Cancels one pre-order before the window closes; answers with its view. */
export class CancelPreOrderCommand extends DropCommandMessage<CancelPreOrder, PreOrderView> {
  constructor(fields: CommandFields<CancelPreOrder>, context: CommandContext) {
    super('CancelPreOrder', fields, context);
  }
}

@CommandHandler(CancelPreOrderCommand)
export class CancelPreOrderHandler extends DropCommandHandler<CancelPreOrderCommand> {
  protected answer(state: DropState, message: CancelPreOrderCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
