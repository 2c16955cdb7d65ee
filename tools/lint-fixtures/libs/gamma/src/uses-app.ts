// Breaks no-lib-to-app: a lib importing an app.
import { beta } from '../../../apps/beta/src/beta';

export const gamma = beta;
