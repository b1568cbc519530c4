import type { EngineModule } from '../engine-module.js';
import { KubernetesEngine } from './kubernetes-engine.js';

/** Kubernetes: nothing to load; its local listener is POSTERN_AGENT_KUBERNETES_LISTEN (TLS required). */
export const kubernetesModule: EngineModule = {
  protocol: 'kubernetes',
  create: ({ logger }) => new KubernetesEngine({ logger }),
};
