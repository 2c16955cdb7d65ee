import { mintTestToken, TEST_JWT } from '../testing/test-auth';
import { UnauthenticatedException } from './auth-error';
import { JwtVerifier } from './jwt-verifier';

const YEAR_S = 365 * 24 * 3600;
const now = () => Math.floor(Date.now() / 1000);

/** The problem body a refusal renders as (status, code, field). */
async function refusal(verifier: JwtVerifier, token: string): Promise<{ status: number; code?: string; field?: string }> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UnauthenticatedException))
    throw new Error(`expected a 401, got ${error === undefined ? 'an accepted token' : String(error)}`);
  const body = error.getResponse() as { code?: string; field?: string };
  return { status: error.getStatus(), code: body.code, field: body.field };
}

describe('JwtVerifier claims', () => {
  let verifier: JwtVerifier;
  beforeEach(async () => {
    verifier = await JwtVerifier.fromConfig({
      secret: TEST_JWT.secret,
      issuer: TEST_JWT.issuer,
      audience: TEST_JWT.audience,
      publicKey: undefined,
      jwksUrl: undefined,
    });
  });
  afterEach(() => jest.useRealTimers());

  it('accepts well-formed tokens', async () => {
    await expect(verifier.verify(mintTestToken('ops', 'ops-test'))).resolves.toEqual({ sub: 'ops-test', roles: ['ops'] });
    await expect(verifier.verify(mintTestToken('customer', 'c-123'))).resolves.toEqual({ sub: 'c-123', roles: ['customer'] });
    await expect(verifier.verify(mintTestToken('customer', `c${'x'.repeat(127)}`))).resolves.toMatchObject({ roles: ['customer'] });
    // Staff subjects are not customerIds: any printable text up to 128 characters (code points).
    await expect(verifier.verify(mintTestToken('service', 'Fulfillment service (José) ☕'))).resolves.toMatchObject({
      sub: 'Fulfillment service (José) ☕',
    });
    await expect(verifier.verify(mintTestToken('till', '😀'.repeat(128)))).resolves.toMatchObject({ roles: ['till'] });
    // A long-lived service token (ENGINE_SERVICE_TOKEN) is fine as long as it has an exp.
    await expect(verifier.verify(mintTestToken('service', 'fulfillment', { expiresIn: 2 * YEAR_S }))).resolves.toMatchObject({
      roles: ['service'],
    });
  });

  it('refuses a token without exp: 401 AUTH.TOKEN_INVALID naming exp, every time (it is never cached)', async () => {
    const token = mintTestToken('service', 'fulfillment', { claims: { exp: undefined } });
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).not.toHaveProperty('exp');
    expect(await refusal(verifier, token)).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'exp' });
    expect(await refusal(verifier, token)).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'exp' });
  });

  it('refuses an exp that is not a number, naming exp', async () => {
    expect(await refusal(verifier, mintTestToken('ops', 'ops-test', { claims: { exp: 'never' } }))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'exp',
    });
  });

  it('refuses an expired token with AUTH.TOKEN_EXPIRED naming exp', async () => {
    expect(await refusal(verifier, mintTestToken('ops', 'ops-test', { expiresIn: -600 }))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_EXPIRED',
      field: 'exp',
    });
  });

  it('refuses a cached token once its exp has passed', async () => {
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'],
    });
    jest.setSystemTime(new Date());
    const token = mintTestToken('ops', 'ops-test', { expiresIn: 60 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'ops-test' });
    jest.setSystemTime(Date.now() + 30_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'ops-test' });
    jest.setSystemTime(Date.now() + 60_000);
    expect(await refusal(verifier, token)).toEqual({ status: 401, code: 'AUTH.TOKEN_EXPIRED', field: 'exp' });
  });

  it('refuses an iat a year in the future, naming iat', async () => {
    const token = mintTestToken('ops', 'ops-test', { claims: { iat: now() + YEAR_S, exp: now() + YEAR_S + 3600 } });
    expect(await refusal(verifier, token)).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'iat' });
  });

  it('refuses an iat more than the 5 s clock tolerance ahead, accepts one 3 s ahead', async () => {
    expect(await refusal(verifier, mintTestToken('ops', 'ops-test', { claims: { iat: now() + 60 } }))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'iat',
    });
    await expect(verifier.verify(mintTestToken('ops', 'ops-test', { claims: { iat: now() + 3 } }))).resolves.toEqual({
      sub: 'ops-test',
      roles: ['ops'],
    });
    await expect(verifier.verify(mintTestToken('ops', 'ops-test', { claims: { iat: undefined } }))).resolves.toEqual({
      sub: 'ops-test',
      roles: ['ops'],
    });
  });

  it.each([
    ['empty', ''],
    ['a NUL', 'ops\u0000test'],
    ['only a NUL', '\u0000'],
    ['a lone surrogate', '\ud800'],
    ['a lone low surrogate', 'ops\udc00test'],
    ['129 characters', 'x'.repeat(129)],
    ['a newline (C0)', 'ops\ntest'],
    ['DEL', 'ops\u007f'],
    ['a C1 control', 'ops\u0085test'],
  ])('refuses a sub with %s, naming sub', async (_name, sub) => {
    expect(await refusal(verifier, mintTestToken('ops', sub))).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'sub' });
  });

  it.each([
    ['no sub', { sub: undefined }],
    ['a numeric sub', { sub: 42 }],
  ])('refuses a token with %s, naming sub', async (_name, claims) => {
    expect(await refusal(verifier, mintTestToken('ops', 'ops-test', { claims }))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'sub',
    });
  });

  it.each([
    ['a space', 'bad customer!'],
    ['a leading dash', '-x'],
    ['a non-ASCII letter', 'josé'],
    ['a slash', 'c/123'],
  ])('refuses a customer whose sub is not a customerId (%s), naming sub', async (_name, sub) => {
    expect(await refusal(verifier, mintTestToken('customer', sub))).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'sub' });
    // With the customer role among others, the subject still acts as a customer.
    expect(await refusal(verifier, mintTestToken(['till', 'customer'], sub))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'sub',
    });
  });

  it('keeps a well-formed city claim on the principal, and leaves it out when the token has none', async () => {
    await expect(verifier.verify(mintTestToken('customer', 'c-1', { claims: { city: 'Bristol' } }))).resolves.toEqual({
      sub: 'c-1',
      roles: ['customer'],
      city: 'Bristol',
    });
    await expect(verifier.verify(mintTestToken('customer', 'c-1', { claims: { city: 'São Paulo' } }))).resolves.toMatchObject({
      city: 'São Paulo',
    });
    await expect(verifier.verify(mintTestToken('customer', 'c-1', { claims: { city: 'x'.repeat(64) } }))).resolves.toMatchObject({
      city: 'x'.repeat(64),
    });
    expect(await verifier.verify(mintTestToken('customer', 'c-2'))).not.toHaveProperty('city');
  });

  it.each([
    ['empty', ''],
    ['only whitespace', '   '],
    ['65 characters', 'x'.repeat(65)],
    ['a number', 42],
    ['null', null],
    ['a list', ['Bristol']],
    ['an object', { name: 'Bristol' }],
    ['a NUL', 'Bris\u0000tol'],
    ['a newline', 'Bristol\n'],
    ['a lone surrogate', 'Bristol\ud800'],
  ])('refuses a city claim that is %s, naming city', async (_name, city) => {
    expect(await refusal(verifier, mintTestToken('customer', 'c-1', { claims: { city } }))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'city',
    });
  });

  it('names roles when the roles claim is missing or unknown', async () => {
    expect(await refusal(verifier, mintTestToken([], 'ops-test'))).toEqual({ status: 401, code: 'AUTH.TOKEN_INVALID', field: 'roles' });
    expect(await refusal(verifier, mintTestToken(['admin'], 'ops-test'))).toEqual({
      status: 401,
      code: 'AUTH.TOKEN_INVALID',
      field: 'roles',
    });
  });
});
