import type { DetectorName } from '../contract.js';
import type { Detector } from './detector.js';
import { email } from './email.js';
import { iban } from './iban.js';
import { nationalId } from './national-id.js';
import { paymentCard } from './payment-card.js';
import { phone } from './phone.js';
import { secret } from './secret.js';

export type { Detector, MatchSink } from './detector.js';
export { Candidate, candidatesInBytes, candidatesInString } from './prefilter.js';

export const DETECTORS: Readonly<Record<DetectorName, Detector>> = {
  email,
  payment_card: paymentCard,
  iban,
  phone,
  national_id: nationalId,
  secret,
};

export const DETECTOR_NAMES = Object.keys(DETECTORS) as DetectorName[];
