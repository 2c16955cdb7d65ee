// Breaks no-app-to-app: an app importing another app.
import { beta } from '../../beta/src/beta';

export const alpha = beta + 1;
