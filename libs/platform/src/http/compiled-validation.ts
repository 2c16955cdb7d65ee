import { ArgumentMetadata, INestApplication, PipeTransform } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import type { MetadataStorage as TransformerMetadataStorage } from 'class-transformer/types/MetadataStorage';
import {
  arrayMaxSize,
  arrayMinSize,
  arrayUnique,
  getMetadataStorage,
  isArray,
  isIn,
  isInt,
  isISO8601,
  isObject,
  isString,
  length,
  matches,
  max,
  min,
  ValidationArguments,
  ValidationTypes,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { ConstraintMetadata } from 'class-validator/types/metadata/ConstraintMetadata';
import { ProblemException } from './problem';
import { NAMES_PART, partNamed, refuseUnstorableText } from './validation';

// class-transformer keeps its decorators' metadata (@Type, @Transform) here and does not export it from its index.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage: transformerStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: TransformerMetadataStorage;
};

/** What a compiled validator answers: the value to hand the controller, or the first failure as the pipe reports it. */
export type Verdict = { ok: true; value: unknown } | { ok: false; field: string; message: string };

/** A DTO class compiled once: `(input, argument name) => Verdict`, with the verdict, field and message class-validator would give. */
export type CompiledValidator = (input: unknown, name?: string) => Verdict;

type Failure = { field: string; message: string };
type Dto = abstract new (...args: never[]) => unknown;

/**
 * The checks the compiler knows, by class-validator constraint name: each builds a plain predicate
 * from the decorator's constraints, calling class-validator's own function form of the rule (or,
 * for the repository's own constraints, the constraint's validate). A name not here is a decorator
 * the compiler does not know, and compiling its DTO throws at startup.
 */
type CheckFactory = (constraints: unknown[], instance: ConstraintMetadata['instance'], property: string) => (value: unknown) => boolean;
const c = (constraints: unknown[], i: number) => constraints[i] as never;
const CHECKS: Record<string, CheckFactory> = {
  isString: () => isString,
  isInt: () => isInt,
  isObject: () => isObject,
  isArray: () => isArray,
  arrayUnique: (k) => (v) => arrayUnique(v as unknown[], c(k, 0)),
  min: (k) => (v) => min(v, c(k, 0)),
  max: (k) => (v) => max(v, c(k, 0)),
  arrayMinSize: (k) => (v) => arrayMinSize(v, c(k, 0)),
  arrayMaxSize: (k) => (v) => arrayMaxSize(v, c(k, 0)),
  isLength: (k) => (v) => length(v, c(k, 0), c(k, 1)),
  isIso8601: (k) => (v) => isISO8601(v, c(k, 0)),
  isIn: (k) => {
    const allowed = k[0] as unknown[];
    // A Set answers like `some(v => v === value)` for these lists: no NaN in them.
    if (!Array.isArray(allowed) || allowed.some((a) => Number.isNaN(a))) return (v) => isIn(v, allowed);
    const set = new Set(allowed);
    return (v) => set.has(v);
  },
  matches: (k) => {
    const [pattern, modifiers] = k as [RegExp | string, string | undefined];
    // A global or sticky RegExp keeps state between test() calls; class-validator's match() does not.
    if (typeof pattern === 'string' || pattern.global || pattern.sticky)
      return (v) => matches(v as string, pattern as never, modifiers as string);
    return (v) => typeof v === 'string' && pattern.test(v);
  },
  // The repository's own constraints (validation.ts): their validate reads only the property.
  eachIsObject: (k, instance, property) => (v) => instance.validate(v, { constraints: k, property } as ValidationArguments) as boolean,
  eachMatches: (k, instance, property) => (v) => instance.validate(v, { constraints: k, property } as ValidationArguments) as boolean,
  countMap: (k, instance, property) => (v) => instance.validate(v, { constraints: k, property } as ValidationArguments) as boolean,
};

interface Check {
  name: string;
  each: boolean;
  test: (value: unknown) => boolean;
  metadata: ValidationMetadata;
  constraint: ConstraintMetadata;
}

