import { Field, ObjectType } from '@nestjs/graphql';
import type { PublishedCheckpoint } from '../audit-checkpoint.js';

@ObjectType('AuditCheckpoint', {
  description:
    "A signed statement of the audit chain's head, as published to the logs: keep it outside Postern and " +
    'give it to `verify-audit --checkpoints` to detect a truncated or rebuilt log.',
})
export class AuditCheckpointModel {
  @Field({ description: 'The last event of the chain (decimal string).' }) seq!: string;
  @Field({ description: 'Its hash (hex).' }) hash!: string;
  @Field({ description: 'When the checkpoint was signed.' }) at!: Date;
  @Field({ description: 'Ed25519 signature (base64) of the checkpoint, see docs/operations.md.' }) signature!: string;
  @Field({ description: 'Which key signed it (see auditCheckpointKey).' }) keyId!: string;
  @Field({ description: 'The line as logged: `verify-audit --checkpoints` reads files of these.' }) line!: string;

  static from(published: PublishedCheckpoint): AuditCheckpointModel {
    return Object.assign(new AuditCheckpointModel(), {
      ...published.checkpoint,
      at: new Date(published.checkpoint.at),
      signature: published.signature,
      keyId: published.keyId,
      line: JSON.stringify(published),
    });
  }
}

@ObjectType('AuditCheckpointKey', { description: 'The public key that verifies audit checkpoints.' })
export class AuditCheckpointKeyModel {
  @Field() keyId!: string;
  @Field({ description: 'Ed25519 public key, SPKI PEM: `verify-audit --public-key <file>`.' }) publicKeyPem!: string;
}
