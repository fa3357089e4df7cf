import { BadRequestException } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { addEventSchemas } from './events/event-openapi';
import type { FastifyError, FastifyInstance } from 'fastify';
import helmet from 'helmet';
import iconv from 'iconv-lite';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AuditService } from '@forest-ledger/access';
import { correlationIdFor, Env, Metrics, pinoHttpLogsRequests, ReadDatabase, withRequestLogger } from '@forest-ledger/platform';
import { installAuditHooks } from './auth/audit-hooks';
import { ReadRoutingInterceptor } from './http/read-routing.interceptor';
import { installHttpMetrics } from './observability/http-metrics';
import { installQueueDashboard } from './observability/queue-dashboard';
import { installTracingHooks } from './observability/tracing-hooks';
import { bodyTooDeep, checkParsedBody, jsonDepth, MAX_BODY_DEPTH } from './http/body-checks';
import { ErrorFilter } from './http/error.filter';
import { completeDocument } from './http/openapi-contract';
import { HttpRequest, HttpResponse } from './http/http';
import { NulCharacterPipe, validationPipe } from './http/validation';
import { BalanceQuery, PostBatchDto, PostEntryDto, StatementQuery, TrialBalanceQuery } from './ledger/dto/ledger.dto';
import { withRequestExamples } from './http/openapi-examples';

/** The API application: Nest on Fastify. */
export type ApiApplication = NestFastifyApplication;

/** Request bodies are JSON of at most 1 MB (1,048,576 bytes); more is a 413 PAYLOAD_TOO_LARGE. */
export const BODY_LIMIT = 1024 * 1024;

/** An error of the body reading, with the `code` the error filter maps to a status (error.filter.ts). */
function bodyError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

const JSON_SYNTAX_CHAR = '#';
const FIRST_CHAR = /^[ \t\n\r]*([^ \t\n\r])/;

/**
 * JSON.parse's own message for a body that is valid JSON but not an object or array (which
 * the strict parser refuses), as body-parser words it: "Unexpected token '5', "5" is not valid JSON".
 */
function strictSyntaxError(text: string, char: string | undefined): SyntaxError {
  const index = char === undefined ? -1 : text.indexOf(char);
  const partial = index === -1 ? '' : text.substring(0, index) + JSON_SYNTAX_CHAR.repeat(text.length - index);
  try {
    JSON.parse(partial);
    return new SyntaxError('strict violation');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return new SyntaxError(message.replace(/#+/g, (placeholder) => text.substring(index, index + placeholder.length)));
  }
}

/**
 * The JSON body parser, with the semantics of Express's body-parser `json()` the API had before:
 * an empty body is `{}`; only an object or an array at the top (strict); charsets utf-*; no
 * Content-Encoding (a compressed body is refused with 415, it was never accepted). Beyond it: at
 * most MAX_BODY_DEPTH levels (400 BODY_TOO_DEEP), and no prototype keys, infinite numbers or
 * lone surrogates (body-checks.ts).
 */
export function parseJsonBody(body: Buffer, contentType: string | undefined, contentEncoding: string | undefined): unknown {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') throw bodyError('FL_ERR_UNSUPPORTED_ENCODING', `unsupported content encoding "${encoding}"`);
  const charset = (/;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1] ?? 'utf-8').toLowerCase();
  if (!charset.startsWith('utf-')) throw bodyError('FL_ERR_UNSUPPORTED_CHARSET', `unsupported charset "${charset.toUpperCase()}"`);
  if (body.length === 0) return {};
  let text: string;
  if (charset === 'utf-8') text = body.toString('utf8');
  else if (iconv.encodingExists(charset)) text = iconv.decode(body, charset);
  else throw bodyError('FL_ERR_UNSUPPORTED_ENCODING', `specified encoding unsupported: ${charset as string}`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = FIRST_CHAR.exec(text)?.[1];
  // Measured before parsing: nothing recursive (validation, class-transformer, fingerprints) ever sees a deeper body.
  if (jsonDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) throw bodyTooDeep();
  let parsed: unknown;
  try {
    if (first !== '{' && first !== '[') throw strictSyntaxError(text, first);
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    // The error filter answers a plain 400 as MALFORMED_REQUEST "request could not be parsed: …".
    throw new BadRequestException(error instanceof Error ? error.message : String(error));
  }
  checkParsedBody(parsed);
  return parsed;
}

/**
 * Request bodies: JSON parsed as above; any other content type is not read, and the handler
 * sees no body (as with Express, where only the JSON parser was installed).
 */
function installBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, req.headers['content-type'], req.headers['content-encoding']));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
}

