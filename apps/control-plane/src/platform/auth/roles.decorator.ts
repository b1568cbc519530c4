import { SetMetadata } from '@nestjs/common';
import type { Role } from './actor.js';

export const ROLES = 'postern:roles';

/**
 * The API roles allowed to call a resolver (any of them). Resolvers without @Roles are for
 * admins only: the guard fails closed. Admins hold every role.
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
