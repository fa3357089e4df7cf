import { TransformationType, type TransformFnParams } from 'class-transformer';
import { defaultOptions } from 'class-transformer/cjs/constants/default-options.constant';
import { defaultMetadataStorage as transformStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';

/**
 * The fast path of the global ValidationPipe for hot DTOs, read from the same class-validator and
 * class-transformer metadata (the decorators stay the contract). A compiled class answers only
 * "valid, and here is the instance plainToInstance would have built" or "not sure": anything it does
 * not model, and every invalid value, goes to the real pipe, so the errors are class-validator's own.
 * Equivalence with the pipe: compiled-validation.spec.ts (property test).
 */

type Metadata = ReturnType<ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']>[number];
type Constructor = new () => object;
/** A DTO class as the pipe's metadata names it. */
export type DtoClass = abstract new (...args: never[]) => unknown;
type Validate = (value: unknown, args: ValidationArguments) => unknown;
type TransformFn = (params: TransformFnParams) => unknown;

/** Returned by a build when the value is outside what the compiled class models: the pipe decides. */
const UNSURE = Symbol('unsure');

interface FieldPlan {
  /** The class of @Type(() => X), when the property holds nested instances. */
  nested?: Constructor;
  /** The class-transformer @Transform functions of the property, in order (plain to class, no groups). */
  transforms: TransformFn[];
  /** Index of the last transform that ignores its input value (keepAsParsed), or -1. */
  lastKeepAsParsed: number;
}

interface CustomRule {
  metadata: Metadata;
  validate: Validate;
}

interface PropertyRules {
  property: string;
  conditions: Array<(object: object, value: unknown) => boolean>;
  rules: CustomRule[];
  nested: boolean;
}

interface ClassPlan {
  cls: Constructor;
  fields: Map<string, FieldPlan>;
  properties: PropertyRules[];
}

/** The transform marked by this symbol returns obj[key] whatever value it is given (see IsFreeFormObject). */
export const KEEPS_PARSED_VALUE = Symbol('keepsParsedValue');

const plans = new Map<unknown, ClassPlan | null>();
const transformOptions = { ...defaultOptions };
const builtInTypes: unknown[] = [String, Number, Boolean, Date, Buffer, Object, Array, Map, Set, Promise];

/** Values the pipe treats as built-ins (it neither strips them nor builds classes from them). */
const builtInValues = [Date, RegExp, Error, Map, Set, WeakMap, WeakSet, ArrayBuffer];

/** The whole value: a parsed body or query object (a query object may have its own prototype). */
function isTopLevelObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) && !builtInValues.some((t) => value instanceof t);
}

/** A nested value as JSON.parse makes it. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The pipe's own preparation of a value (gaps of sparse arrays closed, prototype keys stripped), in place. */
export type Prepare = (value: object) => void;

function keepsParsedValue(fn: TransformFn): boolean {
  return (fn as TransformFn & { [KEEPS_PARSED_VALUE]?: true })[KEEPS_PARSED_VALUE] === true;
}

/** The plan of a class, or null when it uses something the fast path does not model. Compiled once. */
function planOf(cls: DtoClass): ClassPlan | null {
  const known = plans.get(cls);
  if (known !== undefined) return known;
  const plan = compile(cls);
  plans.set(cls, plan);
  return plan;
}

function compile(cls: DtoClass): ClassPlan | null {
  if (builtInTypes.includes(cls) || cls.length > 0) return null;
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(cls, '', false, false, undefined);
  if (metadatas.length === 0) return null;
  if (transformStorage.getStrategy(cls) !== 'none' || transformStorage.getExposedMetadatas(cls).length || transformStorage.getExcludedMetadatas(cls).length) return null;
  const grouped = storage.groupByPropertyName(metadatas);
  const sample = new (cls as Constructor)() as Record<string, unknown>;
  const fields = new Map<string, FieldPlan>();
  const properties: PropertyRules[] = [];
  for (const [property, list] of Object.entries(grouped)) {
    // keys the pipe strips before class-transformer sees them: a value holding one goes to the pipe
    if (property === '__proto__' || property === 'constructor' || property === 'prototype') return null;
    // class-transformer skips a key the prototype holds as an accessor or method
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, property);
    if ((descriptor && !descriptor.set) || sample[property] instanceof Function) return null;
    const field = fieldPlan(cls, property);
    if (field === null) return null;
    fields.set(property, field);
    const rules: PropertyRules = { property, conditions: [], rules: [], nested: false };
    for (const m of list) {
      if (m.always || (m.groups && m.groups.length) || m.context !== undefined) return null;
      if (m.type === ValidationTypes.CONDITIONAL_VALIDATION) rules.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
      else if (m.type === ValidationTypes.NESTED_VALIDATION) rules.nested = true;
      else if (m.type === ValidationTypes.CUSTOM_VALIDATION || m.type === ValidationTypes.IS_DEFINED) {
        const constraints = storage.getTargetValidatorConstraints(m.constraintCls);
        for (const c of constraints) {
          if (c.async) return null;
          const instance = c.instance as { validate: Validate };
          rules.rules.push({ metadata: m, validate: instance.validate.bind(instance) });
        }
      } else if (m.type !== ValidationTypes.WHITELIST) return null;
    }
    // class-validator checks IS_DEFINED before the other rules
    rules.rules.sort((a, b) => Number(b.metadata.type === ValidationTypes.IS_DEFINED) - Number(a.metadata.type === ValidationTypes.IS_DEFINED));
    properties.push(rules);
  }
  return { cls: cls as Constructor, fields, properties };
}

