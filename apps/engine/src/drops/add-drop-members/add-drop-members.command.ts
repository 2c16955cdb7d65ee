import { CommandHandler } from '@nestjs/cqrs';
import type { AddDropMembers, DropState } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import { CommandFields, DropCommandHandler, DropCommandMessage } from '../drop-command';

/** What the members commands answer: the drop and how many members it has now. */
export interface DropMembersAnswer {
  dropId: string;
  members: number;
}

/** The members count of a drop right after a members command. */
export function membersAnswer(state: DropState, dropId: string): DropMembersAnswer {
  return { dropId, members: state.status === 'initial' ? 0 : state.members.size };
}

/** Ops grants customers access to the drop's `members` phases; answers with the members count. */
export class AddDropMembersCommand extends DropCommandMessage<AddDropMembers, DropMembersAnswer> {
  constructor(fields: CommandFields<AddDropMembers>, context: CommandContext) {
    super('AddDropMembers', fields, context);
  }
}

@CommandHandler(AddDropMembersCommand)
export class AddDropMembersHandler extends DropCommandHandler<AddDropMembersCommand> {
  protected answer(state: DropState, message: AddDropMembersCommand): DropMembersAnswer {
    return membersAnswer(state, message.command.dropId);
  }
}
