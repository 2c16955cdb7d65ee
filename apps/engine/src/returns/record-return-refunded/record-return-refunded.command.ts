import { CommandHandler } from '@nestjs/cqrs';
import type { RecordReturnRefunded, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { returnView, ReturnView } from '../../drops/drop-views';

/** Records the provider's refund of a return; answers with the return view. */
export class RecordReturnRefundedCommand extends DropCommandMessage<RecordReturnRefunded, ReturnView> {
  constructor(fields: CommandFields<RecordReturnRefunded>, context: CommandContext) {
    super('RecordReturnRefunded', fields, context);
  }
}

@CommandHandler(RecordReturnRefundedCommand)
export class RecordReturnRefundedHandler extends DropCommandHandler<RecordReturnRefundedCommand> {
  protected answer(state: DropState, message: RecordReturnRefundedCommand): ReturnView {
    return returnView(state, message.command.returnId);
  }
}
