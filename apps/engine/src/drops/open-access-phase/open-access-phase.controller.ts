import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { PHASE_NAME } from '../schedule-drop/schedule-drop.dto';
import { OpenAccessPhaseCommand } from './open-access-phase.command';
import { DropViewDto } from '../drop-views.dto';

export class DropPhaseParams extends DropIdParams {
  @ApiProperty({ example: 'members', pattern: PHASE_NAME.source })
  @Matches(PHASE_NAME, { message: 'phase must be a phase name: 1-32 lower-case letters, digits or -' })
  phase!: string;
}

@ApiTags('drops')
@Controller('drops/:dropId/phases/:phase')
export class OpenAccessPhaseController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('open')
  @HttpCode(200)
  @ApiOkResponse({ type: DropViewDto })
  @ApiOperation({
    summary: 'Open an access phase now, by hand (ops), with any earlier phase not open yet',
    description:
      'The scheduler opens each phase at its opensAt; ops may open one early. Records AccessPhaseOpened (trigger ops) per phase opened; ' +
      'a phase already open or past records nothing. 404 DROP.UNKNOWN_PHASE for a phase the drop does not have, or the public window ' +
      '(open that with POST /drops/:dropId/open). Answers with the drop view.',
  })
  open(@Param() p: DropPhaseParams, @Req() r: FastifyRequest) {
    return this.commands.execute(
      new OpenAccessPhaseCommand({ dropId: p.dropId, phase: p.phase, manual: true }, contextFromRequest(r, this.clock)),
    );
  }
}
