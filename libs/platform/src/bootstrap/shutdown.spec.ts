import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { extendClose } from './shutdown';

const steps: string[] = [];

@Injectable()
class Worker implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    steps.push('nest shutdown hook');
  }
}

@Module({ providers: [Worker] })
class WorkerModule {}

/** An HTTP app as every Dropline process makes one (not listening). */
const create = () => NestFactory.create<NestFastifyApplication>(WorkerModule, new FastifyAdapter(), { logger: false, abortOnError: false });

describe('extendClose', () => {
  beforeEach(() => steps.splice(0));

  it('runs before, then Nest’s hooks, then after, on the app NestFactory returns; a second extension wraps the first', async () => {
    const app = await create();
    extendClose(app, { before: async () => void steps.push('first before'), after: async () => void steps.push('first after') });
    extendClose(app, { before: async () => void steps.push('second before'), after: async () => void steps.push('second after') });
    await app.close();
    expect(steps).toEqual(['second before', 'first before', 'nest shutdown hook', 'first after', 'second after']);
  });

  it('is needed: an assignment to close on that app is dropped by its proxy, silently', async () => {
    const app = await create();
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      steps.push('assigned after');
    };
    await app.close();
    expect(steps).toEqual(['nest shutdown hook']);
  });
});
