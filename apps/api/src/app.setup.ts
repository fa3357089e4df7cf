import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { NulCharacterPipe, validationPipe } from './http/validation';

export const BODY_LIMIT = '1mb';

/** Everything main.ts and the e2e tests share: security headers, limits, validation, docs, shutdown. */
export function configureApp(app: NestExpressApplication): INestApplication {
  app.useLogger(app.get(Logger));
  app.use(helmet());
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.useGlobalPipes(new NulCharacterPipe(), validationPipe());
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  const config = new DocumentBuilder()
    .setTitle('forest-ledger (林账)')
    .setDescription(
      'Double-entry ledger for collective-forest reform. Amounts are decimal strings. Every state-changing request needs an Idempotency-Key header; errors are `{ code, message, field, details, correlationId }`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
  return app;
}
