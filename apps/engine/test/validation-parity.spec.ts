import fc from 'fast-check';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
// Parsed as Fastify's router parses query strings (fast-querystring follows node:querystring): a dictionary without a prototype.
import { parse as parseQuery } from 'node:querystring';
import type { ArgumentMetadata } from '@nestjs/common';
import { AnalyticsDropParams } from '@dropline/analytics';
import { DispatchTaskDto, TaskParams, TasksQuery } from '@dropline/fulfillment';
import { DropIdParams, EnvironmentVariables, PreOrderIdParams, ReturnIdParams, RunIdParams, validationPipe } from '@dropline/platform';
import { referenceValidationPipe, type PipeVerdict, verdictOf } from '../../../libs/platform/src/testing/validation-reference';
import { CustomerIdParams, ListDropsQuery, PageQuery, ProjectionNameParams } from '@dropline/read-models';
import { DropMembersDto } from '../src/drops/add-drop-members/add-drop-members.dto';
import { ConsumerNameParams, DeadLettersQuery, RedriveDeadLettersDto } from '../src/messaging/dead-letters.dto';
import { CancelDropDto } from '../src/drops/cancel-drop/cancel-drop.dto';
import { HistoryQuery } from '../src/drops/drop-history/drop-history.controller';
import { GetDropQuery } from '../src/drops/get-drop/get-drop.controller';
import { ListDropMembersQuery } from '../src/drops/list-drop-members/list-drop-members.controller';
import { DropPhaseParams } from '../src/drops/open-access-phase/open-access-phase.controller';
import { DropDefinitionDto } from '../src/drops/schedule-drop/schedule-drop.dto';
import { EffectsQuery, EventIdParams } from '../src/events/event-causation.controller';
import { DispatchDto } from '../src/fulfillment/dispatch-shipment/dispatch-shipment.dto';
import { PlacePreOrderDto } from '../src/pre-orders/place-pre-order/place-pre-order.dto';
import { PaymentFactDto } from '../src/pre-orders/record-payment/record-payment.dto';
import { RefundRequestDto } from '../src/pre-orders/request-refund/request-refund.dto';
import { CompleteRunDto } from '../src/production-runs/complete-production-run/complete-production-run.dto';
import { RequestRunDto } from '../src/production-runs/request-production-run/request-production-run.dto';
import { ReceiveReturnDto } from '../src/returns/receive-return/receive-return.dto';
import { RecordVisitsDto } from '../src/visits/record-visits.dto';
import { RequestReturnDto } from '../src/returns/request-return/request-return.dto';
import { ReturnRefundDto } from '../src/returns/record-return-refunded/record-return-refunded.dto';
import type { MetadataStorage as TransformerMetadataStorage } from 'class-transformer/types/MetadataStorage';
import { caseArbitrary, fuzzBases, type Json, mutate, PROTO_NAMES, queryString } from './support/fuzz-cases';

/**
 * Validation parity (issue #18): every route validates through validators compiled once from the
 * DTOs' class-validator decorators (libs/platform/src/http/compiled-validation.ts). Here every
 * case of the malformed-input fuzz (fuzz.e2e-spec.ts, same bases and mutations) — its body, its
 * query string as Fastify parses it, its path parameters — goes through both the compiled pipe
 * and the class-validator pipe it replaced, and both must give the same verdict, the same field
 * and the same message, and hand the controller the same data.
 */
// class-transformer keeps @Type's metadata here and does not export it from its index (as in compiled-validation.ts).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadataStorage;
};

const RUNS = Number(process.env.PARITY_RUNS ?? 10_000);