interface PropertyPlan {
  name: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  checks: Check[];
  nested: Array<{ metadata: ValidationMetadata; plan: () => ClassPlan }>;
  transforms: Array<(value: unknown, object: object) => unknown>;
}

interface ClassPlan {
  target: Dto;
  properties: PropertyPlan[];
  byName: ReadonlyMap<string, PropertyPlan>;
  hasTransforms: boolean;
  /** This class or a type nested in it has a @Transform (set once the whole graph is compiled). */
  deepTransforms: boolean;
}

/**
 * Keys no validated value keeps, at any depth: Nest's pipe deleted `__proto__`, `prototype` and
 * `constructor`, and class-transformer skipped every name Object.prototype holds a function under
 * (`toString`, `valueOf`, …). They are dropped, not refused, exactly as before.
 */
const DROPPED_KEYS = new Set<string>([
  '__proto__',
  'prototype',
  'constructor',
  ...Object.getOwnPropertyNames(Object.prototype).filter((k) => k !== '__proto__' && typeof (Object.prototype as never)[k] === 'function'),
]);

function fieldOf(prefix: string, property: string): string {
  if (!prefix) return property;
  return /^\d+$/.test(property) ? `${prefix}[${property}]` : `${prefix}.${property}`;
}

/** class-validator's ValidationUtils.replaceMessageSpecialTokens, for the message of a failure. */
function messageOf(message: string | ((args: ValidationArguments) => string) | undefined, args: ValidationArguments): string {
  let text = typeof message === 'function' ? message(args) : message;
  if (!text) return text ?? '';
  args.constraints.forEach((constraint, index) => {
    text = text!.replace(new RegExp(`\\$constraint${index + 1}`, 'g'), constraintText(constraint));
  });
  if (args.value !== undefined && args.value !== null && ['string', 'boolean', 'number'].includes(typeof args.value))
    text = text.replace(/\$value/g, args.value as string);
  return text.replace(/\$property/g, args.property).replace(/\$target/g, args.targetName);
}
function constraintText(constraint: unknown): string {
  return Array.isArray(constraint)
    ? constraint.join(', ')
    : typeof constraint === 'symbol'
      ? (constraint.description ?? '')
      : `${constraint as string}`;
}

const plans = new WeakMap<Dto, ClassPlan>();

