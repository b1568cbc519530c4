import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, secretKeyMaterial } from '../platform/common/secret-box.js';
import { CONFIG, type ControlPlaneConfig } from '../platform/config/config.js';

/**
 * Endpoint secrets at rest — a webhook's signing key, a Slack webhook URL — sealed with
 * AES-256-GCM under a key derived from POSTERN_SECRETS_ENCRYPTION_KEY (else the bootstrap admin
 * token) and bound to the endpoint's id.
 */
@Injectable()
export class NotificationSecrets {
  private readonly box: SecretBox;

  constructor(@Inject(CONFIG) config: ControlPlaneConfig) {
    this.box = new SecretBox(secretKeyMaterial(config), 'notification endpoint secret');
  }

  seal(endpointId: string, secret: string): Buffer<ArrayBuffer> {
    return this.box.seal(secret, endpointId);
  }

  /** Throws SecretBoxError when it cannot be opened (another key, or altered). */
  open(endpointId: string, sealed: Buffer): string {
    return this.box.open(sealed, endpointId);
  }
}
