import { CommandHandler } from '@nestjs/cqrs';
import type { RequestProductionRun, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { productionRunView, ProductionRunView } from '../../drops/drop-views';

/** Requests an extra production run; answers with the run view. */
export class RequestProductionRunCommand extends DropCommandMessage<RequestProductionRun, ProductionRunView> {
  constructor(fields: CommandFields<RequestProductionRun>, context: CommandContext) {
    super('RequestProductionRun', fields, context);
  }
}

@CommandHandler(RequestProductionRunCommand)
export class RequestProductionRunHandler extends DropCommandHandler<RequestProductionRunCommand> {
  protected answer(state: DropState, message: RequestProductionRunCommand): ProductionRunView {
    return productionRunView(state, message.command.runId);
  }
}
