import { CommandHandler } from '@nestjs/cqrs';
import type { CompleteProductionRun, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { productionRunView, ProductionRunView } from '../../drops/drop-views';

/** A run finished and its coverage is allocated; answers with the run view. */
export class CompleteProductionRunCommand extends DropCommandMessage<CompleteProductionRun, ProductionRunView> {
  constructor(fields: CommandFields<CompleteProductionRun>, context: CommandContext) {
    super('CompleteProductionRun', fields, context);
  }
}

@CommandHandler(CompleteProductionRunCommand)
export class CompleteProductionRunHandler extends DropCommandHandler<CompleteProductionRunCommand> {
  protected answer(state: DropState, message: CompleteProductionRunCommand): ProductionRunView {
    return productionRunView(state, message.command.runId);
  }
}
