import { CommandHandler } from '@nestjs/cqrs';
import type { RequestRefund } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandMessage, PreOrderCommandHandler } from '../../drops/drop-command';
import type { PreOrderView } from '../../drops/drop-views';

/** Asks for one pre-order to be refunded; answers with its view. */
export class RequestRefundCommand extends DropCommandMessage<RequestRefund, PreOrderView> {
  constructor(fields: CommandFields<RequestRefund>, context: CommandContext) {
    super('RequestRefund', fields, context);
  }
}

@CommandHandler(RequestRefundCommand)
export class RequestRefundHandler extends PreOrderCommandHandler<RequestRefundCommand> {}
