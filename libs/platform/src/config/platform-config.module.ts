import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_CONFIG } from '../infrastructure/tokens';
import type { AppConfig } from './app-config';

/**
 * The configuration inside a Nest app, provided once and globally: APP_CONFIG, and @nestjs/config's
 * ConfigService over the same values (`ConfigService<AppConfig, true>`, e.g. get('kafka.topic')).
 *
 * `config` is what the entry point loaded with loadConfig(readEnvironment()) before Nest started
 * (it opens the databases and picks the modules first), or what a test built with loadConfig(map).
 * That is why ConfigModule gets it through `load` rather than validating process.env itself: its
 * `validate` would read process.env a second time (readEnvironment() is the one reader), write the
 * defaults back into it, and ignore a test's configuration.
 */
@Module({})
export class PlatformConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PlatformConfigModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => config],
        }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
