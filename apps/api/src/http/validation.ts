import { DomainError } from '@forest-ledger/common';
import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { findNul } from './body-checks';

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

/** Input validation for every route: unknown fields refused, the first message names the field and the rule. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const problems = flatten(errors);
      const first = problems[0] ?? { field: 'body', rule: 'invalid', message: 'invalid request' };
      return new DomainError('invalid', 'VALIDATION_FAILED', problems.map((p) => p.message).join('; '), first.field, { problems });
    },
  });
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