function fieldPlan(cls: DtoClass, property: string): FieldPlan | null {
  const transforms = transformStorage
    .findTransformMetadatas(cls, property, TransformationType.PLAIN_TO_CLASS)
    .filter((t) => !t.options || !t.options.groups || !t.options.groups.length);
  if (transforms.some((t) => t.options && (t.options.since !== undefined || t.options.until !== undefined))) return null;
  const fns = transforms.map((t) => t.transformFn as TransformFn);
  let lastKeepAsParsed = -1;
  fns.forEach((fn, i) => {
    if (keepsParsedValue(fn)) lastKeepAsParsed = i;
  });
  const type = transformStorage.findTypeMetadata(cls, property);
  if (!type) return { transforms: fns, lastKeepAsParsed };
  if (type.options && Object.keys(type.options).length) return null;
  // class-transformer fills a Set for a property declared as one, an array otherwise
  if (type.reflectedType === Set) return null;
  const nested: unknown = type.typeFunction({ newObject: {}, object: {}, property });
  if (typeof nested !== 'function' || builtInTypes.includes(nested)) return null;
  return { nested: nested as Constructor, transforms: fns, lastKeepAsParsed };
}

// ------------------------------------------------------------------ build (plainToInstance)

/**
 * Builds what plainToInstance builds. Only keys of the class are accepted, so the pipe's preparation
 * (which deletes __proto__, constructor and prototype keys and closes array gaps) has nothing to do
 * outside the values kept as parsed; those are prepared here as the pipe would.
 */
function buildInstance(plan: ClassPlan, raw: Record<string, unknown>, prepare: Prepare): object | typeof UNSURE {
  const keys = Object.keys(raw);
  // first as the pipe: every key known, the values kept as parsed prepared before any transform reads them
  for (const key of keys) {
    const field = plan.fields.get(key);
    if (field === undefined) return UNSURE;
    const value = raw[key];
    if (field.lastKeepAsParsed >= 0 && typeof value === 'object' && value !== null) prepare(value);
  }
  const instance = new plan.cls() as Record<string, unknown>;
  for (const key of keys) {
    const field = plan.fields.get(key)!;
    let value = field.lastKeepAsParsed >= 0 ? raw[key] : buildValue(field, raw[key], prepare);
    if (value === UNSURE) return UNSURE;
    for (let i = field.lastKeepAsParsed + 1; i < field.transforms.length; i++) {
      value = field.transforms[i]({ value, key, obj: raw, type: TransformationType.PLAIN_TO_CLASS, options: transformOptions });
    }
    instance[key] = value;
  }
  return instance;
}

function buildValue(field: FieldPlan, value: unknown, prepare: Prepare): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return field.nested ? UNSURE : value;
  if (field.nested === undefined) return UNSURE;
  const plan = planOf(field.nested);
  if (plan === null) return UNSURE;
  if (isPlainObject(value)) return buildInstance(plan, value, prepare);
  if (!Array.isArray(value)) return UNSURE;
  const out: object[] = [];
  for (const item of value) {
    if (!isPlainObject(item)) return UNSURE; // a gap of a sparse array included
    const built = buildInstance(plan, item, prepare);
    if (built === UNSURE) return UNSURE;
    out.push(built);
  }
  return out;
}

// ------------------------------------------------------------------ check (class-validator, whitelist + forbidNonWhitelisted)

function isValid(plan: ClassPlan, instance: Record<string, unknown>): boolean {
  for (const key of Object.keys(instance)) if (!plan.fields.has(key)) return false;
  const targetName = plan.cls.name;
  for (const p of plan.properties) {
    const value = instance[p.property];
    let applies = true;
    for (const condition of p.conditions) applies = condition(instance, value) && applies;
    if (!applies) continue;
    for (const { metadata, validate } of p.rules) {
      if (metadata.validateIf && !metadata.validateIf(instance, value)) continue;
      const args: ValidationArguments = { targetName, property: metadata.propertyName, object: instance, value, constraints: metadata.constraints };
      if (metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
        const items: unknown[] = value instanceof Map ? Array.from(value.values()) : Array.from(value as Iterable<unknown>);
        for (const item of items) if (!passes(validate(item, args))) return false;
      } else if (!passes(validate(value, args))) return false;
    }
    if (p.nested && value !== undefined && !isValidNested(value)) return false;
  }
  return true;
}

/** class-validator's test is truthiness; a promise (an async rule not declared async) is left to the pipe. */
function passes(result: unknown): boolean {
  return Boolean(result) && !(typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function');
}

function isValidNested(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isValidNested);
  if (typeof value !== 'object' || value === null || value instanceof Set || value instanceof Map) return false;
  const plan = planOf(value.constructor as DtoClass);
  return plan !== null && isValid(plan, value as Record<string, unknown>);
}

/**
 * The instance the ValidationPipe would return for this value of the class, or undefined when the
 * value is invalid or outside the fast path (the caller then runs the pipe on it).
 */
export function compiledTransform(cls: DtoClass, value: unknown, prepare: Prepare): object | undefined {
  const plan = planOf(cls);
  if (plan === null || !isTopLevelObject(value)) return undefined;
  const instance = buildInstance(plan, value, prepare);
  if (instance === UNSURE) return undefined;
  return isValid(plan, instance as Record<string, unknown>) ? instance : undefined;
}

/** Whether the class compiles (for tests: the fast path is really taken for the hot DTOs). */
export function isCompiled(cls: DtoClass): boolean {
  return planOf(cls) !== null;
}
