import { applyDecorators, Get, NotFoundException } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Public } from '../auth/auth.decorators';
import type { HttpResponse } from './http';

const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const;
type FileName = `${string}.${keyof typeof CONTENT_TYPES}`;

/** A route that serves one of a page's files: no login, and not an API operation (left out of the OpenAPI document). */
export const StaticFileRoute = (path: string) => applyDecorators(Get(path), Public(), ApiExcludeEndpoint());

/**
 * A static page's files (HTML, script, style; no build step), read once from `folder` when the app starts (the
 * build copies the assets/ folders into dist) and sent with their content type and `no-cache`, so a deploy shows.
 */
export class StaticFiles<Name extends FileName> {
  private readonly files = new Map<Name, Buffer>();

  constructor(
    private readonly folder: string,
    private readonly names: readonly Name[],
  ) {}

  load(): void {
    for (const name of this.names) this.files.set(name, readFileSync(join(this.folder, name)));
  }

  send(name: Name, res: HttpResponse): Buffer {
    const body = this.files.get(name);
    if (body === undefined) throw new NotFoundException();
    res.header('Content-Type', CONTENT_TYPES[extname(name).slice(1) as keyof typeof CONTENT_TYPES]);
    res.header('Cache-Control', 'no-cache');
    return body;
  }
}