type Dto = NonNullable<ArgumentMetadata['metatype']>;
/** What each fuzz base's route declares: its @Param(), @Query() and @Body() classes. */
const ROUTES: Record<string, { params?: Dto; query?: Dto; body?: Dto }> = {
  schedule: { body: DropDefinitionDto },
  'schedule with phases': { body: DropDefinitionDto },
  revise: { params: DropIdParams, body: DropDefinitionDto },
  place: { params: DropIdParams, body: PlacePreOrderDto },
  'cancel drop': { params: DropIdParams, body: CancelDropDto },
  open: { params: DropIdParams },
  'open phase': { params: DropPhaseParams },
  'add members': { params: DropIdParams, body: DropMembersDto },
  'list members': { params: DropIdParams, query: ListDropMembersQuery },
  close: { params: DropIdParams },
  complete: { params: DropIdParams },
  'cancel pre-order': { params: PreOrderIdParams },
  payment: { params: PreOrderIdParams, body: PaymentFactDto },
  'refund request': { params: PreOrderIdParams, body: RefundRequestDto },
  dispatch: { params: PreOrderIdParams, body: DispatchDto },
  delivered: { params: PreOrderIdParams },
  'request return': { params: PreOrderIdParams, body: RequestReturnDto },
  'receive return': { params: ReturnIdParams, body: ReceiveReturnDto },
  'return refund': { params: ReturnIdParams, body: ReturnRefundDto },
  'request run': { params: DropIdParams, body: RequestRunDto },
  'start run': { params: RunIdParams },
  'complete run': { params: RunIdParams, body: CompleteRunDto },
  history: { params: DropIdParams, query: HistoryQuery },
  'get drop': { params: DropIdParams, query: GetDropQuery },
  'list drops': { query: ListDropsQuery },
  inventory: { params: DropIdParams },
  restock: { params: DropIdParams },
  summary: { params: DropIdParams },
  'customer pre-orders': { params: CustomerIdParams, query: PageQuery },
  analytics: { params: AnalyticsDropParams },
  'fulfillment tasks': { query: TasksQuery },
  'late tasks': {},
  projections: {},
  messaging: {},
  'dead letters': { params: ConsumerNameParams, query: DeadLettersQuery },
  'redrive dead letters': { params: ConsumerNameParams, body: RedriveDeadLettersDto },
  'dismiss dead letters': { params: ConsumerNameParams, body: RedriveDeadLettersDto },
  visits: { params: DropIdParams, body: RecordVisitsDto },
};

const compiled = validationPipe();
const reference = referenceValidationPipe();
const DROP_ID = 'parity-drop';
const bases = fuzzBases(DROP_ID, `${DROP_ID}.po.abc`);

/** The data a verdict hands on, as the controllers use it (JSON: class instances and plain objects alike). */
const handedOn = (v: PipeVerdict) => (v.ok ? { ok: true, value: JSON.stringify(v.value) } : v);

/** Runs `input` through both pipes (each gets its own copy: both strip keys in place) and expects the same answer. */
async function expectParity(metatype: Dto, type: ArgumentMetadata['type'], input: () => unknown, label: string): Promise<PipeVerdict> {
  const fromCompiled = await verdictOf(compiled, metatype, input(), type);
  const fromReference = await verdictOf(reference, metatype, input(), type);
  if (JSON.stringify(handedOn(fromCompiled)) !== JSON.stringify(handedOn(fromReference))) {
    throw new Error(
      `${label}: compiled ${JSON.stringify(handedOn(fromCompiled))} but class-validator ${JSON.stringify(handedOn(fromReference))} for ${JSON.stringify(input())}`,
    );
  }
  if (fromCompiled.ok) expect(plainData(fromCompiled.value)).toBe(true);
  return fromCompiled;
}

/** True when `value` holds no class instance at any depth: the compiled path builds none. */
function plainData(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(plainData);
  // A plain object or a dictionary without a prototype (Fastify's parsed query), never a DTO instance.
  const constructor = (Object.getPrototypeOf(value) as { constructor?: unknown } | null)?.constructor;
  if (typeof constructor === 'function' && constructor.name !== 'Object') return false;
  return Object.values(value).every(plainData);
}