/** Reads class-validator's and class-transformer's metadata for `target` (and, lazily, its nested types) once. */
function planOf(target: Dto): ClassPlan {
  const cached = plans.get(target);
  if (cached) return cached;
  const name = target.name;
  for (
    let proto = target.prototype as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    const own = Object.getOwnPropertyNames(proto).filter((k) => k !== 'constructor');
    // class-transformer would skip a property that is a method or a getter; none of the DTOs has one.
    if (own.length > 0) throw new Error(`compiled validation: ${name} has members (${own.join(', ')}); DTOs are plain data`);
  }
  const transformer = transformerStorage as unknown as {
    getExposedMetadatas(t: Dto): unknown[];
    getExcludedMetadatas(t: Dto): unknown[];
  };
  if (transformer.getExposedMetadatas(target).length > 0 || transformer.getExcludedMetadatas(target).length > 0)
    throw new Error(`compiled validation: ${name} uses @Expose/@Exclude, which the compiler does not know`);

  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target, '', false, false, undefined);
  const byName = new Map<string, PropertyPlan>();
  const properties: PropertyPlan[] = [];
  const plan: ClassPlan = { target, properties, byName, hasTransforms: false, deepTransforms: false };
  plans.set(target, plan);
  for (const m of metadatas) {
    const where = `${name}.${m.propertyName}`;
    if ((m.groups && m.groups.length > 0) || m.always !== undefined || m.context !== undefined)
      throw new Error(`compiled validation: ${where} uses validation groups, always or context, which the compiler does not know`);
    if (DROPPED_KEYS.has(m.propertyName)) throw new Error(`compiled validation: ${where} is a name the pipe drops from every input`);
    let property = byName.get(m.propertyName);
    if (!property) {
      property = { name: m.propertyName, conditions: [], checks: [], nested: [], transforms: [] };
      byName.set(m.propertyName, property);
      properties.push(property);
    }
    if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) {
      property.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
    } else if (m.type === ValidationTypes.CUSTOM_VALIDATION) {
      for (const constraint of getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)) {
        const factory = CHECKS[constraint.name];
        if (!factory || constraint.async)
          throw new Error(
            `compiled validation: ${where} uses @${constraint.name}, which the compiler does not know (compiled-validation.ts, CHECKS)`,
          );
        property.checks.push({
          name: constraint.name,
          each: m.each === true,
          test: factory(m.constraints ?? [], constraint.instance, m.propertyName),
          metadata: m,
          constraint,
        });
      }
    } else if (m.type === ValidationTypes.NESTED_VALIDATION) {
      const type = transformerStorage.findTypeMetadata(target, m.propertyName);
      if (!type || !type.typeFunction || type.options?.discriminator)
        throw new Error(`compiled validation: ${where} is @ValidateNested without a plain @Type(() => Class)`);
      const nestedTarget = type.typeFunction() as Dto;
      if (typeof nestedTarget !== 'function') throw new Error(`compiled validation: ${where} has a @Type that is not a class`);
      property.nested.push({ metadata: m, plan: () => planOf(nestedTarget) });
    } else {
      throw new Error(`compiled validation: ${where} uses a ${m.type} rule, which the compiler does not know`);
    }
  }
  // @Transform runs on the properties the input has; a @Type without @ValidateNested would only build instances.
  for (const property of properties) {
    for (const t of transformerStorage.findTransformMetadatas(target, property.name, 0 /* TransformationType.PLAIN_TO_CLASS */)) {
      const options = t.options ?? {};
      if (Object.keys(options).some((k) => k !== 'toClassOnly'))
        throw new Error(`compiled validation: ${name}.${property.name} has @Transform options the compiler does not know`);
      property.transforms.push((value, object) => t.transformFn({ value, key: property.name, obj: object, type: 0, options: {} }));
      plan.hasTransforms = true;
    }
  }
  for (const property of properties) {
    const type = transformerStorage.findTypeMetadata(target, property.name);
    if (type && property.nested.length === 0)
      throw new Error(`compiled validation: ${name}.${property.name} has @Type without @ValidateNested`);
  }
  return plan;
}

/** Drops DROPPED_KEYS from every object, in place (the pipe stripped the input in place too). */
function dropKeys(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) dropKeys(item);
    return;
  }
  for (const key of Object.keys(value)) {
    if (DROPPED_KEYS.has(key)) delete (value as Record<string, unknown>)[key];
    else dropKeys((value as Record<string, unknown>)[key]);
  }
}

/** Applies the @Transform rules of `plan` and its nested types; copies an object only where a rule changes it. */
function transformed(value: unknown, plan: ClassPlan): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => transformed(item, plan));
  let out = value as Record<string, unknown>;
  if (plan.hasTransforms) {
    out = { ...out };
    for (const property of plan.properties) {
      if (!Object.hasOwn(out, property.name)) continue;
      for (const transform of property.transforms) out[property.name] = transform(out[property.name], value);
    }
  }
  for (const property of plan.properties) {
    if (property.nested.length === 0 || !Object.hasOwn(out, property.name)) continue;
    const nested = property.nested[0].plan();
    if (!nested.deepTransforms) continue;
    const next = transformed(out[property.name], nested);
    if (next !== out[property.name]) {
      if (out === value) out = { ...out };
      out[property.name] = next;
    }
  }
  return out;
}
function failureOf(check: Check, object: object, value: unknown, plan: ClassPlan, prefix: string): Failure {
  const args: ValidationArguments = {
    targetName: plan.target.name,
    property: check.metadata.propertyName,
    object,
    value,
    constraints: check.metadata.constraints ?? [],
  };
  const message = messageOf(
    (check.metadata.message as string | ((a: ValidationArguments) => string) | undefined) ||
      check.constraint.instance.defaultMessage?.(args),
    args,
  );
  let field = fieldOf(prefix, check.metadata.propertyName);
  const part = NAMES_PART.has(check.name) ? partNamed(check.metadata.propertyName, message) : undefined;
  if (part) field += part;
  return { field, message };
}

