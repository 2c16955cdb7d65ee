import { CommandHandler } from '@nestjs/cqrs';
import type { StartProductionRun, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../../drops/drop-command';
import { productionRunView, ProductionRunView } from '../../drops/drop-views';

/** The microfactory started a run; answers with the run view. */
export class StartProductionRunCommand extends DropCommandMessage<StartProductionRun, ProductionRunView> {
  constructor(fields: CommandFields<StartProductionRun>, context: CommandContext) {
    super('StartProductionRun', fields, context);
  }
}

@CommandHandler(StartProductionRunCommand)
export class StartProductionRunHandler extends DropCommandHandler<StartProductionRunCommand> {
  protected answer(state: DropState, message: StartProductionRunCommand): ProductionRunView {
    return productionRunView(state, message.command.runId);
  }
}
