/**
 * What kube-apiserver's RequestInfoFactory computes for a request (staging/src/k8s.io/apiserver/
 * pkg/endpoints/request/requestinfo.go). Field names follow the Go struct.
 */
export interface RequestInfo {
  /** False for /version, /healthz, /openapi/..., /api, /apis, /apis/<group> and other non-resource paths. */
  isResourceRequest: boolean;
  /** The decoded path the gateway classified (relative to the cluster prefix). */
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy; or the lowercase method for non-resource requests. */
  verb: string;
  /** "api" or "apis" for resource requests, "" otherwise. */
  apiPrefix: string;
  /** "" for the core group. */
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the prefix, group and version (and namespace re-basing). */
  parts: string[];
}
