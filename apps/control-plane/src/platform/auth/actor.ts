import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';

export type Role = 'admin' | 'approver' | 'auditor' | 'user';

/** Who is calling the API, as established by the authentication guard. */
export interface Actor {
  id: string;
  kind: 'admin-token' | 'user' | 'service';
  roles: Role[];
  groups: string[];
}

/**
 * How an actor appears in the audit log: the bootstrap token as `admin`; people and workloads as
 * what they are (`user`, `service`), whatever their roles — the roles are not the actor's kind.
 */
export function auditActor(actor: Actor): { actorId: string; actorKind: 'admin' | 'user' | 'service' } {
  return { actorId: actor.id, actorKind: actor.kind === 'admin-token' ? 'admin' : actor.kind };
}

/** Admins hold every role. */
export function hasRole(actor: Actor, roles: Role[]): boolean {
  return actor.roles.includes('admin') || roles.some((role) => actor.roles.includes(role));
}

export interface RequestWithActor {
  headers: Record<string, string | string[] | undefined>;
  cookies?: Record<string, string | undefined>;
  actor?: Actor;
}

export function requestOf(context: ExecutionContext): RequestWithActor {
  if (context.getType<string>() === 'graphql') {
    return GqlExecutionContext.create(context).getContext<{ req: RequestWithActor }>().req;
  }
  return context.switchToHttp().getRequest<RequestWithActor>();
}

/** The authenticated caller of a resolver. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = requestOf(context).actor;
  if (!actor) throw new Error('CurrentActor used on an unauthenticated route');
  return actor;
});
