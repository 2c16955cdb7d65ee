import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Parser } from '@asyncapi/parser';
import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import { ceTypeOf } from '../cloud-events/ce-type';
import { buildAsyncApiDocument, renderAsyncApiYaml } from './asyncapi.generator';

const committedPath = path.resolve(__dirname, '../../../../docs/asyncapi.yaml');

describe('docs/asyncapi.yaml', () => {
  it('is exactly what the event definitions generate (run `npm run asyncapi:generate` after changing an event)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(renderAsyncApiYaml());
  });

  it('is a valid AsyncAPI 3.0 document', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(committedPath, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const channel = document!.channels().get('dropEvents')!;
    expect(channel.address()).toBe('dropline.drop-events.v1');
    expect(channel.messages().all()).toHaveLength(Object.keys(EVENT_SCHEMA_VERSIONS).length);
  });

  it('describes every stored event type with its ce_type, headers and payload schema', () => {
    const doc = buildAsyncApiDocument() as any;
    for (const [type, version] of Object.entries(EVENT_SCHEMA_VERSIONS)) {
      const message = doc.components.messages[`${type}V${version}`];
      expect(message.name).toBe(ceTypeOf(type, version));
      expect(doc.components.schemas[`${type}V${version}`].required).toContain('dropId');
    }
    expect(Object.keys(doc.components.schemas.CloudEventHeaders.properties)).toEqual(
      expect.arrayContaining([
        'ce_specversion',
        'ce_id',
        'ce_source',
        'ce_type',
        'ce_time',
        'ce_subject',
        'ce_partitionkey',
        'ce_correlationid',
        'ce_causationid',
        'content-type',
        'traceparent',
      ]),
    );
  });
});
