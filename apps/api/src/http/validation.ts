import { DomainError } from '@forest-ledger/common';
import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe, type ValidationPipeOptions } from '@nestjs/common';
import { findNul } from './body-checks';
import { compiledTransform, type DtoClass } from './compiled-validation';

interface Problem {
  field: string;
  rule: string;
  message: string;
}

function flatten(errors: ValidationError[], prefix = ''): Problem[] {
  return errors.flatMap((e) => {
    const field = /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({ field, rule, message: message.replace(e.property, field) }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * The ValidationPipe with a compiled fast path for the hot DTOs (posting, balances, statements): a valid
 * value gets the same instance without the reflection; anything else, every error included, goes to the pipe.
 */
export class CompiledValidationPipe extends ValidationPipe {
  private readonly compiled: ReadonlySet<unknown>;

  constructor(options: ValidationPipeOptions, compiled: readonly DtoClass[]) {
    super(options);
    this.compiled = new Set(compiled);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (metadata.type !== 'custom' && metatype !== undefined && this.compiled.has(metatype)) {
      const instance = compiledTransform(metatype, value, this.prepare);
      if (instance !== undefined) return instance;
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }

  /** What the pipe does to a value before plainToInstance, in place. */
  readonly prepare = (value: object): void => {
    this.closeArrayGaps(value);
    this.stripProtoKeys(value);
  };
}

export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  stopAtFirstError: true,
  exceptionFactory: (errors) => {
    const problems = flatten(errors);
    const first = problems[0] ?? { field: 'body', rule: 'invalid', message: 'invalid request' };
    return new DomainError('invalid', 'VALIDATION_FAILED', problems.map((p) => p.message).join('; '), first.field, { problems });
  },
};

/** Input validation for every route: unknown fields refused, the first message names the field and the rule. */
export function validationPipe(compiled: readonly DtoClass[] = []): ValidationPipe {
  return new CompiledValidationPipe(VALIDATION_OPTIONS, compiled);
}

/** Refuses NUL characters anywhere in body, query or path parameters, naming the field. */
@Injectable()
export class NulCharacterPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const field = findNul(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
    if (field !== null) {
      throw new DomainError('invalid', 'VALIDATION_FAILED', `${field || metadata.type} must not contain the NUL character (\\u0000)`, field || metadata.type);
    }
    return value;
  }
}