describe('compiled validation gives the verdict, field and message of class-validator', () => {
  it('for every route of the fuzz, its DTOs are known', () => {
    for (const base of bases) expect(ROUTES[base.name]).toBeDefined();
  });

  it(`on ${RUNS} fuzz cases: bodies, query strings and path parameters`, async () => {
    const verdicts = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (fuzzCase) => {
        const request = mutate(bases, fuzzCase);
        const route = ROUTES[request.base.name];
        const label = `${request.base.name} / ${request.chosen}`;
        const count = (v: PipeVerdict, where: string) => {
          const key = v.ok ? `${where} ok` : `${where} ${v.field?.replace(/\d+/g, 'n')}`;
          verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
        };
        if (route.body && request.body !== undefined && request.raw === undefined) {
          const text = JSON.stringify(request.body);
          count(await expectParity(route.body, 'body', () => JSON.parse(text) as unknown, label), 'body');
        }
        if (route.query) {
          const text = queryString(request.query);
          count(await expectParity(route.query, 'query', () => parseQuery(text) as unknown, label), 'query');
        }
        if (route.params && request.rawPath === undefined && request.badSegment === undefined) {
          count(await expectParity(route.params, 'param', () => ({ ...request.params }), label), 'param');
        }
      }),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    // The cases reach both verdicts on every kind of input, and fail on many different fields.
    for (const where of ['body', 'query', 'param']) {
      expect(verdicts.get(`${where} ok`)).toBeGreaterThan(0);
      expect([...verdicts.keys()].filter((k) => k.startsWith(`${where} `)).length).toBeGreaterThan(5);
    }
  }, 300_000);

  it('on random JSON put in place of any field of a valid body, and random query values', async () => {
    const bodied = bases.filter((b) => ROUTES[b.name].body && b.body);
    const queried = bases.filter((b) => ROUTES[b.name].query);
    const json = fc.jsonValue({ maxDepth: 3 });
    const key = fc.oneof(fc.constantFrom(...PROTO_NAMES, '0', '1', 'x'), fc.string({ maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), json, key, fc.boolean(), async (bi, fi, value, extraKey, asKey) => {
        const base = bodied[bi % bodied.length];
        const body = JSON.parse(JSON.stringify(base.body)) as Json;
        const fields = ['', ...(base.fields ?? [])];
        const field = fields[fi % fields.length];
        const parent = field ? (field.split('.').reduce<unknown>((v, k) => (v as Json)?.[k], body) as Json) : body;
        // An array's `length` is not a key to add (assigning it throws or truncates it).
        const keyable = typeof parent === 'object' && parent !== null && !(Array.isArray(parent) && extraKey === 'length');
        if (asKey && keyable) parent[extraKey] = value;
        else if (field) {
          const keys = field.split('.');
          const last = keys.pop()!;
          (keys.reduce<unknown>((v, k) => (v as Json)[k], body) as Json)[last] = value;
        }
        const text = JSON.stringify(body);
        await expectParity(ROUTES[base.name].body!, 'body', () => JSON.parse(text) as unknown, `${base.name} ${field} ${extraKey}`);
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
    const queryValue = fc.oneof(
      fc.constantFrom('', '0', '1', '01', '1e2', ' 1', '0x10', '9007199254740993', '-1', 'web'),
      fc.string({ maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.dictionary(
          fc.oneof(key, fc.constantFrom('limit', 'offset', 'after', 'revision', 'asOf', 'status', 'city', 'dropId', 'depth')),
          fc.oneof(queryValue, fc.array(queryValue, { maxLength: 3 })),
        ),
        async (qi, query) => {
          const base = queried[qi % queried.length];
          const text = Object.entries(query)
            .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encodeURIComponent(k)}=${encodeURIComponent(one)}`))
            .join('&');
          await expectParity(ROUTES[base.name].query!, 'query', () => parseQuery(text) as unknown, `${base.name} ?${text}`);
        },
      ),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  }, 300_000);

  it('on inputs that are not objects, for a DTO with required fields and one without', async () => {
    for (const input of [null, undefined, 0, 7, '', 'text', true, false, [], [{}], ['x'], [[]]]) {
      for (const dto of [PlacePreOrderDto, TasksQuery, EffectsQuery, EventIdParams, DispatchTaskDto, TaskParams, ProjectionNameParams])
        await expectParity(dto, 'body', () => structuredCloneJson(input), `${dto.name} ${JSON.stringify(input)}`);
    }
  });
});

/** The checks that say what JavaScript type a property holds. */
const TYPE_CHECKS = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject']);
/** Checks whose message is a bound or a size, and so misleads about a value of another type ("must not be greater than 1000"). */
const BOUND_CHECKS = new Set(['min', 'max', 'isLength', 'minLength', 'maxLength', 'arrayMinSize', 'arrayMaxSize', 'arrayUnique']);

/**
 * Where a property's type check stands too late: after a bound, or (for a number, an array or an
 * object) after any other check. A string may be checked against its pattern first: a pattern's
 * message says what the value must look like ("sku must be 1-64 letters, digits, - or _"), which
 * tells a caller who sent a number, or nothing, more than "must be a string".
 */
function typeCheckedLate(names: string[]): boolean {
  const type = names.findIndex((n) => TYPE_CHECKS.has(n));
  if (type <= 0) return false;
  if (names[type] !== 'isString') return true;
  return names.slice(0, type).some((n) => BOUND_CHECKS.has(n) || n.endsWith('[each]'));
}

/** `dto` and every class its @ValidateNested properties hold (their @Type, as the compiled pipe finds it). */
function withNested(dto: Dto, seen = new Set<Dto>()): Set<Dto> {
  if (seen.has(dto)) return seen;
  seen.add(dto);
  for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false, undefined)) {
    if (m.type !== ValidationTypes.NESTED_VALIDATION) continue;
    const nested = transformerStorage.findTypeMetadata(dto, m.propertyName)?.typeFunction() as Dto | undefined;
    if (nested) withNested(nested, seen);
  }
  return seen;
}

describe("a property's type is checked before its bounds", () => {
  // class-validator runs a property's rules in the order their decorators were applied, which is
  // bottom-up: a type decorator written above @Min/@Max ran last, so a missing or mistyped
  // quantity was answered "quantity must not be greater than 1000". Type decorators go below the bounds.
  it('for every DTO of every route, nested ones included, and the environment', () => {
    const dtos = new Set<Dto>([EnvironmentVariables, DispatchTaskDto, TaskParams, ProjectionNameParams, EffectsQuery, EventIdParams]);
    for (const route of Object.values(ROUTES)) for (const dto of [route.params, route.query, route.body]) if (dto) dtos.add(dto);
    const checked = new Set<Dto>();
    for (const dto of dtos) withNested(dto, checked);
    expect(checked.size).toBeGreaterThan(30);
    const late: string[] = [];
    for (const dto of checked) {
      const byProperty = new Map<string, string[]>();
      for (const m of getMetadataStorage().getTargetValidationMetadatas(dto, '', false, false, undefined)) {
        if (m.type !== ValidationTypes.CUSTOM_VALIDATION) continue;
        for (const c of getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)) {
          const names = byProperty.get(m.propertyName) ?? [];
          names.push(m.each ? `${c.name}[each]` : (c.name ?? ''));
          byProperty.set(m.propertyName, names);
        }
      }
      for (const [property, names] of byProperty) {
        if (typeCheckedLate(names)) late.push(`${dto.name}.${property}: ${names.join(', ')}`);
      }
    }
    expect(late).toEqual([]);
  });

  it('so the answer names the type for a missing or mistyped value, and the range for a number out of it', async () => {
    const cases: Array<[Dto, ArgumentMetadata['type'], unknown, string, string]> = [
      [PlacePreOrderDto, 'body', { customerId: 'c-1', sku: 'HH-M-NAVY' }, 'quantity', 'quantity must be an integer number'],
      [PlacePreOrderDto, 'body', { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: '2' }, 'quantity', 'quantity must be an integer number'],
      [PlacePreOrderDto, 'body', { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 0 }, 'quantity', 'quantity must not be less than 1'],
      [
        PlacePreOrderDto,
        'body',
        { customerId: 'c-1', sku: 'HH-M-NAVY', quantity: 5000 },
        'quantity',
        'quantity must not be greater than 1000',
      ],
      [PlacePreOrderDto, 'body', { customerId: 'c-1', quantity: 1 }, 'sku', 'sku must be 1-64 letters, digits, - or _'],
      [DispatchTaskDto, 'body', { carrier: 7, trackingNumber: 'RM1' }, 'carrier', 'carrier must be a string'],
      [DropMembersDto, 'body', { customerIds: 'c-1' }, 'customerIds', 'customerIds must be an array'],
      [HistoryQuery, 'query', { limit: 'abc' }, 'limit', 'limit must be an integer number'],
      [HistoryQuery, 'query', { limit: ['1', '2'] }, 'limit', 'limit must be an integer number'],
      [HistoryQuery, 'query', { limit: '-1' }, 'limit', 'limit must not be less than 1'],
      [HistoryQuery, 'query', { limit: '5000' }, 'limit', 'limit must not be greater than 1000'],
      [GetDropQuery, 'query', { revision: '-1' }, 'revision', 'revision must not be less than 0'],
      [PageQuery, 'query', { offset: '' }, 'offset', 'offset must be an integer number'],
    ];
    for (const [dto, type, input, field, message] of cases) {
      const verdict = await expectParity(dto, type, () => structuredCloneJson(input), `${dto.name} ${JSON.stringify(input)}`);
      expect({ input, verdict }).toEqual({ input, verdict: { ok: false, field, message } });
    }
  });
});

function structuredCloneJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
