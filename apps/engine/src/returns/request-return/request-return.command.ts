import { CommandHandler } from '@nestjs/cqrs';
import type { RequestReturn, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { returnView, ReturnView } from '../../drops/drop-views';

/** Requests the return of a pre-order; answers with the return view. */
export class RequestReturnCommand extends DropCommandMessage<RequestReturn, ReturnView> {
  constructor(fields: CommandFields<RequestReturn>, context: CommandContext) {
    super('RequestReturn', fields, context);
  }
}

@CommandHandler(RequestReturnCommand)
export class RequestReturnHandler extends DropCommandHandler<RequestReturnCommand> {
  protected answer(state: DropState, message: RequestReturnCommand): ReturnView {
    return returnView(state, message.command.returnId);
  }
}
