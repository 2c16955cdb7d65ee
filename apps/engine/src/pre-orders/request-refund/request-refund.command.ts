import { CommandHandler } from '@nestjs/cqrs';
import type { RequestRefund, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { preOrderView, PreOrderView } from '../../drops/drop-views';

/** Asks for one pre-order to be refunded; answers with its view. */
export class RequestRefundCommand extends DropCommandMessage<RequestRefund, PreOrderView> {
  constructor(fields: CommandFields<RequestRefund>, context: CommandContext) {
    super('RequestRefund', fields, context);
  }
}

@CommandHandler(RequestRefundCommand)
export class RequestRefundHandler extends DropCommandHandler<RequestRefundCommand> {
  protected answer(state: DropState, message: RequestRefundCommand): PreOrderView {
    return preOrderView(state, message.command.preOrderId);
  }
}
