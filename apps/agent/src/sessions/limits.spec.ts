import { describe, expect, test } from '@jest/globals';
import { AdmissionLimits, sourceHost } from './limits.js';

const settings = {
  connectRatePerAddress: 2,
  connectBurstPerAddress: 3,
  authFailuresPerMinute: 2,
  authLockoutMs: 60_000,
  maxSessionsPerPrincipal: 2,
  maxTracked: 3,
};

describe('admission limits', () => {
  test('a burst is admitted, then new sessions come at the refill rate', () => {
    const limits = new AdmissionLimits(settings);
    const t = 1_000_000;
    expect([0, 1, 2].map(() => limits.admitAttempt('10.0.0.1', 'alice', t))).toEqual([null, null, null]);
    expect(limits.admitAttempt('10.0.0.1', 'bob', t)?.limit).toBe('connect_rate');
    expect(limits.admitAttempt('10.0.0.2', 'alice', t)).toBeNull();
    expect(limits.admitAttempt('10.0.0.1', 'alice', t + 500)).toBeNull();
    expect(limits.admitAttempt('10.0.0.1', 'alice', t + 500)?.limit).toBe('connect_rate');
  });

  test('failed authentications lock out that name from that address only, for a minute', () => {
    const limits = new AdmissionLimits(settings);
    const t = 2_000_000;
    limits.authFailed('10.0.0.9', 'alice', t);
    limits.authFailed('10.0.0.9', 'alice', t + 1);
    expect(limits.admitAttempt('10.0.0.9', 'alice', t + 10)?.limit).toBe('auth_failures');
    expect(limits.admitAttempt('10.0.0.9', 'bob', t + 10)).toBeNull();
    expect(limits.admitAttempt('10.0.0.8', 'alice', t + 10)).toBeNull();
    expect(limits.admitAttempt('10.0.0.9', 'alice', t + 60_001)).toBeNull();
  });

  test('each further lockout of the same name and address lasts twice as long; a success clears it', () => {
    const limits = new AdmissionLimits(settings);
    let t = 2_500_000;
    const lockOut = () => {
      limits.authFailed('10.0.0.9', 'alice', t);
      limits.authFailed('10.0.0.9', 'alice', t);
    };
    lockOut();
    t += 60_001;
    expect(limits.admitAttempt('10.0.0.9', 'alice', t)).toBeNull();
    lockOut();
    expect(limits.admitAttempt('10.0.0.9', 'alice', t + 60_001)?.limit).toBe('auth_failures');
    expect(limits.admitAttempt('10.0.0.9', 'alice', t + 120_001)).toBeNull();
    limits.authSucceeded('10.0.0.9', 'alice');
    t += 120_001;
    lockOut();
    expect(limits.admitAttempt('10.0.0.9', 'alice', t + 60_001)).toBeNull();
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
    limits.authFailed('a', 'alice', t);
    limits.authFailed('a', 'alice', t);
    for (const address of ['b', 'c', 'd']) limits.authFailed(address, 'alice', t);
    expect(limits.admitAttempt('a', 'alice', t)).toBeNull();
  });

  test('the source host is taken from host:port forms', () => {
    expect(sourceHost('127.0.0.1:5432')).toBe('127.0.0.1');
    expect(sourceHost('[::1]:5432')).toBe('::1');
    expect(sourceHost('::ffff:10.0.0.1:40112')).toBe('::ffff:10.0.0.1');
    expect(sourceHost('::1:40112')).toBe('::1');
  });
});
