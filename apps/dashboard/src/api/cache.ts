import { cacheExchange, type Cache, type CacheExchangeOpts } from '@urql/exchange-graphcache';

/** Types without an id of their own: stored inside their parent, never normalised. */
const EMBEDDED = [
  'AuditCheckpoint',
  'AuditEventPage',
  'AuditProblem',
  'AuditVerification',
  'Label',
  'MaskingPattern',
  'MaskingSpec',
  'MaskingScopeExample',
  'MintedConnectionCredential',
  'CreateAgentPayload',
  'CreatedNotificationEndpoint',
  'EnrollmentToken',
  'PolicySimulation',
  'RecordingEvent',
  'RecordingProblem',
  'ReviewDecision',
  'SimulatedMaskingRule',
  'SimulatedStatementRule',
  'SimulationChanges',
  'SimulationExample',
  'SimulationTotals',
  'StatementMatch',
  'AuditCheckpointKey',
  'ReachableConnection',
  'Gateway',
  'RelayEndpoint',
];

interface ReviewLike {
  __typename?: string;
  id: string;
  kind?: string;
  status?: string;
}

/** Does a `reviews(status, kind)` list with these arguments show this review? */
export function reviewListShows(args: Record<string, unknown> | null, review: ReviewLike): boolean {
  const status = args?.['status'];
  const kind = args?.['kind'];
  if (typeof status === 'string' && review.status !== undefined && status !== review.status) return false;
  if (typeof kind === 'string' && review.kind !== undefined && kind !== review.kind) return false;
  return true;
}

/** Keeps every cached `reviews(...)` list in step with a review that was created or changed. */
export function placeReview(cache: Cache, review: ReviewLike): void {
  const key = cache.keyOfEntity({ __typename: 'Review', id: review.id });
  if (!key) return;
  const full: ReviewLike = {
    ...review,
    kind: review.kind ?? (cache.resolve(key, 'kind') as string | undefined),
    status: review.status ?? (cache.resolve(key, 'status') as string | undefined),
  };
  for (const field of cache.inspectFields('Query')) {
    if (field.fieldName !== 'reviews') continue;
    const links = (cache.resolve('Query', field.fieldKey) as string[] | null) ?? null;
    if (links === null) continue;
    const present = links.includes(key);
    const shows = reviewListShows(field.arguments, full);
    if (shows === present) continue;
    const next = shows ? [key, ...links] : links.filter((link) => link !== key);
    // A field read without arguments is stored under its bare name: link it the same way.
    if (field.arguments) cache.link('Query', field.fieldName, field.arguments, next);
    else cache.link('Query', field.fieldName, next);
  }
}

/** The normalised cache: reviews by id (decisions update every view in place), lists kept live. */
export function dashboardCache(): ReturnType<typeof cacheExchange> {
  const keys: NonNullable<CacheExchangeOpts['keys']> = Object.fromEntries(EMBEDDED.map((type) => [type, () => null]));
  keys['RecordingPage'] = () => null;
  keys['RecordingVerification'] = (data) => (data['sessionId'] as string | undefined) ?? null;
  keys['Me'] = (data) => (data['id'] as string | undefined) ?? null;
  return cacheExchange({
    keys,
    updates: {
      Subscription: {
        reviewCreated: (result, _args, cache) => placeReview(cache, result['reviewCreated'] as ReviewLike),
        reviewDecided: (result, _args, cache) => placeReview(cache, result['reviewDecided'] as ReviewLike),
      },
      Mutation: {
        approveReview: (result, _args, cache) => placeReview(cache, result['approveReview'] as ReviewLike),
        rejectReview: (result, _args, cache) => placeReview(cache, result['rejectReview'] as ReviewLike),
        requestAccess: (result, _args, cache) => placeReview(cache, result['requestAccess'] as ReviewLike),
        createMaskingRule: (_result, _args, cache) => cache.invalidate('Query', 'maskingRules'),
        deleteMaskingRule: (result, _args, cache) => {
          const rule = result['deleteMaskingRule'] as { id: string } | null;
          if (rule) cache.invalidate({ __typename: 'MaskingRule', id: rule.id });
          cache.invalidate('Query', 'maskingRules');
        },
      },
    },
  });
}
