import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProblemException } from '@dropline/platform';
import { ProjectionNameParams } from './read-models.dto';
import { ProjectorService } from './projector.service';
import { ProjectionListDto, ProjectionStatusDto } from './admin-projections.dto';

/**
 * Projection lag and rebuilds: ops and analysts read them, only ops ask for a rebuild
 * (ROUTE_POLICY, docs/security.md).
 */
@ApiTags('admin')
@Controller('admin/projections')
export class AdminProjectionsController {
  constructor(private readonly projector: ProjectorService) {}

  @Get()
  @ApiOperation({ summary: 'Every projection: checkpoint, lag (events and seconds), rebuild progress' })
  @ApiOkResponse({ type: ProjectionListDto })
  async list() {
    return { projections: await Promise.all(this.projector.runners.map((r) => this.projector.lag(r.projection.name))) };
  }

  @Get(':name')
  @ApiOperation({ summary: "One projection's checkpoint, lag and rebuild progress" })
  @ApiOkResponse({ type: ProjectionStatusDto })
  async get(@Param() params: ProjectionNameParams) {
    this.known(params.name);
    return this.projector.lag(params.name);
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ProjectionStatusDto })
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
