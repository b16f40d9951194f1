import { describe, expect, it } from 'vitest';
import { isObjectSubresource, sensitiveKindOf, valueKindOf } from '../../gateway/masking/value-kinds.ts';
import { requestInfo } from './support.ts';

/**
 * The one set of kinds whose bodies need masking, shared by the response masker's plan and the
 * recorder: keyed by group and resource, narrowed to whole-object subresources for the recorder.
 */
describe('value kinds', () => {
  it('names the kinds that hold values by group and resource, and nothing else', () => {
    expect(valueKindOf(requestInfo({ resource: 'secrets' }))).toBe('Secret');
    expect(valueKindOf(requestInfo({ resource: 'deployments' }))).toBe('Deployment');
    expect(valueKindOf(requestInfo({ resource: 'deployments', apiGroup: 'extensions' }))).toBe('Deployment');
    expect(valueKindOf(requestInfo({ resource: 'jobs' }))).toBe('Job');
    expect(valueKindOf(requestInfo({ resource: 'secrets', apiGroup: 'example.com' }))).toBeUndefined();
    expect(valueKindOf(requestInfo({ resource: 'services' }))).toBeUndefined();
    expect(valueKindOf(requestInfo({ resource: 'pods', isResourceRequest: false }))).toBeUndefined();
    // Whatever the subresource: the plan masks pods/log as text under the Pod's rules.
    expect(valueKindOf(requestInfo({ resource: 'pods', subresource: 'log' }))).toBe('Pod');
  });

  it('gives the recorder a kind only for bodies that are the object itself', () => {
    for (const subresource of ['', 'status', 'ephemeralcontainers', 'resize']) {
      expect(isObjectSubresource(subresource)).toBe(true);
      expect(sensitiveKindOf(requestInfo({ resource: 'pods', subresource }))).toBe('Pod');
    }
    for (const subresource of ['log', 'exec', 'scale', 'eviction', 'binding', 'proxy']) {
      expect(isObjectSubresource(subresource)).toBe(false);
      expect(sensitiveKindOf(requestInfo({ resource: 'pods', subresource }))).toBeUndefined();
    }
    expect(sensitiveKindOf(undefined)).toBeUndefined();
    // Legacy `/proxy/` paths (verb proxy) are not planned for masking but their bodies are still
    // treated as the object's by the recorder.
    expect(sensitiveKindOf(requestInfo({ resource: 'secrets', verb: 'proxy' }))).toBe('Secret');
  });
});
