/** An SSH public key registered by a user (only the public half is ever stored). */
export interface SshKey {
  id: string;
  userId: string;
  name: string;
  algorithm: string;
  fingerprint: string;
  bits: number;
  createdAt: Date;
}

/** Keys one user may hold, so a snapshot cannot be inflated by one account. */
export const MAX_SSH_KEYS_PER_USER = 10;
export const MAX_SSH_KEY_NAME_LENGTH = 100;
