// The daemon's registry settings in one place (insecure hosts, mirrors, the default registry) plus the shared token
// cache: hands out clients for a registry's origin or its pull endpoints (mirrors first).

import { TokenCache, type Credentials } from './auth.ts';
import { DOCKER_HUB, originEndpoint, pullEndpoints, type Endpoint, type RegistryHostsConfig } from './hosts.ts';
import { RegistryClient } from './registry-client.ts';

export interface RegistriesConfig extends RegistryHostsConfig {
  /** Where unqualified names ("busybox") are pulled from. Default docker.io. */
  defaultRegistry?: string;
  userAgent?: string;
  timeoutMs?: number;
}

export class Registries {
  readonly config: RegistriesConfig;
  readonly tokens: TokenCache;

  constructor(config: RegistriesConfig = {}, tokens = new TokenCache()) {
    this.config = config;
    this.tokens = tokens;
  }

  get defaultRegistry(): string {
    return this.config.defaultRegistry || DOCKER_HUB;
  }

  client(endpoint: Endpoint, credentials?: Credentials): RegistryClient {
    return new RegistryClient({ endpoint, credentials, tokens: this.tokens, userAgent: this.config.userAgent, timeoutMs: this.config.timeoutMs });
  }

  origin(registry: string, credentials?: Credentials): RegistryClient {
    return this.client(originEndpoint(registry, this.config), credentials);
  }

  /** Clients to try for pulls, in order. Credentials go to the origin only (mirrors are anonymous). */
  pullClients(registry: string, credentials?: Credentials): RegistryClient[] {
    return pullEndpoints(registry, this.config).map((e) => this.client(e, e.mirror ? undefined : credentials));
  }
}
