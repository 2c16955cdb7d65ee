import type { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface RegisteredRoute {
  method: string;
  /** As the router has it, e.g. `/drops/:dropId`. */
  url: string;
}

const ROUTES = new WeakMap<object, RegisteredRoute[]>();

/** Records every route Fastify registers from here on (call before app.init). */
export function recordRoutes(app: NestFastifyApplication): void {
  const list: RegisteredRoute[] = [];
  ROUTES.set(app, list);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) list.push({ method: String(method).toUpperCase(), url: route.url });
    });
}

/** The routes the running router serves (the authorization matrix test enumerates these). */
export function registeredRoutes(app: NestFastifyApplication): RegisteredRoute[] {
  return [...(ROUTES.get(app) ?? [])];
}
