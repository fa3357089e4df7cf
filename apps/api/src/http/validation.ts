import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from '@forest-ledger/ledger';

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

/** Path of the first string holding a NUL character (PostgreSQL text cannot store one), or null. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      const found = findNul(key, path ? `${path}.${key}` : key) ?? findNul(v, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
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
