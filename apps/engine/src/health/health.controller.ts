import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Databases } from '../infrastructure/databases';
import { DATABASES } from '../infrastructure/tokens';
import { ProblemException } from '../http/problem';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(DATABASES) private readonly databases: Databases) {}

  @Get('live') @HttpCode(200) @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready') @HttpCode(200) @ApiOperation({ summary: 'The stores answer' })
  async ready() {
    try {
      await this.databases.readModels.query('select 1');
      await this.databases.store.readAll({ maxCount: 1 });
    } catch {
      throw new ProblemException(503, 'STORE.UNAVAILABLE', 'A store does not answer');
    }
    return { status: 'ok' };
  }
}
