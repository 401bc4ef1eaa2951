/**
 * The vulnerability pull policy (docs/scanning.md, "Pull policy"): per organization or repository, refuse pulls of
 * images with fixable findings of a severity or worse, with an allow-list whose entries expire, and explicit bypass
 * grants. {@link dev.bollard.scan.policy.PullPolicies} administers the policies and is the registry's
 * {@link dev.bollard.registry.PullGate}.
 */
package dev.bollard.scan.policy;
