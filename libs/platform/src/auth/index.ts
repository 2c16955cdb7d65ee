export { AuthModule } from './auth.module';
export { AuthGuard, AUTH_SETUP } from './auth.guard';
export { setUpAuth, devTokenBanner, isProduction, type AuthSetup } from './auth-setup';
export { ROUTE_POLICY, policyFor, policyForUrl, type RoutePolicy } from './route-policy';
export { ROLES, type Role, type Principal } from './roles';
export { mintToken, loadOrCreateDevSecret, DEV_ISSUER, DEV_AUDIENCE } from './dev-key';
