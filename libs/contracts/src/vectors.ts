/**
 * Pinned examples of every contract in this library, for the agent's and the control plane's own
 * tests: each side runs its real code path (the agent's recorder and authenticator, the control
 * plane's ingest, verification and login check) against these bytes, so the two apps agree byte
 * for byte with each other and with every chain already stored. Never change a value here: a
 * change means stored recordings or issued credentials stop verifying.
 */
export const RECORDING_CHAIN_VECTOR = {
  sessionId: '3f2b8c1e-9a4d-4c6b-8e2f-0a1b2c3d4e5f',
  /** The same session id as a client could spell it: it seeds the same chain. */
  sessionIdUppercase: '3F2B8C1E-9A4D-4C6B-8E2F-0A1B2C3D4E5F',
  seedHex: 'fdf7fce538e5b3a94cfa6041db07b286ea72abb73cf288269a532a12ee221fc2',
  chunks: [
    {
      seq: 0,
      final: false,
      data: '{"at":1700000000000,"type":"session.start"}\n',
      chainHashHex: '7db5f0185a0f0602d21750ff268e1ad53c9e0302290a7369c1cfd7b90ad99189',
    },
    {
      seq: 1,
      final: true,
      data: '{"at":1700000000500,"type":"session.end"}\n',
      chainHashHex: '911bbf47787d32e769e99cf785b46555c26a2416e7860df6d6d423089b8fe52c',
    },
  ],
} as const;

export const CONNECTION_CREDENTIAL_VECTOR = {
  credentialId: '0d6f1c2a-5b7e-4f10-9c3d-2e4a6b8c0d1e',
  secret: 'A'.repeat(43),
  token: `postern_conn_0d6f1c2a5b7e4f109c3d2e4a6b8c0d1e_${'A'.repeat(43)}`,
  /** sha256 of the secret: what the control plane stores and pushes to agents. */
  secretHashHex: '0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a',
  /** Near misses both sides must refuse. */
  malformed: [
    `postern_conn_0D6F1C2A5B7E4F109C3D2E4A6B8C0D1E_${'A'.repeat(43)}`,
    `postern_conn_0d6f1c2a5b7e4f109c3d2e4a6b8c0d1e_${'A'.repeat(42)}`,
    `postern_agent_0d6f1c2a5b7e4f109c3d2e4a6b8c0d1e_${'A'.repeat(43)}`,
    ` postern_conn_0d6f1c2a5b7e4f109c3d2e4a6b8c0d1e_${'A'.repeat(43)}`,
    `postern_conn_0d6f1c2a5b7e4f109c3d2e4a6b8c0d1e_${'A'.repeat(43)}\n`,
  ],
} as const;
