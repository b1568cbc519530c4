import { describe, expect, test } from '@jest/globals';
import { AdmissionLimits, sourceHost } from './limits.js';

const settings = {
  connectRatePerAddress: 2,
  connectBurstPerAddress: 3,
  authFailuresPerMinute: 2,
  maxSessionsPerPrincipal: 2,
  maxTracked: 3,
};

describe('admission limits', () => {
  test('a burst is admitted, then new sessions come at the refill rate', () => {
    const limits = new AdmissionLimits(settings);
    const t = 1_000_000;
    expect([0, 1, 2].map(() => limits.admitAttempt('10.0.0.1', t))).toEqual([null, null, null]);
    expect(limits.admitAttempt('10.0.0.1', t)?.limit).toBe('connect_rate');
    expect(limits.admitAttempt('10.0.0.2', t)).toBeNull();
    expect(limits.admitAttempt('10.0.0.1', t + 500)).toBeNull();
    expect(limits.admitAttempt('10.0.0.1', t + 500)?.limit).toBe('connect_rate');
  });

  test('failed authentications bar the address for the rest of the minute', () => {
    const limits = new AdmissionLimits(settings);
    const t = 2_000_000;
    limits.authFailed('10.0.0.9', t);
    limits.authFailed('10.0.0.9', t + 1);
    expect(limits.admitAttempt('10.0.0.9', t + 10)?.limit).toBe('auth_failures');
    expect(limits.admitAttempt('10.0.0.9', t + 60_001)).toBeNull();
  });

  test('sessions per principal are counted until released, once each', () => {
    const limits = new AdmissionLimits(settings);
    const a = limits.openSession('alice');
    const b = limits.openSession('alice');
    expect('limit' in limits.openSession('alice')).toBe(true);
    if ('release' in a) {
      a.release();
      a.release();
    }
    const c = limits.openSession('alice');
    expect('release' in c).toBe(true);
    expect('limit' in limits.openSession('alice')).toBe(true);
    expect('release' in b && 'release' in limits.openSession('bob')).toBe(true);
  });

  test('memory stays bounded: the least recently seen address is forgotten', () => {
    const limits = new AdmissionLimits(settings);
    const t = 3_000_000;
    limits.authFailed('a', t);
    limits.authFailed('a', t);
    for (const address of ['b', 'c', 'd']) limits.admitAttempt(address, t);
    expect(limits.admitAttempt('a', t)).toBeNull();
  });

  test('the source host is taken from host:port forms', () => {
    expect(sourceHost('127.0.0.1:5432')).toBe('127.0.0.1');
    expect(sourceHost('[::1]:5432')).toBe('::1');
    expect(sourceHost('::ffff:10.0.0.1:40112')).toBe('::ffff:10.0.0.1');
    expect(sourceHost('::1:40112')).toBe('::1');
  });
});