/** class-validator's ValidationExecutor.execute with whitelist, forbidNonWhitelisted and stopAtFirstError: the first failure. */
function validateObject(object: Record<string, unknown>, plan: ClassPlan, prefix: string): Failure | undefined {
  for (const key of Object.keys(object)) {
    if (!plan.byName.has(key)) return { field: fieldOf(prefix, key), message: `property ${key} should not exist` };
  }
  for (const property of plan.properties) {
    const failure = validateProperty(object, object[property.name], property, plan, prefix);
    if (failure) return failure;
  }
  return undefined;
}

function validateProperty(object: object, value: unknown, property: PropertyPlan, plan: ClassPlan, prefix: string): Failure | undefined {
  for (const condition of property.conditions) if (!condition(object, value)) return undefined;
  for (const check of property.checks) {
    const ok = check.each && Array.isArray(value) ? value.every(check.test) : check.test(value);
    if (!ok) return failureOf(check, object, value, plan, prefix);
  }
  if (value === undefined) return undefined;
  const field = fieldOf(prefix, property.name);
  for (const nested of property.nested) {
    const failure = validateNested(value, nested, field);
    if (failure) return failure;
  }
  return undefined;
}

/** class-validator's nestedValidations: arrays (at any depth) item by item, objects against the @Type class, anything else fails. */
function validateNested(value: unknown, nested: PropertyPlan['nested'][number], field: string): Failure | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (value[i] === undefined) continue;
      const failure = validateNested(value[i], nested, fieldOf(field, String(i)));
      if (failure) return failure;
    }
    return undefined;
  }
  // class-validator asked `instanceof Object`; class-transformer had made every nested object an instance by then.
  if (typeof value === 'object' && value !== null) return validateObject(value as Record<string, unknown>, nested.plan(), field);
  const m = nested.metadata;
  // class-validator passed the class itself as the object, so $target reads `Function`.
  const args: ValidationArguments = {
    targetName: 'Function',
    property: m.propertyName,
    object: m.target as object,
    value,
    constraints: m.constraints ?? [],
  };
  return { field, message: messageOf(m.message as string, args) };
}

/**
 * Compiles the validator of a DTO class, once, from class-validator's decorators (the source of
 * truth) and class-transformer's @Type/@Transform: the same verdict, the same first field and the
 * same message as Nest's ValidationPipe with class-validator (whitelist, forbidNonWhitelisted,
 * transform, stopAtFirstError), without building class instances. The value handed on is the
 * input itself — plain objects — with the keys the pipe always dropped removed in place and
 * @Transform rules applied to a copy. Throws on any decorator it does not know.
 */
export function compileValidator(target: Dto): CompiledValidator {
  const plan = planOf(target);
  // Compile every nested type now, so an unknown decorator anywhere fails at startup.
  const seen = new Set<ClassPlan>();
  const visit = (p: ClassPlan): void => {
    if (seen.has(p)) return;
    seen.add(p);
    for (const property of p.properties) for (const nested of property.nested) visit(nested.plan());
  };
  visit(plan);
  for (let changed = true; changed;) {
    changed = false;
    for (const p of seen) {
      if (p.deepTransforms) continue;
      p.deepTransforms = p.hasTransforms || p.properties.some((property) => property.nested.some((n) => n.plan().deepTransforms));
      changed ||= p.deepTransforms;
    }
  }
  return (input, name = 'body') => {
    // Nest's pipe validated null and undefined as an empty object.
    if (input === null || input === undefined) input = {};
    if (typeof input !== 'object') return notAnObject(input, plan, name);
    dropKeys(input);
    if (Array.isArray(input)) {
      // class-validator read an array's indexes as properties: the first is never one of the DTO's.
      if (input.length > 0) return { ok: false, field: '0', message: 'property 0 should not exist' };
      return notAnObject(input, plan, name);
    }
    const value = transformed(input, plan) as Record<string, unknown>;
    const failure = validateObject(value, plan, '');
    return failure ? { ok: false, ...failure } : { ok: true, value };
  };
}

