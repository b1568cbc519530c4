import { Injectable } from '@nestjs/common';

/**
 * PostgreSQL cancels a query over a new connection that carries only the BackendKeyData the
 * session received — no database name. The relay remembers which agent issued each key while the
 * session lives, so a CancelRequest arriving here can be tunnelled to the right agent.
 */
@Injectable()
export class CancelRoutes {
  private readonly routes = new Map<string, { agentId: string; connectionId: string }>();

  private static key(processId: number, secretKey: Buffer): string {
    return `${processId}:${secretKey.toString('hex')}`;
  }

  add(processId: number, secretKey: Buffer, route: { agentId: string; connectionId: string }): () => void {
    const key = CancelRoutes.key(processId, secretKey);
    this.routes.set(key, route);
    return () => {
      if (this.routes.get(key) === route) this.routes.delete(key);
    };
  }

  find(processId: number, secretKey: Buffer): { agentId: string; connectionId: string } | undefined {
    return this.routes.get(CancelRoutes.key(processId, secretKey));
  }
}
