import { Module } from '@nestjs/common';
import { PiiModule } from '../parties/pii.module';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhooksService } from './webhooks.service';

/** Signed webhook subscriptions (issue 17): their administration (API) and their delivery (worker). */
@Module({
  imports: [PiiModule],
  providers: [WebhooksService, WebhookDeliveryService],
  exports: [WebhooksService, WebhookDeliveryService],
})
export class WebhooksModule {}
