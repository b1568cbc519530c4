/**
 * A stand-in for a collaborator (a repository, a queue, another service) whose every member not
 * given here throws when touched: a test states exactly what the code under test may call, and
 * a new, unexpected call fails the test instead of returning `undefined`.
 *
 * `then` reads as absent, so a mock can be returned from an async function without being taken
 * for a promise.
 */
export function strictMock<T extends object>(members: Partial<T>, name = 'mock'): T {
  return new Proxy(members, {
    get(target, member) {
      if (member in target) return target[member as keyof typeof target];
      if (member === 'then' || typeof member === 'symbol') return undefined;
      throw new Error(`unexpected use of ${name}.${String(member)}`);
    },
  }) as T;
}
