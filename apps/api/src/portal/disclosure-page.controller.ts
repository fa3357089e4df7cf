import { Controller, NotFoundException, OnModuleInit, Param, Res } from '@nestjs/common';
import { join } from 'node:path';
import type { HttpResponse } from '../http/http';
import { StaticFileRoute, StaticFiles } from '../http/static-files';

/** The village's public disclosure page (/disclosure/:village), static files next to the villagers' page: no login, no inline script. */
@Controller('disclosure')
export class DisclosurePageController implements OnModuleInit {
  private readonly files = new StaticFiles(join(__dirname, 'assets'), ['disclosure.html', 'disclosure.js', 'disclosure.css']);

  onModuleInit(): void {
    this.files.load();
  }

  @StaticFileRoute('disclosure.js')
  script(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.files.send('disclosure.js', res);
  }

  @StaticFileRoute('disclosure.css')
  style(@Res({ passthrough: true }) res: HttpResponse): Buffer {
    return this.files.send('disclosure.css', res);
  }

  /** The same page for every village; its script reads the village code from the path. */
  @StaticFileRoute(':village')
  page(@Param('village') village: string, @Res({ passthrough: true }) res: HttpResponse): Buffer {
    if (!/^\d{12}$/.test(village)) throw new NotFoundException();
    return this.files.send('disclosure.html', res);
  }
}
