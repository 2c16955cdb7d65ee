import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isConnectionError } from '@dropline/event-store';
import { ProblemException } from '@dropline/platform';
import { DeadLetterLedger, TransientDeliveryError, type DeadLetterRecord, type RedriveResult } from '@dropline/messaging';
import { MessagingRuntime } from './messaging.runtime';
import { ConsumerNameParams, DeadLetterPageDto, DeadLettersQuery, RedriveAnswerDto, RedriveDeadLettersDto } from './dead-letters.dto';

/**
 * The dead letters of the consumers this instance runs: ops and analysts read them, only ops
 * redrive them (ROUTE_POLICY, docs/operations.md "Dead letters").
 */
@ApiTags('health')
@Controller('messaging/dead-letters/:consumer')
export class DeadLettersController {
  constructor(@Inject(MessagingRuntime) private readonly runtime: MessagingRuntime) {}

  @Get()
  @ApiOperation({
    summary: "A page of a consumer's dead letters, oldest first, with why each was refused and what a redrive did",
    description: 'Follow `next` (pass it as `after`) until it is null. `pending=true` leaves out those already redriven.',
  })
  @ApiOkResponse({ type: DeadLetterPageDto })
  async list(
    @Param() params: ConsumerNameParams,
    @Query() query: DeadLettersQuery,
  ): Promise<{ consumer: string; deadLetters: DeadLetterRecord[]; next: string | null }> {
    const page = await this.ledger(params.consumer).list({
      after: query.after,
      limit: query.limit ?? 20,
      pending: query.pending === 'true',
      reason: query.reason,
    });
    return { consumer: params.consumer, ...page };
  }

  @Post('redrive')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Hand dead letters to their consumer again, once the cause is gone (ops)',
    description:
      'In id order, each is applied effectively once, as a delivery: one applied meanwhile answers `duplicate`, one still refused ' +
      'is dead-lettered again as a new dead letter. Redriving the same id twice answers `already-redriven` (previousOutcome ' +
      '`redriving`: another redrive runs, or one stopped mid-way: it may be taken again a minute after it began). 503 ' +
      "STORE.UNAVAILABLE when the consumer's database is down, 503 MESSAGING.REDRIVE_FAILED for another transient failure " +
      '(the dead-letter topic, the handler): send the ids again.',
  })
  @ApiOkResponse({ type: RedriveAnswerDto })
  async redrive(
    @Param() params: ConsumerNameParams,
    @Body() body: RedriveDeadLettersDto,
  ): Promise<{ consumer: string; results: RedriveResult[] }> {
    const ledger = this.ledger(params.consumer);
    try {
      return { consumer: params.consumer, results: await ledger.redrive(body.ids) };
    } catch (e) {
      if (!(e instanceof TransientDeliveryError)) throw e;
      if (isConnectionError(e.cause))
        throw new ProblemException(
          503,
          'STORE.UNAVAILABLE',
          "The consumer's database cannot be reached; send the ids again (those redriven answer already-redriven).",
        );
      // Ops only: the cause (the handler's error, the dead-letter topic's) is theirs to read.
      throw new ProblemException(503, 'MESSAGING.REDRIVE_FAILED', `The redrive failed and may pass when sent again: ${e.message}`);
    }
  }

  @Post('dismiss')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Write dead letters off without handing them over (ops)',
    description:
      'For what no redrive will apply (a poison message, a fact the consumer must never apply): each leaves the waiting list ' +
      '(`pending=true`) as `dismissed` and stays listed for the audit. One already redriven, dismissed or being redriven answers ' +
      '`already-redriven` with what happened to it.',
  })
  @ApiOkResponse({ type: RedriveAnswerDto })
  async dismiss(
    @Param() params: ConsumerNameParams,
    @Body() body: RedriveDeadLettersDto,
  ): Promise<{ consumer: string; results: RedriveResult[] }> {
    return { consumer: params.consumer, results: await this.ledger(params.consumer).dismiss(body.ids) };
  }

  private ledger(consumer: string): DeadLetterLedger {
    const ledger = this.runtime.deadLetters(consumer);
    if (!ledger)
      throw new ProblemException(404, 'MESSAGING.CONSUMER_NOT_FOUND', `No consumer named ${consumer} runs in this instance`, {
        field: 'consumer',
      });
    return ledger;
  }
}
