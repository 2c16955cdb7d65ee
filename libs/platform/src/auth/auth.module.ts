import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_SETUP, AuthGuard } from './auth.guard';
import type { AuthSetup } from './auth-setup';

/** Registers the global AuthGuard over every route (policies in route-policy.ts). */
@Module({})
export class AuthModule {
  static forRoot(setup: AuthSetup): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        { provide: AUTH_SETUP, useValue: setup },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AUTH_SETUP],
    };
  }
}
