import { CommandHandler } from '@nestjs/cqrs';
import type { ReceiveReturn, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { returnView, ReturnView } from '../../drops/drop-views';

/** The returned goods arrived; answers with the return view. */
export class ReceiveReturnCommand extends DropCommandMessage<ReceiveReturn, ReturnView> {
  constructor(fields: CommandFields<ReceiveReturn>, context: CommandContext) {
    super('ReceiveReturn', fields, context);
  }
}

@CommandHandler(ReceiveReturnCommand)
export class ReceiveReturnHandler extends DropCommandHandler<ReceiveReturnCommand> {
  protected answer(state: DropState, message: ReceiveReturnCommand): ReturnView {
    return returnView(state, message.command.returnId);
  }
}
