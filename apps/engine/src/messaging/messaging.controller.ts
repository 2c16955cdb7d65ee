import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MessagingRuntime, type MessagingStatus } from './messaging.runtime';
import { MessagingStatusDto } from './messaging-status.dto';

@ApiTags('health')
@Controller('messaging')
export class MessagingController {
  constructor(@Inject(MessagingRuntime) private readonly runtime: MessagingRuntime) {}

  @Get('status')
  @ApiOperation({
    summary:
      'Fan-out mode, relay state and lag (events after its checkpoint where countable, seconds behind), consumer groups running here, and the leases of this process (store, held, fence)',
  })
  @ApiOkResponse({ type: MessagingStatusDto })
  status(): Promise<MessagingStatus> {
    return this.runtime.status();
  }
}
