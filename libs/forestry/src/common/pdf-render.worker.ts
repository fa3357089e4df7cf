import { parentPort } from 'node:worker_threads';
import type { PdfWorkerReply, PdfWorkerRequest } from './pdf-renderer';

/**
 * The PDF render thread (see PdfRenderer): loads the named renderer (a module of this code base, never a name from
 * a request) and answers with the bytes or the error's message. Renders run one after another.
 */
const port = parentPort;
if (port === null) throw new Error('pdf-render.worker must run as a worker thread');

port.on('message', (request: PdfWorkerRequest) => {
  void (async () => {
    let reply: PdfWorkerReply;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time by PdfRenderJob
      const loaded = require(request.module) as Record<string, unknown>;
      const render = loaded[request.exportName];
      if (typeof render !== 'function') throw new Error(`${request.module} exports no function ${request.exportName}`);
      const pdf = (await (render as (input: unknown) => Promise<Buffer>)(request.input)) as Uint8Array;
      reply = { id: request.id, pdf };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  })();
});
