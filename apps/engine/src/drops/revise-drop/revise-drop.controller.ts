import { Body, Controller, Param, Put, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, DropIdParams } from '@dropline/platform';
import { DropDefinitionDto, refusePastWindow, toDefinition } from '../schedule-drop/schedule-drop.dto';
import { ReviseDropCommand } from './revise-drop.command';
import { DropCreatedDto } from '../drop-views.dto';

@ApiTags('drops')
@Controller('drops')
export class ReviseDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Put(':dropId')
  @ApiOkResponse({ type: DropCreatedDto })
  @ApiOperation({ summary: 'Revise a drop before it opens' })
  revise(@Param() params: DropIdParams, @Body() body: DropDefinitionDto, @Req() request: FastifyRequest): Promise<{ dropId: string }> {
    refusePastWindow(body, this.clock.now());
    return this.commands.execute(
      new ReviseDropCommand({ dropId: params.dropId, definition: toDefinition(body) }, contextFromRequest(request, this.clock)),
    );
  }
}
