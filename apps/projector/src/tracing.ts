import { startAppTracing } from '@dropline/platform/telemetry/tracing-preload';

// The first import of main.ts: tracing starts before the instrumented modules are required.
startAppTracing('dropline-projector');
