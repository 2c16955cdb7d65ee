import 'reflect-metadata';
import { Body, Controller, ExecutionContext, Get, Param, Post, Query } from '@nestjs/common';
import { DeclaredQueryGuard, declaresBody, queryDeclaration } from './query-params';
import { ProblemException } from './problem';

class SomeQuery {
  limit?: number;
}

@Controller()
class Routes {
  @Get('none') none(@Param() _p: object) {}
  @Get('dto') dto(@Query() _q: SomeQuery) {}
  @Get('keys') keys(@Query('a') _a: string, @Query('b') _b: string) {}
  @Get('untyped') untyped(@Query() _q: Record<string, string>) {}
}

const contextFor = (method: keyof Routes, query: Record<string, unknown>): ExecutionContext =>
  ({
    getType: () => 'http',
    getClass: () => Routes,
    getHandler: () => Routes.prototype[method],
    switchToHttp: () => ({ getRequest: () => ({ query }) }),
  }) as unknown as ExecutionContext;

describe('queryDeclaration', () => {
  it('reads what a handler declares', () => {
    expect(queryDeclaration(Routes, 'none')).toEqual({ kind: 'keys', keys: new Set() });
    expect(queryDeclaration(Routes, 'dto')).toEqual({ kind: 'dto' });
    expect(queryDeclaration(Routes, 'keys')).toEqual({ kind: 'keys', keys: new Set(['a', 'b']) });
    // A query typed as a plain object would reach the handler unchecked: it declares nothing.
    expect(queryDeclaration(Routes, 'untyped')).toEqual({ kind: 'keys', keys: new Set() });
  });
});

describe('DeclaredQueryGuard', () => {
  const guard = new DeclaredQueryGuard();
  const run = (method: keyof Routes, query: Record<string, unknown>) => {
    try {
      return Promise.resolve(guard.canActivate(contextFor(method, query)) ? 'handled' : 'refused');
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const refusal = async (method: keyof Routes, query: Record<string, unknown>) => {
    const error = await run(method, query).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProblemException);
    return (error as ProblemException).getResponse();
  };

  it('lets declared or absent queries through', async () => {
    await expect(run('none', {})).resolves.toBe('handled');
    await expect(run('keys', { a: '1', b: ['2', '3'] })).resolves.toBe('handled');
    await expect(run('dto', { limit: '5', unknown: 'left to the ValidationPipe' })).resolves.toBe('handled');
  });

  it('refuses undeclared parameters with 400 VALIDATION.FAILED naming them', async () => {
    expect(await refusal('none', { bogus: '1' })).toMatchObject({ status: 400, code: 'VALIDATION.FAILED', field: 'bogus' });
    expect(await refusal('keys', { a: '1', c: '' })).toMatchObject({ field: 'c' });
    expect(await refusal('untyped', { x: '1' })).toMatchObject({ field: 'x' });
    for (const key of ['__proto__', 'constructor', 'toString']) {
      expect(await refusal('dto', JSON.parse(`{"${key}":"1"}`))).toMatchObject({ code: 'VALIDATION.FAILED', field: key });
    }
  });

  it('refuses control characters and unpaired surrogates in any value, declared or not', async () => {
    expect(await refusal('dto', { limit: '\u0000' })).toMatchObject({ code: 'VALIDATION.FAILED', field: 'limit' });
    expect(await refusal('keys', { a: ['ok', 'x\ud800'] })).toMatchObject({ field: 'a' });
    expect(await refusal('keys', { 'a\u0000': '1' })).toMatchObject({ field: 'a?' });
  });
});

@Controller()
class BodyRoutes {
  @Post('open') open(@Param() _p: object) {}
  @Post('create') create(@Body() _b: SomeQuery) {}
}

describe('DeclaredQueryGuard on bodies', () => {
  const guard = new DeclaredQueryGuard();
  const check = (method: keyof BodyRoutes, body: unknown) =>
    guard.canActivate({
      getType: () => 'http',
      getClass: () => BodyRoutes,
      getHandler: () => BodyRoutes.prototype[method],
      switchToHttp: () => ({ getRequest: () => ({ query: {}, body }) }),
    } as unknown as ExecutionContext);
  const refusal = (method: keyof BodyRoutes, body: unknown) => {
    try {
      check(method, body);
    } catch (e) {
      return (e as ProblemException).getResponse();
    }
    throw new Error('not refused');
  };

  it('a route without @Body takes no body but {}, naming the first field or `body`; a body route is left to its DTO', () => {
    expect(declaresBody(BodyRoutes, 'open')).toBe(false);
    expect(declaresBody(BodyRoutes, 'create')).toBe(true);
    expect(check('open', undefined)).toBe(true);
    expect(check('open', {})).toBe(true);
    expect(refusal('open', { a: 1 })).toMatchObject({ status: 400, code: 'VALIDATION.FAILED', field: 'a' });
    for (const body of [null, [], 'x', 1, [1]]) expect(refusal('open', body)).toMatchObject({ code: 'VALIDATION.FAILED', field: 'body' });
    expect(check('create', { anything: 'the pipe checks it' })).toBe(true);
  });
});
