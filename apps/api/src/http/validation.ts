import { ValidationError, ValidationPipe } from '@nestjs/common';
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
