import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { PdfRenderReply, PdfRenderRequest } from './pdf-renderer';

/**
 * The PDF render process (see PdfRenderer), a child of one API process: loads the named renderer (a module of this
 * code base, never a name from a request) and answers with the bytes or the error's message. Renders run one after
 * another, at the lowest CPU priority, and the process ends with its parent (the IPC channel closing).
 */
const send = process.send?.bind(process);
if (send === undefined) throw new Error('pdf-render.process must run as a child process with an IPC channel');

lowestPriority();

process.on('disconnect', () => process.exit(0));
// One render at a time, in arrival order: a render is asynchronous (pdfkit streams its output), so renders started as
// their messages came would interleave, and under a backlog every one of them would finish only when the last did.
let queue: Promise<void> = Promise.resolve();
process.on('message', (request: PdfRenderRequest) => {
  queue = queue.then(() => renderOne(request));
});

async function renderOne(request: PdfRenderRequest): Promise<void> {
  let reply: PdfRenderReply;
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
  // A parent gone meanwhile (the channel closed): nobody is owed the reply, and 'disconnect' ends this process.
  if (process.connected) send?.(reply, undefined, undefined, () => undefined);
}

/**
 * Nice 19 for every thread of this process: Linux keeps a nice value per thread, so V8's own threads (GC, compiler),
 * started before this line, are lowered one by one; threads started later inherit it from the main thread. Where
 * there is no /proc, the process's priority.
 */
function lowestPriority(): void {
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const tid of threads) {
    try {
      setPriority(Number(tid), 19);
    } catch (error) {
      // ESRCH: a thread that ended meanwhile
      if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') throw error;
    }
  }
  if (threads.length === 0) setPriority(19);
}
