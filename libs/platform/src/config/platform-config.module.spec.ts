import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG } from '../infrastructure/tokens';
import { AppConfig, loadConfig } from './app-config';
import { PlatformConfigModule } from './platform-config.module';

@Injectable()
class NeedsConfig {
  constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {}
}

/** A feature module that does not provide APP_CONFIG itself. */
@Module({ providers: [NeedsConfig] })
class FeatureModule {}

describe('PlatformConfigModule', () => {
  it('provides APP_CONFIG and ConfigService globally, from the configuration it is given', async () => {
    const config = loadConfig({ PORT: '4000', KAFKA_TOPIC: 'drops.v9' });
    @Module({ imports: [PlatformConfigModule.forRoot(config), FeatureModule] })
    class RootModule {}
    const app = await NestFactory.createApplicationContext(RootModule, { logger: false });
    try {
      expect(app.get(NeedsConfig).config).toBe(config);
      const service = app.get<ConfigService<AppConfig, true>>(ConfigService);
      expect(service.get('port', { infer: true })).toBe(4000);
      expect(service.get('kafka.topic', { infer: true })).toBe('drops.v9');
    } finally {
      await app.close();
    }
  });
});
