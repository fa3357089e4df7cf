import { Controller, Get, NotFoundException, OnModuleInit, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpResponse } from '../http/http';
import { Public } from '../auth/auth.decorators';

/** The village's public disclosure page (/disclosure/:village), static files next to the villagers' page: no login, no inline script. */
const ASSETS = {
  'disclosure.html': 'text/html; charset=utf-8',
  'disclosure.js': 'text/javascript; charset=utf-8',
  'disclosure.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;

@Controller('disclosure')
export class DisclosurePageController implements OnModuleInit {
  private readonly files = new Map<AssetName, Buffer>();

  onModuleInit(): void {
    for (const name of Object.keys(ASSETS) as AssetName[]) this.files.set(name, readFileSync(join(__dirname, 'assets', name)));
  }

  @Get('disclosure.js')
  @Public()
  @ApiExcludeEndpoint()
  script(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.asset('disclosure.js', res);
  }

  @Get('disclosure.css')
  @Public()
  @ApiExcludeEndpoint()
  style(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.asset('disclosure.css', res);
  }

  /** The same page for every village; its script reads the village code from the path. */
  @Get(':village')
  @Public()
  @ApiExcludeEndpoint()
  page(@Param('village') village: string, @Res({ passthrough: true }) res: HttpResponse): Buffer {
    if (!/^\d{12}$/.test(village)) throw new NotFoundException();
    return this.asset('disclosure.html', res);
  }

  private asset(name: AssetName, res: HttpResponse): Buffer {
    const body = this.files.get(name);
    if (body === undefined) throw new NotFoundException();
    res.header('Content-Type', ASSETS[name]);
    res.header('Cache-Control', 'no-cache');
    return body;
  }
}