/**
 * A primitive or an empty array where a DTO was expected: Nest's pipe validated a stand-in without
 * properties (so a required property fails first), then refused it as not an object, naming the
 * argument (`body`, `query`, or the `@Body('name')`).
 */
function notAnObject(input: unknown, plan: ClassPlan, name: string): Verdict {
  const failure = validateObject({}, plan, '');
  if (failure) return { ok: false, ...failure };
  if (plan.properties.length === 0) return { ok: true, value: input };
  return { ok: false, field: name, message: 'Validation failed (object is expected)' };
}

const PRIMITIVE_TYPES = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date]);

/**
 * The validation pipe of every route: body, query and path parameters typed as a DTO class go
 * through that class's compiled validator (compiled on first sight, or at startup with
 * `precompile`); RFC 7807 400 VALIDATION.FAILED names the first failing field. Before any DTO
 * rule, every string of the body, query and path is checked for characters that cannot be stored.
 * Parameters typed as primitives are converted the way Nest's ValidationPipe with transform did.
 */
export class CompiledValidationPipe implements PipeTransform {
  private readonly validators = new WeakMap<Dto, CompiledValidator>();

  /** Compiles the validators of these DTO classes now (an unknown decorator throws here, at startup). */
  precompile(targets: Iterable<unknown>): void {
    for (const target of targets) if (isDto(target)) this.validatorOf(target);
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { type, metatype } = metadata;
    refuseUnstorableText(value, metadata);
    if (type === 'custom' || !isDto(metatype)) return primitive(value, metadata);
    const verdict = this.validatorOf(metatype)(value, metadata.data || type);
    if (!verdict.ok) throw new ProblemException(400, 'VALIDATION.FAILED', verdict.message, { field: verdict.field });
    return verdict.value;
  }

  private validatorOf(target: Dto): CompiledValidator {
    let validator = this.validators.get(target);
    if (!validator) {
      validator = compileValidator(target);
      this.validators.set(target, validator);
    }
    return validator;
  }
}

function isDto(metatype: unknown): metatype is Dto {
  return typeof metatype === 'function' && !PRIMITIVE_TYPES.has(metatype);
}

/** Nest's ValidationPipe.transformPrimitive: `@Param('n') n: number` and the like. */
function primitive(value: unknown, { type, metatype, data }: ArgumentMetadata): unknown {
  if (!data || (type !== 'param' && type !== 'query')) return value;
  if (metatype === Boolean) return value === undefined ? undefined : value === true || value === 'true';
  if (metatype === Number) return value === undefined ? undefined : +(value as number);
  if (metatype === String && value !== undefined) return String(value);
  return value;
}

/** A validation pipe (tests; apps call useCompiledValidation). */
export function validationPipe(): CompiledValidationPipe {
  return new CompiledValidationPipe();
}

const VALIDATED = new Set<number>([RouteParamtypes.BODY, RouteParamtypes.QUERY, RouteParamtypes.PARAM]);

/** The classes every route of `app` declares for @Body(), @Query() and @Param() (from Nest's route metadata). */
export function routeArgumentTypes(app: INestApplication): Set<unknown> {
  const types = new Set<unknown>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as { prototype: object } | null;
      if (!controller) continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        if (method === 'constructor') continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number }>;
        const declared = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as unknown[];
        for (const [key, arg] of Object.entries(args)) if (VALIDATED.has(Number(key.split(':')[0]))) types.add(declared[arg.index]);
      }
    }
  }
  return types;
}

/**
 * Installs the compiled validation pipe on every route of `app` and compiles the validator of
 * every DTO its routes declare now, at startup: a decorator the compiler does not know stops the
 * app from starting instead of reaching a request.
 */
export function useCompiledValidation(app: INestApplication): void {
  const pipe = validationPipe();
  pipe.precompile(routeArgumentTypes(app));
  app.useGlobalPipes(pipe);
}
