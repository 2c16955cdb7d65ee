import { UnauthenticatedException } from './auth-error';
import type { AuthSetup } from './auth-setup';

/** For an EngineModule built without auth: every token is refused, only public routes answer. */
export function denyAllAuth(): AuthSetup {
  return {
    verifier: {
      verify: async () => {
        throw new UnauthenticatedException('AUTH.TOKEN_INVALID', 'This engine has no verification key');
      },
    } as unknown as AuthSetup['verifier'],
  };
}
