import { describe, expect, test } from '@jest/globals';
import { encodeSessionState, SessionTrack } from '@postern/wire-mysql';
import { ClientCharset } from './client-charset.js';

const UTF8MB4 = 45;
const LATIN1 = 8;
const GBK = 28;

describe('ClientCharset', () => {
  test('readable sets from the handshake; latin1 text decoded as latin1', () => {
    expect(new ClientCharset(UTF8MB4, true).refusal('SELECT 1')).toBeNull();
    const latin1 = new ClientCharset(LATIN1, true);
    expect(latin1.refusal('SELECT 1')).toBeNull();
    expect(latin1.decode(Buffer.from('\x03SELECT \xe9', 'latin1'), 1)).toBe('SELECT é');
  });

  test('gbk cannot be checked: everything but SET NAMES to a readable set is refused', () => {
    const gbk = new ClientCharset(GBK, true);
    expect(gbk.refusal('SELECT 1')).toMatch(/character set/);
    expect(gbk.refusal("SET NAMES 'utf8mb4'")).toBeNull();
    expect(gbk.refusal('SET NAMES big5')).toMatch(/character set/);
  });

  test('session tracking of character_set_client is followed', () => {
    const charset = new ClientCharset(UTF8MB4, true);
    const change = (value: string) =>
      encodeSessionState([{ type: SessionTrack.SYSTEM_VARIABLES, name: 'character_set_client', value }]);
    charset.observe(change('sjis'));
    expect(charset.refusal('SELECT 1')).toMatch(/sjis/);
    charset.observe(change('utf8mb4'));
    expect(charset.refusal('SELECT 1')).toBeNull();
  });

  test('without tracking, only a lone SET NAMES may change the set, and it counts once it succeeded', () => {
    const charset = new ClientCharset(UTF8MB4, false);
    expect(charset.refusal('SET character_set_client = gbk')).toMatch(/cannot follow/);
    expect(charset.refusal('SET NAMES gbk')).toMatch(/cannot follow/);
    expect(charset.refusal('SET NAMES latin1')).toBeNull();
    expect(charset.pending('SET NAMES latin1')).toBe('latin1');
    charset.switched('latin1');
    expect(charset.decode(Buffer.from('\x03\xe9', 'latin1'), 1)).toBe('é');
  });
});
