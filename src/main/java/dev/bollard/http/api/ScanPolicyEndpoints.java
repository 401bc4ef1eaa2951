package dev.bollard.http.api;

import static dev.bollard.auth.Permission.ORG_ADMIN;
import static dev.bollard.auth.Permission.ORG_MEMBER;
import static dev.bollard.auth.Permission.REPO_ADMIN;
import static dev.bollard.auth.Permission.REPO_READ;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.error.BollardException;
import dev.bollard.oci.RepositoryName;
import dev.bollard.scan.policy.PolicyScope;
import dev.bollard.scan.policy.PullPolicies;
import dev.bollard.scan.policy.PullPolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Vulnerability pull policies (docs/scanning.md, "Pull policy"), the same routes for an organization and for a
 * repository: the policy, its allow-list entries and its bypass grants. Their members and readers see the settings;
 * their administrators change them.
 */
final class ScanPolicyEndpoints implements ApiEndpoints {
    private final ApiServices services;

    ScanPolicyEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        List<ApiRoute> routes = new ArrayList<>();
        scope(routes, PREFIX + "/organizations/{org}/scan-policy", "an organization's", ORG_MEMBER, ORG_ADMIN,
                call -> PolicyScope.organization(call.param("org")));
        scope(routes, PREFIX + "/repositories/{repository*}/-/scan-policy", "a repository's (replacing its "
                + "organization's)", REPO_READ, REPO_ADMIN, call -> PolicyScope.repository(
                BollardException.parsed(() -> new RepositoryName(call.param("repository")))));
        return routes;
    }

    private void scope(List<ApiRoute> routes, String base, String whose, dev.bollard.auth.Permission read,
                       dev.bollard.auth.Permission admin, Function<ApiCall, PolicyScope> scopeOf) {
        routes.add(ApiRoute.get(base, read, "The vulnerability pull policy settings: the scope's own policy, the one "
                + "that applies (a repository without its own: its organization's), its allow-list and bypass grants",
                call -> call.send(200, describe(policies().settings(scopeOf.apply(call))))));
        routes.add(ApiRoute.put(base, admin, "Set " + whose + " vulnerability pull policy: {severity: unknown|low|"
                + "medium|high|critical, block_unscanned?: false}; pulls of images with fixable findings of that "
                + "severity or above are refused", call -> call.send(200, describe(policies().set(call.actor(),
                scopeOf.apply(call), PullPolicy.threshold(call.text("severity")),
                Boolean.TRUE.equals(call.optionalBoolean("block_unscanned")))))));
        routes.add(ApiRoute.delete(base, admin, "Remove the vulnerability pull policy (its allow-list and bypass "
                + "grants stay)", call -> {
            policies().delete(call.actor(), scopeOf.apply(call));
            call.noContent();
        }));
        routes.add(ApiRoute.put(base + "/allow/{vulnerability}", admin, "Allow a vulnerability (CVE or advisory id) "
                + "despite the policy until it expires: {expires: 2027-01-31 (through that day, UTC) or "
                + "2027-01-31T12:00:00Z, reason?}", call -> call.send(200, describe(policies().allow(call.actor(),
                scopeOf.apply(call), call.param("vulnerability"), call.text("expires"),
                call.optionalText("reason"))))));
        routes.add(ApiRoute.delete(base + "/allow/{vulnerability}", admin, "Remove an allow-list entry", call -> {
            policies().disallow(call.actor(), scopeOf.apply(call), call.param("vulnerability"));
            call.noContent();
        }));
        routes.add(ApiRoute.put(base + "/bypass/{principal}", admin, "Let a user or a robot (owner+name) pull "
                + "whatever the policy says (signing and scanning tools)", call -> call.send(200,
                describe(policies().grantBypass(call.actor(), scopeOf.apply(call), call.param("principal"))))));
        routes.add(ApiRoute.delete(base + "/bypass/{principal}", admin, "Revoke a policy bypass", call -> {
            policies().revokeBypass(call.actor(), scopeOf.apply(call), call.param("principal"));
            call.noContent();
        }));
    }

    private PullPolicies policies() {
        return services.scans().policies();
    }

    static Map<String, Object> describe(PullPolicies.Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scope", Map.of("kind", s.scope().kind().stored, "name", s.scope().name()));
        m.put("policy", policy(s.policy()));
        m.put("effective", policy(s.effective()));
        m.put("allow_list", s.allowList().stream().map(e -> {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("vulnerability", e.vulnId());
            a.put("expires_at", e.expiresAt().toString());
            a.put("reason", e.reason());
            a.put("created_by", e.createdBy());
            a.put("created_at", e.createdAt().toString());
            return a;
        }).toList());
        m.put("bypass", s.bypass().stream().map(b -> Map.of("principal", b.principal(), "created_by", b.createdBy(),
                "created_at", b.createdAt().toString())).toList());
        return m;
    }

    static @Nullable Map<String, Object> policy(@Nullable PullPolicy p) {
        if (p == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scope", Map.of("kind", p.scope().kind().stored, "name", p.scope().name()));
        m.put("severity", PullPolicy.name(p.severity()));
        m.put("block_unscanned", p.blockUnscanned());
        m.put("updated_by", p.updatedBy());
        m.put("updated_at", p.updatedAt().toString());
        return m;
    }
}
