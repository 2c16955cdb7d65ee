import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderAsyncApiYaml } from '@dropline/messaging';

/** `npm run asyncapi:generate`: rewrites docs/asyncapi.yaml from the event definitions (run from the repo root). */
const target = path.resolve(process.cwd(), 'docs/asyncapi.yaml');
writeFileSync(target, renderAsyncApiYaml());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
