// The real-registry test harness: registries (plain, TLS + basic auth, bearer token), a fault
// injecting proxy, OCI test layouts and skopeo cross-checks. See test/harness/README.md.
export { startRegistry, registryInstalled } from './registry.ts';
export type { RegistryKind, RunningRegistry, StartRegistryOptions } from './registry.ts';
export { startFaultProxy } from './fault-proxy.ts';
export type { FaultAction, FaultProxy, FaultProxyOptions, FaultRule, ProxiedRequest, RequestFilter } from './fault-proxy.ts';
export { makeImageLayout, makeIndexLayout, blobPath } from './oci-layout.ts';
export type { ImageLayout, ImageLayoutOptions, IndexLayout, LayoutBlob, LayoutPlatform } from './oci-layout.ts';
export { pushWithSkopeo, pullWithSkopeo, inspectWithSkopeo, rawManifestWithSkopeo, inspectLayoutWithSkopeo } from './skopeo.ts';
export type { SkopeoInspect, SkopeoTarget } from './skopeo.ts';
export { startTokenServer } from './token-server.ts';
export type { TokenServer, TokenServerOptions } from './token-server.ts';
export { httpRequest, basicAuth } from './request.ts';
export type { HttpRequestOptions, HttpResponse } from './request.ts';
export { freePort } from './ports.ts';
export { run, requireTool } from './tools.ts';
