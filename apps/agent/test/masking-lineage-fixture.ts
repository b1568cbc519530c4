// The fixture shared by the masking-by-lineage suites (masking-lineage.test.ts,
// python-clients.test.ts): a schema with known raw values, the masking rules over it, and the
// leak detector that says whether a piece of client-visible text gives any of those values away.
import type { MaskingRuleInput } from '@postern/policy';
import { createTestDatabase, queryDatabase, type TestDatabase } from '@postern/testing';

export interface Customer {
  id: number;
  name: string;
  email: string;
  phone: string;
  iban: string;
  cardNumber: string;
  notes: string;
}

// Names, statuses and totals share no 7-character run with any masked value, so that a leak
// check on benign output cannot fire on real data.
export const CUSTOMERS: readonly Customer[] = [
  {
    id: 1,
    name: 'Ada Lovelace',
    email: 'a.byron.1815@analytical.example',
    phone: '+44 20 7946 0958',
    iban: 'GB82WEST12345698765432',
    cardNumber: '4539578763621486',
    notes: 'vip-night-calls-Q7',
  },
  {
    id: 2,
    name: 'Alan Turing',
    email: 'bombe.builder@bletchley.example',
    phone: '+1 415 555 0199',
    iban: 'DE89370400440532013000',
    cardNumber: '5500005555555559',
    notes: 'prefers-post-K9',
  },
  {
    id: 3,
    name: 'Grace Hopper',
    email: 'cobol.admiral@navy.example',
    phone: '+33 1 42 68 53 00',
    iban: 'FR1420041010050500013M02606',
    cardNumber: '378282246310005',
    notes: 'gift-basket-Z3',
  },
];

/** Column rule (partial) on the card, column rule (hash) on notes, detectors (redact). */
export const LINEAGE_RULES: MaskingRuleInput[] = [
  {
    id: 'm-card',
    name: 'cards',
    connectionIds: [],
    exemptGroups: ['auditors'],
    spec: { columns: ['customers.card_number'], style: 'partial' },
  },
  {
    id: 'm-notes',
    name: 'notes',
    connectionIds: [],
    exemptGroups: ['auditors'],
    spec: { columns: ['public.customers.notes'], style: 'hash' },
  },
  {
    id: 'm-detect',
    name: 'contact-details',
    connectionIds: [],
    exemptGroups: ['auditors'],
    spec: { detectors: ['email', 'phone', 'iban'], style: 'redact' },
  },
];

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const FIXTURE_SQL = `
  CREATE TABLE customers (
    id int PRIMARY KEY, name text, email text, phone text, iban text, card_number text, notes text);
  INSERT INTO customers VALUES ${CUSTOMERS.map(
    (c) => `(${c.id}, ${[c.name, c.email, c.phone, c.iban, c.cardNumber, c.notes].map(quote).join(', ')})`,
  ).join(',\n    ')};
  CREATE TABLE orders (
    id int PRIMARY KEY, customer_id int, total numeric(10, 2), placed_at date, status text);
  INSERT INTO orders
    SELECT g, 1 + g % 3, g * 12.5, date '2024-01-01' + g, (ARRAY['open', 'refunded', 'paid'])[1 + g % 3]
    FROM generate_series(1, 12) g;
  ANALYZE customers;
  ANALYZE orders;`;

/** A fresh database holding the fixture (one per suite, and one per direct baseline). */
export async function createLineageDatabase(prefix: string): Promise<TestDatabase> {
  const database = await createTestDatabase(prefix);
  await queryDatabase(database.url, FIXTURE_SQL);
  return database;
}

interface Form {
  /** What it is, for failure messages: "reverse of customers[1].card_number". */
  label: string;
  needle: string;
  caseSensitive: boolean;
}

const digitsOnly = (s: string) => s.replace(/\D/g, '');
const alnumOnly = (s: string) => s.replace(/[^0-9a-z]/gi, '').toLowerCase();
const reverse = (s: string) => [...s].reverse().join('');

function formsOf(label: string, raw: string, kind: 'email' | 'other'): Form[] {
  const forms: Form[] = [];
  const add = (what: string, needle: string, caseSensitive = false) => {
    if (needle.length >= 4 && !forms.some((f) => f.needle === needle)) {
      forms.push({ label: `${what} of ${label}`, needle, caseSensitive });
    }
  };
  const bytes = Buffer.from(raw, 'utf8');
  add('raw value (any case)', raw);
  add('reverse', reverse(raw));
  add('base64', bytes.toString('base64').replace(/=+$/, ''), true);
  add('hex', bytes.toString('hex'));
  const digits = digitsOnly(raw);
  if (digits.length >= 7) {
    add('digits-only form', digits);
    add('reversed digits', reverse(digits));
    for (let i = 0; i + 7 <= digits.length; i++) add('7-digit run', digits.slice(i, i + 7));
  }
  for (let i = 0; i + 8 <= raw.length; i++) add('8-character run', raw.slice(i, i + 8));
  if (kind === 'email') add('email local part', raw.slice(0, raw.indexOf('@')));
  return forms;
}

const SECRETS: { label: string; alnum: string; forms: Form[] }[] = CUSTOMERS.flatMap((c) =>
  (
    [
      ['email', c.email, 'email'],
      ['phone', c.phone, 'other'],
      ['iban', c.iban, 'other'],
      ['card_number', c.cardNumber, 'other'],
      ['notes', c.notes, 'other'],
    ] as const
  ).map(([column, raw, kind]) => {
    const label = `customers[id=${c.id}].${column}`;
    return { label, alnum: alnumOnly(raw), forms: formsOf(label, raw, kind) };
  }),
);

/**
 * The first way `text` gives a masked value away (raw, reversed, digits only, base64, hex, any
 * case, email local part, a long enough run of it, or its letters and digits with the
 * punctuation changed), or null. `text` is one cell, message or output line.
 */
export function findLeak(text: string): string | null {
  if (text.length < 4) return null;
  const lower = text.toLowerCase();
  const alnum = alnumOnly(text);
  for (const secret of SECRETS) {
    for (const form of secret.forms) {
      const found = form.caseSensitive ? text.includes(form.needle) : lower.includes(form.needle.toLowerCase());
      if (found) return `${form.label} (${JSON.stringify(form.needle)}) in ${JSON.stringify(clip(text, form.needle))}`;
    }
    if (secret.alnum.length >= 8 && alnum.includes(secret.alnum)) {
      return `letters and digits of ${secret.label} in ${JSON.stringify(clip(text, ''))}`;
    }
  }
  return null;
}

/** A short excerpt around `needle` for failure messages. */
function clip(text: string, needle: string): string {
  const at = needle === '' ? 0 : Math.max(0, text.toLowerCase().indexOf(needle.toLowerCase()) - 40);
  const excerpt = text.slice(at, at + needle.length + 80);
  return at > 0 || excerpt.length < text.length ? `…${excerpt}…` : excerpt;
}
