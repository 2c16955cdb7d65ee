import { Body, Controller, Get, HttpCode, HttpException, Inject, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { contextFromRequest } from '@dropline/platform';
import { EngineRejectedError, HandOverOrigin, HandOverReport } from '../engine/engine-commands';
import { FulfillmentTasks } from './fulfillment-tasks.service';

const CHILD_ID = /^[A-Za-z0-9_-]{1,64}\.[a-z]+\.[A-Za-z0-9_.-]{1,80}$/;

export class TaskParams {
  @ApiProperty()
  @Matches(CHILD_ID, { message: 'preOrderId is not a pre-order id' })
  preOrderId!: string;
}
export class TasksQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'dropId must be 1-64 letters, digits, - or _' })
  dropId?: string;
}
export class DispatchTaskDto {
  @ApiProperty({ example: 'royal-mail' })
  @Length(1, 64)
  @Matches(/\S/, { message: '$property must not be blank' })
  @IsString()
  carrier!: string;
  @ApiProperty({ example: 'RM123456789GB' })
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'trackingNumber must be 1-64 letters, digits, - or _' })
  trackingNumber!: string;
}

/** Open shipment and pickup tasks; marking one done reports the hand-over to the engine. */
@ApiTags('fulfillment tasks')
@Controller('fulfillment/tasks')
export class FulfillmentTasksController {
  constructor(@Inject(FulfillmentTasks) private readonly tasks: FulfillmentTasks) {}

  @Get()
  @ApiOperation({ summary: 'Tasks not yet handed over' })
  open(@Query() q: TasksQuery) {
    return this.tasks.open(q.dropId);
  }

  @Get('late')
  @ApiOperation({ summary: 'Tasks past their carrier SLA dispatch deadline' })
  late() {
    return this.tasks.late();
  }

  @Post(':preOrderId/dispatch')
  @HttpCode(202)
  @ApiOperation({ summary: 'The shipment left: reported to the engine as DispatchShipment' })
  dispatch(@Param() p: TaskParams, @Body() body: DispatchTaskDto, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'ship', { action: 'dispatch', carrier: body.carrier, trackingNumber: body.trackingNumber }, r);
  }

  @Post(':preOrderId/delivered')
  @HttpCode(202)
  @ApiOperation({ summary: 'The carrier delivered: ConfirmDelivery' })
  delivered(@Param() p: TaskParams, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'ship', { action: 'delivered' }, r);
  }

  @Post(':preOrderId/ready')
  @HttpCode(202)
  @ApiOperation({ summary: 'Waiting at the pickup location: MarkReadyForPickup' })
  ready(@Param() p: TaskParams, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'pickup', { action: 'ready-for-pickup' }, r);
  }

  @Post(':preOrderId/picked-up')
  @HttpCode(202)
  @ApiOperation({ summary: 'The customer collected it: ConfirmPickup' })
  pickedUp(@Param() p: TaskParams, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'pickup', { action: 'picked-up' }, r);
  }

  /** The caller's envelope and token: the engine's command keeps who asked for the hand-over. */
  private origin(request: FastifyRequest): HandOverOrigin {
    // occurredAt is dropped: the engine stamps the command with its own clock.
    const { occurredAt: _, ...context } = contextFromRequest(request, { now: () => new Date() });
    const authorization = request.headers.authorization;
    return { context, authorization: typeof authorization === 'string' ? authorization : undefined };
  }

  private async mark(preOrderId: string, kind: 'ship' | 'pickup', report: HandOverReport, request: FastifyRequest) {
    const task = await this.tasks.get(preOrderId);
    if (!task) throw new NotFoundException({ code: 'FULFILLMENT.TASK_NOT_FOUND', detail: `No fulfillment task for ${preOrderId}` });
    if (task.kind !== kind)
      throw new HttpException({ code: 'FULFILLMENT.WRONG_KIND', detail: `${preOrderId} is a ${task.kind} task` }, 409);
    try {
      await this.tasks.report(preOrderId, report, this.origin(request));
    } catch (e) {
      if (e instanceof EngineRejectedError)
        throw new HttpException({ code: e.problem.code ?? 'ENGINE.REJECTED', detail: e.problem.detail ?? e.message }, e.status);
      throw e;
    }
    return { preOrderId, reported: report.action };
  }
}
