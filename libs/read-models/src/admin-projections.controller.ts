import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProblemException } from '@dropline/platform';
import { ProjectionNameParams } from './read-models.dto';
import { ProjectorService } from './projector.service';

/**
 * Ops-only: projection lag and rebuilds. TODO(auth): put behind the ops role once the
 * engine's token guard lands (issue on auth); until then deploy it behind the internal ingress.
 */
@ApiTags('admin')
@Controller('admin/projections')
export class AdminProjectionsController {
  constructor(private readonly projector: ProjectorService) {}

  @Get()
  @ApiOperation({ summary: 'Every projection: checkpoint, lag (events and seconds), rebuild progress' })
  async list() {
    return { projections: await Promise.all(this.projector.runners.map((r) => this.projector.lag(r.projection.name))) };
  }

  @Get(':name')
  @ApiOperation({ summary: "One projection's checkpoint, lag and rebuild progress" })
  async get(@Param() params: ProjectionNameParams) {
    this.known(params.name);
    return this.projector.lag(params.name);
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rebuild a projection into a shadow copy and swap it in; the lease holder does the work' })
  async rebuild(@Param() params: ProjectionNameParams) {
    this.known(params.name);
    await this.projector.requestRebuild(params.name);
    return this.projector.lag(params.name);
  }

  private known(name: string): void {
    if (!this.projector.runner(name))
      throw new ProblemException(404, 'PROJECTION.NOT_FOUND', `No projection named ${name}`, { field: 'name' });
  }
}
