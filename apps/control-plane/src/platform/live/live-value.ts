import { DomainError } from '../errors/domain-error.js';
import { LiveOverflow } from './live-queue.js';

/**
 * A subscription's `resolve`: each item a LiveQueue yields becomes the field's value; the overflow
 * marker becomes a RESOURCE_EXHAUSTED error on the last message of the stream.
 */
export function liveValue<T, M>(toModel: (value: T) => M) {
  return (value: T | LiveOverflow): M => {
    if (value instanceof LiveOverflow) {
      throw new DomainError('RESOURCE_EXHAUSTED', 'the subscriber fell too far behind; subscribe again');
    }
    return toModel(value);
  };
}
