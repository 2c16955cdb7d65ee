import { Body, Controller, Headers, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { DropDefinition } from '@dropline/domain';
import { Clock, contextFromRequest, DropIdParams, ProblemException } from '@dropline/platform';
import { DropDefinitionDto } from './schedule-drop.dto';
import { ScheduleDropCommand } from './schedule-drop.command';

const KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** Plain JSON of the validated body: drops class instances and absent optionals so equal definitions compare equal. */
function toDefinition(dto: DropDefinitionDto): DropDefinition {
  return JSON.parse(JSON.stringify(dto)) as DropDefinition;
}

/**
 * The one rule of the definition that needs the clock: the decider refuses a window that has
 * already closed (it would open and close at once), so validation refuses it first, naming the field.
 */
function refusePastWindow(dto: DropDefinitionDto, now: Date): void {
  if (Date.parse(dto.window.closesAt) <= now.getTime()) {
    throw new ProblemException(400, 'VALIDATION.FAILED', `window.closesAt has already passed (now ${now.toISOString()})`, {
      field: 'window.closesAt',
    });
  }
}

@ApiTags('drops')
@Controller('drops')
export class ScheduleDropController {
  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
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
    return this.commands.execute(new ScheduleDropCommand(dropId, toDefinition(body), contextFromRequest(request, this.clock)));
  }

  @Put(':dropId')
  @ApiOperation({ summary: 'Revise a drop before it opens' })
  revise(@Param() params: DropIdParams, @Body() body: DropDefinitionDto, @Req() request: FastifyRequest): Promise<{ dropId: string }> {
    refusePastWindow(body, this.clock.now());
    return this.commands.execute(new ScheduleDropCommand(params.dropId, toDefinition(body), contextFromRequest(request, this.clock), true));
  }
}