/**
 * helmet's default security headers (CSP, HSTS, nosniff, frame options, ...), computed once:
 * with the defaults they are the same for every request, and helmet (or @fastify/helmet, which
 * runs it) would rebuild the CSP string and set a dozen headers one by one on each request,
 * about 3 % of the API's CPU in the B1 benchmark.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const collector = {
    setHeader(name: string, value: string): void {
      headers[name.toLowerCase()] = value;
    },
    removeHeader(): void {}, // X-Powered-By, which Fastify never sends
  };
  helmet()({} as IncomingMessage, collector as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * The HTTP adapter for main.ts and the e2e tests: a trailing slash names the same route, the
 * body limit is 1 MB, and the errors Fastify raises before Nest sees the request (a malformed
 * %-encoding, an over-long path parameter) leave in the API's error shape. The request id is
 * the correlation id (the caller's X-Correlation-Id when sane, else a UUID): every response
 * carries it, and the logs (pino-http) and the audit rows name it. Every response, 404s and
 * errors included, carries helmet's security headers.
 */
export function createHttpAdapter(): FastifyAdapter {
  const security = securityHeaders();
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2000 },
    genReqId: correlationIdFor,
    frameworkErrors: (error: FastifyError, req: HttpRequest, res: HttpResponse) => new ErrorFilter().reply(error, req, res.headers(security)),
  });
  adapter.getInstance().addHook('onRequest', (req, reply, done) => {
    reply.headers(security).header('x-correlation-id', req.id);
    done();
  });
  return adapter;
}

/**
 * The OpenAPI document as served at /docs-json: Nest's reading of the controllers and DTOs, the request examples,
 * the event schemas, then completed from the guards, error maps and validators (openapi-contract.ts), so it
 * cannot drift from them. The e2e tests validate answers against this same document.
 */
export function openApiDocument(app: ApiApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('forest-ledger (林账)')
    .setDescription(
      `Double-entry ledger for collective-forest reform. Amounts are decimal strings. Every state-changing request needs an Idempotency-Key header (keys are per user); bodies nest at most ${MAX_BODY_DEPTH} levels; errors are \`{ code, message, field, details, correlationId }\`.`,
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'api-key')
    .build();
  return completeDocument(addEventSchemas(withRequestExamples(SwaggerModule.createDocument(app, config))), app);
}

/** The DTOs of the routes the benchmarks load (posting, balances, statements): validated by the compiled fast path. */
const HOT_DTOS = [PostEntryDto, PostBatchDto, BalanceQuery, StatementQuery, TrialBalanceQuery];

/** Everything main.ts and the e2e tests share besides the adapter: body parsing, audit, read routing, validation, docs, shutdown. */
export function configureApp(app: ApiApplication): ApiApplication {
  app.useLogger(app.get(Logger));
  const env = app.get(Env);
  // Above info pino-http writes nothing: the request's logger is bound here instead, and built only if used.
  if (!pinoHttpLogsRequests(env.LOG_LEVEL))
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', (req, _reply, done) => withRequestLogger(req.raw, done));
  installBodyParsers(app.getHttpAdapter().getInstance());
  installHttpMetrics(app.getHttpAdapter().getInstance(), app.get(Metrics), env);
  installQueueDashboard(app);
  installTracingHooks(app.getHttpAdapter().getInstance());
  installAuditHooks(app.getHttpAdapter().getInstance(), app.get(AuditService));
  // Read-your-writes across a replica; without DATABASE_READ_URL it would only add a layer to every request.
  if (app.get(ReadDatabase).configured) app.useGlobalInterceptors(app.get(ReadRoutingInterceptor));
  app.useGlobalPipes(new NulCharacterPipe(), validationPipe(HOT_DTOS));
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}
