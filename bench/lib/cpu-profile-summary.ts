import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileLine {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Busy = not (idle). */
  busyMs: number;
  selfByFunction: ProfileLine[];
  selfByPackage: ProfileLine[];
  /** Self time grouped into layers (HTTP stack, Nest, validation, DB client, ledger code, GC, ...). */
  selfByLayer: ProfileLine[];
  /** Inclusive (self + callees), counted once per sample even under recursion; app code and libraries only. */
  inclusive: ProfileLine[];
}

/** "express", "@nestjs/core", "node:net", "app:libs/ledger/src/ledger.service.js", or the V8 pseudo-frame. */
/**
 * Samples are taken on wall-clock ticks: a thread descheduled inside a syscall is sampled there.
 * On a saturated machine the loopback socket writes (to PostgreSQL and to HTTP clients) wake the
 * peer, which often preempts the writer, so these frames hold off-CPU time as well as syscall CPU.
 */
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString']);
export const SOCKET_WRITES_LABEL = '(socket write syscalls, incl. time descheduled in them)';

function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '' && SOCKET_WRITES.has(frame.functionName)) return SOCKET_WRITES_LABEL;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node:internal');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `app:${url
      .slice(dist + '/dist/'.length)
      .split('/')
      .slice(0, 3)
      .join('/')}`;
  return url;
}

const LAYERS: Array<[string, RegExp]> = [
  ['(idle)', /^\(idle\)$/],
  ['socket writes (syscall + descheduled)', /^\(socket write/],
  [
    'request logging (pino-http, pino, nestjs-pino)',
    /^(pino-http|pino|nestjs-pino|pino-std-serializers|@pinojs\/redact|fast-redact|sonic-boom|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|real-require|process-warning)$/,
  ],
  ['garbage collector', /^\(garbage collector\)$/],
  ['ledger + platform code (app:*)', /^app:/],
  ['DB client (typeorm, pg, pg-protocol, pg-types)', /^(typeorm|pg|pg-protocol|pg-types|pg-pool|postgres-.*|pgpass)$/],
  ['validation (class-validator, class-transformer)', /^(class-validator|class-transformer|validator|libphonenumber-js)$/],
  ['Nest (@nestjs/*, rxjs)', /^(@nestjs\/.*|rxjs|reflect-metadata)$/],
  [
    'HTTP stack (node:http/net, fastify, find-my-way, @fastify/*, helmet; express before)',
    /^(node:_http_.*|node:http|node:net|fastify|find-my-way|@fastify\/.*|avvio|light-my-request|toad-cache|reusify|fastq|fast-json-stringify|fast-querystring|fast-decode-uri-component|secure-json-parse|abstract-logging|rfdc|ret|safe-regex2|json-schema-ref-resolver|express|router|body-parser|raw-body|content-type|type-is|helmet|on-finished|finalhandler|send|iconv-lite|mime-types|qs|accepts|negotiator|vary|depd|statuses|fresh|etag|cookie|debug|ms|encodeurl|escape-html|parseurl|proxy-addr|forwarded|safe-buffer|http-errors|media-typer|bytes|unpipe|ee-first|setprototypeof|toidentifier|inherits|merge-descriptors|methods|path-to-regexp|utils-merge|content-disposition|serve-static|range-parser|cookie-signature|is-promise|once|wrappy)$/,
  ],
  ['decimal.js', /^decimal\.js$/],
  ['node internals (events, streams, timers, async hooks, crypto, buffer)', /^node:/],
];

function layerOf(pkg: string): string {
  return LAYERS.find(([, re]) => re.test(pkg))?.[0] ?? `other (${pkg === '(native)' ? 'V8 builtins/native' : pkg})`;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function functionKey(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName || '(anonymous)';
  return `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, totalMs: number, n: number): ProfileLine[] {
  return [...map]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / 1000 / totalMs }));
}

export function summarizeProfile(file: string, n = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];

  const selfFn = new Map<string, number>();
  const selfPkg = new Map<string, number>();
  const selfLayer = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  samples.forEach((id, i) => {
    // timeDeltas[i] is the time since the previous sample; attribute the interval to the sample that ends it.
    // The first one runs from the profiler's start, which takes hundreds of ms of the inspector's own dispatch.
    if (i === 0) return;
    const us = Math.max(0, deltas[i] ?? 0);
    const node = byId.get(id);
    if (!node) return;
    total += us;
    if (node.callFrame.functionName === '(idle)') idle += us;
    const fk = functionKey(node.callFrame);
    selfFn.set(fk, (selfFn.get(fk) ?? 0) + us);
    const pk = packageOf(node.callFrame);
    selfPkg.set(pk, (selfPkg.get(pk) ?? 0) + us);
    const lk = layerOf(pk);
    selfLayer.set(lk, (selfLayer.get(lk) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame || frame.url === '' || frame.url.startsWith('node:')) continue;
      const key = functionKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  });
  const busyMs = (total - idle) / 1000;
  return {
    file,
    totalMs: total / 1000,
    busyMs,
    selfByFunction: top(selfFn, busyMs, n),
    selfByPackage: top(selfPkg, busyMs, n),
    selfByLayer: top(selfLayer, busyMs, n),
    inclusive: top(incl, busyMs, n),
  };
}
