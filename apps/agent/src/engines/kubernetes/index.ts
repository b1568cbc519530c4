export { addressed, bearerToken, CONNECTION_PREFIX } from './client-auth.js';
export { exitCode } from './exec-recorder.js';
export { KubernetesEngine, type KubernetesEngineOptions } from './kubernetes-engine.js';
export { kubernetesModule } from './module.js';
export { compileKubernetesRules, type KubernetesContext, type KubernetesSessionRules } from './rules.js';
export { jsonAccept, upstreamHeaders } from './upstream.js';
