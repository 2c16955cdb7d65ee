import { Body, Controller, Get, HttpCode, HttpException, Inject, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contextFromRequest, ProblemException, QueryInt } from '@dropline/platform';
import { EngineRejectedError, HandOverOrigin, HandOverReport } from '../engine/engine-commands';
import { FulfillmentTasks, parseCursor, TasksPage } from './fulfillment-tasks.service';

const CHILD_ID = /^[A-Za-z0-9_-]{1,64}\.[a-z]+\.[A-Za-z0-9_.-]{1,80}$/;

export class TaskParams {
  @ApiProperty()
  @Matches(CHILD_ID, { message: 'preOrderId is not a pre-order id' })
  preOrderId!: string;
}
/** The longest page of GET /fulfillment/tasks and /late. */
export const MAX_TASKS_PAGE = 1000;

export class TasksPageQuery {
  @ApiPropertyOptional({ default: MAX_TASKS_PAGE, maximum: MAX_TASKS_PAGE })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(MAX_TASKS_PAGE)
  @IsInt()
  limit?: number;
  @ApiPropertyOptional({ description: 'The cursor of the next page, from the `Link: <…>; rel="next"` header of the previous one' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'after must be the cursor of a next page' })
  after?: string;
}

export class TasksQuery extends TasksPageQuery {
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

/** One task as GET /fulfillment/tasks lists it (FulfillmentTask). */
export class FulfillmentTaskDto {
  @ApiProperty() preOrderId!: string;
  @ApiProperty() dropId!: string;
  @ApiProperty({ description: 'The production run that covered the pre-order' }) runId!: string;
  @ApiProperty({ enum: ['ship', 'pickup'] }) kind!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The pickup location; null for shipments' }) locationId!: string | null;
  @ApiProperty() customerId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({
    enum: ['open', 'dispatched', 'ready', 'delivered', 'picked-up', 'cancelled'],
    description: '`cancelled`: a refund was requested before it was dispatched or made ready',
  })
  status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'The carrier SLA deadline to dispatch (or make ready) by' }) dispatchDueAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) dispatchedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) doneAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) carrier!: string | null;
  @ApiProperty({ nullable: true, type: String }) trackingNumber!: string | null;
  @ApiProperty({ description: 'Not dispatched (or made ready) by its deadline' }) late!: boolean;
}

/** A hand-over reported to the engine; the task changes when its event comes back. */
export class TaskReportedDto {
  @ApiProperty() preOrderId!: string;
  @ApiProperty({ enum: ['dispatch', 'delivered', 'ready-for-pickup', 'picked-up'] }) reported!: string;
}

function afterOf(q: TasksPageQuery) {
  if (q.after === undefined) return undefined;
  const key = parseCursor(q.after);
  if (!key) throw new ProblemException(400, 'VALIDATION.FAILED', 'after must be the cursor of a next page', { field: 'after' });
  return key;
}

/** A page's tasks, its next page named in a Link header. */
function answer({ tasks, next }: TasksPage, limit: number, request: FastifyRequest, reply: FastifyReply) {
  if (next !== undefined) {
    const url = new URL(request.url, 'http://x');
    url.searchParams.set('after', next);
    url.searchParams.set('limit', String(limit));
    void reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return tasks;
}

/** Open shipment and pickup tasks; marking one done reports the hand-over to the engine. */
@ApiTags('fulfillment tasks')
@Controller('fulfillment/tasks')
export class FulfillmentTasksController {
  constructor(@Inject(FulfillmentTasks) private readonly tasks: FulfillmentTasks) {}

  @Get()
  @ApiOperation({
    summary: 'Tasks not yet handed over',
    description: `By dispatch deadline, at most \`limit\` (${MAX_TASKS_PAGE}); when more follow, a \`Link: <…>; rel="next"\` header names the next page.`,
  })
  @ApiOkResponse({
    type: [FulfillmentTaskDto],
    headers: { Link: { description: 'rel="next": the next page, when there is one', schema: { type: 'string' } } },
  })
  async open(@Query() q: TasksQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const limit = q.limit ?? MAX_TASKS_PAGE;
    return answer(await this.tasks.open(q.dropId, { limit, after: afterOf(q) }), limit, request, reply);
  }

  @Get('late')
  @ApiOperation({ summary: 'Tasks past their carrier SLA dispatch deadline', description: 'Paged as GET /fulfillment/tasks.' })
  @ApiOkResponse({
    type: [FulfillmentTaskDto],
    headers: { Link: { description: 'rel="next": the next page, when there is one', schema: { type: 'string' } } },
  })
  async late(@Query() q: TasksPageQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const limit = q.limit ?? MAX_TASKS_PAGE;
    return answer(await this.tasks.late({ limit, after: afterOf(q) }), limit, request, reply);
  }

  @Post(':preOrderId/dispatch')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TaskReportedDto })
  @ApiOperation({ summary: 'The shipment left: reported to the engine as DispatchShipment' })
  dispatch(@Param() p: TaskParams, @Body() body: DispatchTaskDto, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'ship', { action: 'dispatch', carrier: body.carrier, trackingNumber: body.trackingNumber }, r);
  }

  @Post(':preOrderId/delivered')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TaskReportedDto })
  @ApiOperation({ summary: 'The carrier delivered: ConfirmDelivery' })
  delivered(@Param() p: TaskParams, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'ship', { action: 'delivered' }, r);
  }

  @Post(':preOrderId/ready')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TaskReportedDto })
  @ApiOperation({ summary: 'Waiting at the pickup location: MarkReadyForPickup' })
  ready(@Param() p: TaskParams, @Req() r: FastifyRequest) {
    return this.mark(p.preOrderId, 'pickup', { action: 'ready-for-pickup' }, r);
  }

  @Post(':preOrderId/picked-up')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TaskReportedDto })
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
