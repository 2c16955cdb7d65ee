import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Clock, contextFromRequest, ProblemException } from '@dropline/platform';
import { DropDefinitionDto, refusePastWindow, toDefinition } from './schedule-drop.dto';
import { ScheduleDropCommand } from './schedule-drop.command';
import { DropCreatedDto } from '../drop-views.dto';

const KEY = /^[A-Za-z0-9._:-]{1,128}$/;

@ApiTags('drops')
@Controller('drops')
export class ScheduleDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: DropCreatedDto })
  @ApiOperation({
    summary: 'Schedule a drop',
    description: 'With an Idempotency-Key the drop id is derived from it, so a retried request answers with the same drop.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  schedule(
    @Body() body: DropDefinitionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<{ dropId: string }> {
    if (key !== undefined && !KEY.test(key)) {
      throw new ProblemException(400, 'VALIDATION.FAILED', 'Idempotency-Key must be 1-128 letters, digits, or . _ : -', {
        field: 'Idempotency-Key',
      });
    }
    refusePastWindow(body, this.clock.now());
    const dropId = key ? createHash('sha256').update(`drop\n${key}`).digest('hex').slice(0, 32) : randomUUID();
    return this.commands.execute(
      new ScheduleDropCommand({ dropId, definition: toDefinition(body) }, contextFromRequest(request, this.clock)),
    );
  }
}
