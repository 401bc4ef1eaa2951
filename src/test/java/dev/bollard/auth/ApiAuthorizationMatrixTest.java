package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.Requirements;
import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.http.api.ApiRoute;
import dev.bollard.testing.TestRegistry;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code /api/v1} route, called by every kind of caller, with the exact status each must get: the route's
 * success status when allowed, 401 for anonymous callers and 403 for known ones when not. The expectations are
 * written out per route (not derived from the route table), and the table must list every route the server has.
 * <p>The world: organization {@code acme} owned by {@code boss} (ADMIN); {@code reader} a plain member (READER);
 * {@code writer} in team {@code writers}, granted write on {@code acme/app} (WRITER); robot {@code acme+ci} granted
 * read on {@code acme/app} (ROBOT); {@code mallory}, owner of another organization (OTHER_ORG); {@code root}
 * (SUPERUSER). Destructive calls act on a fresh target per caller, set up like the shared one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiAuthorizationMatrixTest {
    enum Caller { ANONYMOUS, READER, WRITER, ADMIN, ROBOT, OTHER_ORG, SUPERUSER }

    /** One call: path, JSON body (null: none), and what to prepare first (as the superuser, directly). */
    private record Call(String path, String body, Runnable prepare) {
        Call(String path, String body) {
            this(path, body, () -> { });
        }
    }

    private record Case(String method, String template, Set<Caller> allowed, int success, Function<Caller, Call> call) {
    }

    private static final Set<Caller> EVERYONE = EnumSet.allOf(Caller.class);
    private static final Set<Caller> AUTHENTICATED = EnumSet.complementOf(EnumSet.of(Caller.ANONYMOUS));
    private static final Set<Caller> USERS = EnumSet.complementOf(EnumSet.of(Caller.ANONYMOUS, Caller.ROBOT));
    private static final Set<Caller> SELF = EnumSet.of(Caller.READER, Caller.SUPERUSER);
    private static final Set<Caller> SUPER = EnumSet.of(Caller.SUPERUSER);
    private static final Set<Caller> MEMBERS = EnumSet.of(Caller.READER, Caller.WRITER, Caller.ADMIN, Caller.SUPERUSER);
    private static final Set<Caller> ADMINS = EnumSet.of(Caller.ADMIN, Caller.SUPERUSER);
    private static final Set<Caller> WRITERS = EnumSet.of(Caller.WRITER, Caller.ADMIN, Caller.SUPERUSER);
    private static final Set<Caller> READERS = EnumSet.of(Caller.READER, Caller.WRITER, Caller.ADMIN, Caller.ROBOT,
            Caller.SUPERUSER);

    @TempDir
    static Path dir;

    private TestRegistry registry;
    private AuthHttp http;
    private Identities ids;
    private final Map<Caller, String> auth = new EnumMap<>(Caller.class);
    private String restorable;
    /** An image of acme/app whose scan is done (its layer a tar with an os-release). */
    private String scanned;
    /** An external scanner adapter (docs/scanning.md, "External scanners") for the scan-adapter routes. */
    private dev.bollard.clients.ScannerAdapterTest.TinyAdapter adapter;
    private static final String WEBHOOKS = "/api/v1/webhooks";
    private static final String CLOSED = "http://127.0.0.1:1/hook";
    private static final String PROXY = "/api/v1/organizations/mirror/proxy";
    private static final String UPSTREAM = "{\"url\":\"http://127.0.0.1:1/\"}";
    private static final String MIRROR = "/api/v1/repositories/acme/mirrored/-/mirror";
    private static final String MIRROR_UPSTREAM =
            "{\"url\":\"http://127.0.0.1:1/\",\"upstream_repository\":\"x/app\"}";
    /** Per webhook base path: the shared webhook's id, and a delivery in its log. */
    private final Map<String, Long> hooks = new LinkedHashMap<>();
    private final Map<String, Long> deliveries = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        // webhooks point at a closed port on loopback: private targets allowed
        BollardConfig config = BollardConfig.defaults(dir.resolve("data"), "127.0.0.1", 0);
        registry = TestRegistry.start(config.withEvents(config.events().withPrivateTargets(true)));
        http = new AuthHttp(registry.baseUri());
        adapter = new dev.bollard.clients.ScannerAdapterTest.TinyAdapter("Bearer adapter-secret");
        ids = new Identities(registry.server().database());
        ids.users().create("root", "root-password", true);
        for (String u : List.of("boss", "reader", "writer", "mallory", "extra")) {
            ids.users().create(u, u + "-password", false);
        }
        ids.organizations().create("acme", "boss");
        ids.organizations().setMember("acme", "reader", "member");
        ids.teams().create("acme", "writers", "member", null);
        ids.teams().addMember("acme", "writers", "writer");
        ids.organizations().create("evil", "mallory");
        ids.organizations().create("mirror", "boss"); // a proxy organization (its upstream: a closed port)
        String ci = ids.robots().create("acme", "ci");
        ids.robots().create("acme", "spare");
        http.pushImage("acme/app", "v1", basic("boss", "boss-password"));
        // a tag with history, for restores: "rt" pointed at an earlier manifest, which each restore brings back
        restorable = AuthHttp.digest(http.pushImage("acme/app", "rt", basic("boss", "boss-password")));
        http.pushImage("acme/app", "rt", basic("boss", "boss-password"));
        ids.repositories().grant("acme/app", "team", "writers", "write");
        ids.repositories().grant("acme/app", "robot", "acme+ci", "read");
        auth.put(Caller.READER, basic("reader", "reader-password"));
        auth.put(Caller.WRITER, basic("writer", "writer-password"));
        auth.put(Caller.ADMIN, basic("boss", "boss-password"));
        auth.put(Caller.ROBOT, basic("acme+ci", ci));
        auth.put(Caller.OTHER_ORG, basic("mallory", "mallory-password"));
        auth.put(Caller.SUPERUSER, basic("root", "root-password"));
        // a webhook of each scope, with a delivery of a pushed image's events in its log (failed: nothing listens)
        for (String base : List.of(WEBHOOKS, "/api/v1/namespaces/acme/webhooks", "/api/v1/repositories/acme/app/-/webhooks")) {
            long hook = asRoot("POST", base, "{\"url\":\"" + CLOSED + "\"}").get("id").asLong();
            hooks.put(base, hook);
        }
        http.pushImage("acme/app", "hooked", basic("boss", "boss-password"));
        asRoot("PUT", PROXY, UPSTREAM);
        asRoot("PUT", MIRROR, MIRROR_UPSTREAM);
        scanned = pushScannable();
        for (var e : hooks.entrySet()) {
            String log = e.getKey() + "/" + e.getValue() + "/deliveries";
            long end = System.nanoTime() + 30_000_000_000L;
            com.fasterxml.jackson.databind.JsonNode items = asRoot("GET", log, null).get("items");
            while (items.isEmpty() && System.nanoTime() < end) {
                Thread.sleep(50);
                items = asRoot("GET", log, null).get("items");
            }
            deliveries.put(e.getKey(), items.get(0).get("id").asLong());
        }
    }

    @AfterAll
    void stop() {
        if (adapter != null) {
            adapter.close();
        }
        http.close();
        registry.close();
    }

    /** A new client certificate (PEM) from the test CA, for the robot certificate routes. */
    private static String clientCertificate(String name) {
        try {
            dev.bollard.testing.TestCa ca = clientCa;
            if (ca == null) {
                ca = dev.bollard.testing.TestCa.create(dir.resolve("client-ca"));
                clientCa = ca;
            }
            return java.nio.file.Files.readString(ca.issueClient(name).certificate());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String certificateJson(String name) {
        return "{\"certificate\":\"" + clientCertificate(name).replace("\n", "\\n") + "\"}";
    }

    private static dev.bollard.testing.@org.jspecify.annotations.Nullable TestCa clientCa;

    private static String id(Caller c) {
        return c.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Swallows "already there" / "not there" while preparing. */
    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (BollardException e) {
            // prepared already
        }
    }

    private List<Case> cases() {
        String acme = "/api/v1/organizations/acme";
        String repo = "/api/v1/repositories/acme/app";
        List<Case> c = new ArrayList<>();
        c.add(new Case("GET", "/api/v1/openapi.json", EVERYONE, 200, x -> new Call("/api/v1/openapi.json", null)));
        c.add(new Case("GET", "/api/v1/me", AUTHENTICATED, 200, x -> new Call("/api/v1/me", null)));
        // CLI device logins come before any login: every caller reaches them, and here (no OIDC provider configured)
        // learns that there is no such provider (KeycloakSignInTest drives them against a real one).
        c.add(new Case("POST", "/api/v1/oidc/{provider}/device", EVERYONE, 404,
                x -> new Call("/api/v1/oidc/keycloak/device", "{}")));
        c.add(new Case("POST", "/api/v1/oidc/{provider}/device/token", EVERYONE, 404,
                x -> new Call("/api/v1/oidc/keycloak/device/token", "{\"handle\":\"bollard_device_x\"}")));
        // users
        c.add(new Case("GET", "/api/v1/users", SUPER, 200, x -> new Call("/api/v1/users", null)));
        c.add(new Case("POST", "/api/v1/users", SUPER, 201, x -> new Call("/api/v1/users",
                "{\"name\":\"new-" + id(x) + "\",\"password\":\"new-password\"}")));
        c.add(new Case("GET", "/api/v1/users/{user}", SELF, 200, x -> new Call("/api/v1/users/reader", null)));
        c.add(new Case("PATCH", "/api/v1/users/{user}", SUPER, 200, x -> new Call("/api/v1/users/extra",
                "{\"superuser\":false}")));
        c.add(new Case("DELETE", "/api/v1/users/{user}", SUPER, 204, x -> new Call("/api/v1/users/doomed-" + id(x), null,
                () -> quietly(() -> ids.users().create("doomed-" + id(x), "doomed-password", false)))));
        c.add(new Case("PUT", "/api/v1/users/{user}/password", SELF, 204, x -> new Call("/api/v1/users/reader/password",
                "{\"password\":\"reader-password\",\"current_password\":\"reader-password\"}")));
        c.add(new Case("GET", "/api/v1/users/{user}/tokens", SELF, 200, x -> new Call("/api/v1/users/reader/tokens", null)));
        c.add(new Case("POST", "/api/v1/users/{user}/tokens", SELF, 201, x -> new Call("/api/v1/users/reader/tokens",
                "{\"name\":\"t-" + id(x) + "\"}")));
        c.add(new Case("DELETE", "/api/v1/users/{user}/tokens/{token}", SELF, 204, x -> new Call(
                "/api/v1/users/reader/tokens/doomed-" + id(x), null,
                () -> quietly(() -> ids.appTokens().create("reader", "doomed-" + id(x))))));
        // organizations and members
        c.add(new Case("GET", "/api/v1/organizations", USERS, 200, x -> new Call("/api/v1/organizations", null)));
        c.add(new Case("POST", "/api/v1/organizations", USERS, 201, x -> new Call("/api/v1/organizations",
                "{\"name\":\"org-" + id(x) + "\"}")));
        c.add(new Case("GET", "/api/v1/organizations/{org}", MEMBERS, 200, x -> new Call(acme, null)));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}", ADMINS, 204, x -> new Call(
                "/api/v1/organizations/doomed-org-" + id(x), null, () -> quietly(() -> {
                    ids.organizations().create("doomed-org-" + id(x), "boss");
                    ids.organizations().setMember("doomed-org-" + id(x), "reader", "member");
                    ids.organizations().setMember("doomed-org-" + id(x), "writer", "member");
                }))));
        c.add(new Case("GET", "/api/v1/organizations/{org}/members", MEMBERS, 200, x -> new Call(acme + "/members", null)));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/members/{user}", ADMINS, 200, x -> new Call(
                acme + "/members/extra", "{\"role\":\"member\"}")));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/members/{user}", ADMINS, 204, x -> new Call(
                acme + "/members/extra", null, () -> ids.organizations().setMember("acme", "extra", "member"))));
        // teams and default permissions
        c.add(new Case("GET", "/api/v1/organizations/{org}/teams", MEMBERS, 200, x -> new Call(acme + "/teams", null)));
        c.add(new Case("POST", "/api/v1/organizations/{org}/teams", ADMINS, 201, x -> new Call(acme + "/teams",
                "{\"name\":\"team-" + id(x) + "\",\"role\":\"member\"}")));
        c.add(new Case("GET", "/api/v1/organizations/{org}/teams/{team}", MEMBERS, 200, x -> new Call(
                acme + "/teams/writers", null)));
        c.add(new Case("PATCH", "/api/v1/organizations/{org}/teams/{team}", ADMINS, 200, x -> new Call(
                acme + "/teams/writers", "{\"description\":\"the writers\"}")));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/teams/{team}", ADMINS, 204, x -> new Call(
                acme + "/teams/doomed-" + id(x), null, () -> quietly(() -> ids.teams().create("acme", "doomed-" + id(x),
                "member", null)))));
        c.add(new Case("GET", "/api/v1/organizations/{org}/teams/{team}/members", MEMBERS, 200, x -> new Call(
                acme + "/teams/writers/members", null)));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/teams/{team}/members/{user}", ADMINS, 204, x -> new Call(
                acme + "/teams/writers/members/writer", null)));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/teams/{team}/members/{user}", ADMINS, 204, x -> new Call(
                acme + "/teams/writers/members/extra", null, () -> ids.teams().addMember("acme", "writers", "extra"))));
        String group = "{\"group_dn\":\"cn=writers,ou=groups,dc=example,dc=org\",\"member_attribute\":\"member\"}";
        c.add(new Case("GET", "/api/v1/organizations/{org}/teams/{team}/directory-group", MEMBERS, 200, x -> new Call(
                acme + "/teams/writers/directory-group", null, () -> ids.directoryTeams().bind("acme", "writers",
                "cn=writers,ou=groups,dc=example,dc=org", "member"))));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/teams/{team}/directory-group", ADMINS, 200, x -> new Call(
                acme + "/teams/writers/directory-group", group)));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/teams/{team}/directory-group", ADMINS, 204, x -> new Call(
                acme + "/teams/writers/directory-group", null, () -> ids.directoryTeams().bind("acme", "writers",
                "cn=writers,ou=groups,dc=example,dc=org", "member"))));
        String oidcGroup = "{\"provider\":\"keycloak\",\"group\":\"writers\"}";
        c.add(new Case("GET", "/api/v1/organizations/{org}/teams/{team}/oidc-group", MEMBERS, 200, x -> new Call(
                acme + "/teams/writers/oidc-group", null, () -> ids.directoryTeams().bindClaim("acme", "writers",
                "keycloak", "writers"))));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/teams/{team}/oidc-group", ADMINS, 200, x -> new Call(
                acme + "/teams/writers/oidc-group", oidcGroup)));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/teams/{team}/oidc-group", ADMINS, 204, x -> new Call(
                acme + "/teams/writers/oidc-group", null, () -> ids.directoryTeams().bindClaim("acme", "writers",
                "keycloak", "writers"))));
        c.add(new Case("GET", "/api/v1/organizations/{org}/default-permissions", ADMINS, 200, x -> new Call(
                acme + "/default-permissions", null)));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/default-permissions/{kind}/{grantee}", ADMINS, 200,
                x -> new Call(acme + "/default-permissions/team/writers", "{\"role\":\"read\"}")));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/default-permissions/{kind}/{grantee}", ADMINS, 204,
                x -> new Call(acme + "/default-permissions/user/extra", null,
                        () -> ids.repositories().setDefaultPermission("acme", "user", "extra", "read"))));
        c.add(new Case("GET", "/api/v1/organizations/{org}/audit", ADMINS, 200, x -> new Call(acme + "/audit", null)));
        // robots
        String robots = "/api/v1/namespaces/acme/robots";
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/robots", ADMINS, 200, x -> new Call(robots, null)));
        c.add(new Case("POST", "/api/v1/namespaces/{namespace}/robots", ADMINS, 201, x -> new Call(robots,
                "{\"name\":\"bot_" + x.name().toLowerCase(Locale.ROOT) + "\"}")));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/robots/{robot}", ADMINS, 200, x -> new Call(
                robots + "/ci", null)));
        c.add(new Case("POST", "/api/v1/namespaces/{namespace}/robots/{robot}/regenerate", ADMINS, 200, x -> new Call(
                robots + "/spare/regenerate", null)));
        c.add(new Case("DELETE", "/api/v1/namespaces/{namespace}/robots/{robot}", ADMINS, 204, x -> new Call(
                robots + "/doomed_" + x.name().toLowerCase(Locale.ROOT), null,
                () -> quietly(() -> ids.robots().create("acme", "doomed_" + x.name().toLowerCase(Locale.ROOT))))));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/robots/{robot}/trust", ADMINS, 200, x -> new Call(
                robots + "/ci/trust", null)));
        c.add(new Case("POST", "/api/v1/namespaces/{namespace}/robots/{robot}/trust", ADMINS, 201, x -> new Call(
                robots + "/ci/trust", "{\"issuer\":\"https://token.actions.githubusercontent.com\",\"subject\":"
                        + "\"repo:acme/app:*\",\"claims\":{\"repository_owner\":\"acme\"}}")));
        c.add(new Case("DELETE", "/api/v1/namespaces/{namespace}/robots/{robot}/trust/{rule}", ADMINS, 204,
                x -> new Call(robots + "/ci/trust/" + ids.robotTrust().add("acme+ci", "https://gitlab.com",
                        "project_path:acme/app:*", "bollard", java.util.Map.of()).id(), null)));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/robots/{robot}/certificates", ADMINS, 200,
                x -> new Call(robots + "/ci/certificates", null)));
        c.add(new Case("POST", "/api/v1/namespaces/{namespace}/robots/{robot}/certificates", ADMINS, 201,
                x -> new Call(robots + "/ci/certificates", certificateJson("bind-" + id(x)))));
        c.add(new Case("DELETE", "/api/v1/namespaces/{namespace}/robots/{robot}/certificates/{fingerprint}", ADMINS, 204,
                x -> new Call(robots + "/ci/certificates/" + ids.robotCertificates().add("acme+ci",
                        clientCertificate("unbind-" + id(x))).fingerprint(), null)));
        // repositories and permissions
        c.add(new Case("GET", "/api/v1/repositories", EVERYONE, 200, x -> new Call("/api/v1/repositories", null)));
        c.add(new Case("PUT", "/api/v1/repositories/{repository*}", ADMINS, 201, x -> new Call(
                "/api/v1/repositories/acme/new-" + id(x), "{\"visibility\":\"private\"}")));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}", READERS, 200, x -> new Call(repo, null)));
        c.add(new Case("PATCH", "/api/v1/repositories/{repository*}", ADMINS, 200, x -> new Call(repo,
                "{\"visibility\":\"private\"}")));
        c.add(new Case("DELETE", "/api/v1/repositories/{repository*}", ADMINS, 204, x -> new Call(
                "/api/v1/repositories/acme/doomed-" + id(x), null,
                () -> quietly(() -> ids.repositories().create(new Principal.User(0, "root", true), "acme/doomed-" + id(x),
                        false)))));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/permissions", ADMINS, 200, x -> new Call(
                repo + "/-/permissions", null)));
        c.add(new Case("PUT", "/api/v1/repositories/{repository*}/-/permissions/{kind}/{grantee}", ADMINS, 200,
                x -> new Call(repo + "/-/permissions/robot/acme+ci", "{\"role\":\"read\"}")));
        c.add(new Case("DELETE", "/api/v1/repositories/{repository*}/-/permissions/{kind}/{grantee}", ADMINS, 204,
                x -> new Call(repo + "/-/permissions/user/extra", null, () -> ids.repositories().grant("acme/app", "user", "extra", "read"))));
        // the image life cycle (docs/lifecycle.md)
        String ns = "/api/v1/namespaces/acme";
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/description", READERS, 200, x -> new Call(
                repo + "/-/description", null)));
        c.add(new Case("PUT", "/api/v1/repositories/{repository*}/-/description", ADMINS, 200, x -> new Call(
                repo + "/-/description", "{\"description\":\"# App\"}")));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/labels", READERS, 200, x -> new Call(
                repo + "/-/labels", null)));
        c.add(new Case("PUT", "/api/v1/repositories/{repository*}/-/labels", ADMINS, 200, x -> new Call(
                repo + "/-/labels", "{\"labels\":[\"team=payments\"]}")));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/pulls", READERS, 200, x -> new Call(
                repo + "/-/pulls", null)));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/history", READERS, 200, x -> new Call(
                repo + "/-/history", null)));
        c.add(new Case("DELETE", "/api/v1/repositories/{repository*}/-/tags/{tag}", WRITERS, 200, x -> new Call(
                repo + "/-/tags/del-" + id(x), null, () -> pushAsRoot("acme/app", "del-" + id(x)))));
        c.add(new Case("DELETE", "/api/v1/repositories/{repository*}/-/manifests/{digest}", WRITERS, 200, x -> new Call(
                repo + "/-/manifests/" + AuthHttp.digest(pushAsRoot("acme/app", "img-" + id(x))), null)));
        c.add(new Case("POST", "/api/v1/repositories/{repository*}/-/tags/{tag}/restore", WRITERS, 200, x -> new Call(
                repo + "/-/tags/rt/restore", "{\"digest\":\"" + restorable + "\"}")));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/immutable-tags", READERS, 200, x -> new Call(
                repo + "/-/immutable-tags", null)));
        c.add(new Case("PUT", "/api/v1/repositories/{repository*}/-/immutable-tags/{pattern}", ADMINS, 201, x -> new Call(
                repo + "/-/immutable-tags/imm-" + id(x) + "-*", null)));
        c.add(new Case("DELETE", "/api/v1/repositories/{repository*}/-/immutable-tags/{pattern}", ADMINS, 204, x -> new Call(
                repo + "/-/immutable-tags/gone-" + id(x) + "-*", null, () -> asRoot("PUT",
                        repo + "/-/immutable-tags/gone-" + id(x) + "-*", null))));
        c.add(new Case("POST", "/api/v1/repositories/{repository*}/-/retention-policies", ADMINS, 201, x -> new Call(
                repo + "/-/retention-policies", "{\"tag_pattern\":\"x-" + id(x) + "-*\",\"keep_last\":3}")));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/retention-policies", ADMINS, 200, x -> new Call(
                ns + "/retention-policies", null)));
        c.add(new Case("POST", "/api/v1/namespaces/{namespace}/retention-policies", ADMINS, 201, x -> new Call(
                ns + "/retention-policies", "{\"tag_pattern\":\"y-" + id(x) + "-*\",\"keep_days\":30}")));
        c.add(new Case("DELETE", "/api/v1/namespaces/{namespace}/retention-policies/{id}", ADMINS, 204, x -> new Call(
                ns + "/retention-policies/" + asRoot("POST", ns + "/retention-policies",
                        "{\"tag_pattern\":\"z-" + id(x) + "-*\",\"keep_last\":1}").get("id").asLong(), null)));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/retention-preview", ADMINS, 200, x -> new Call(
                ns + "/retention-preview", null)));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/quota", ADMINS, 200, x -> new Call(ns + "/quota", null)));
        c.add(new Case("PUT", "/api/v1/namespaces/{namespace}/quota", SUPER, 200, x -> new Call(ns + "/quota",
                "{\"quota_bytes\":null}")));
        c.add(new Case("GET", "/api/v1/namespaces/{namespace}/history-window", ADMINS, 200, x -> new Call(
                ns + "/history-window", null)));
        c.add(new Case("PUT", "/api/v1/namespaces/{namespace}/history-window", ADMINS, 200, x -> new Call(
                ns + "/history-window", "{\"window\":null}")));
        // webhooks, the same routes for each scope (docs/events.md)
        webhookCases(c, WEBHOOKS, WEBHOOKS, SUPER);
        webhookCases(c, "/api/v1/namespaces/{namespace}/webhooks", "/api/v1/namespaces/acme/webhooks", ADMINS);
        webhookCases(c, "/api/v1/repositories/{repository*}/-/webhooks", "/api/v1/repositories/acme/app/-/webhooks",
                ADMINS);
        // the events of what the caller may read, listed (the watch stream is the same route with watch=true)
        c.add(new Case("GET", "/api/v1/events", AUTHENTICATED, 200, x -> new Call("/api/v1/events?since=0", null)));
        // proxy organizations (docs/proxy-and-mirroring.md): the upstream is set by superusers only
        c.add(new Case("GET", "/api/v1/proxies", SUPER, 200, x -> new Call("/api/v1/proxies", null)));
        c.add(new Case("GET", "/api/v1/organizations/{org}/proxy", ADMINS, 200, x -> new Call(PROXY, null)));
        c.add(new Case("PUT", "/api/v1/organizations/{org}/proxy", SUPER, 200, x -> new Call(PROXY, UPSTREAM)));
        c.add(new Case("PATCH", "/api/v1/organizations/{org}/proxy", SUPER, 200, x -> new Call(PROXY,
                "{\"tag_check_seconds\":60}")));
        c.add(new Case("DELETE", "/api/v1/organizations/{org}/proxy", SUPER, 204, x -> new Call(PROXY, null,
                () -> asRoot("PUT", PROXY, UPSTREAM))));
        // repository mirrors (docs/proxy-and-mirroring.md): the upstream is set by superusers only
        String mirror = "/api/v1/repositories/{repository*}/-/mirror";
        c.add(new Case("GET", "/api/v1/mirrors", SUPER, 200, x -> new Call("/api/v1/mirrors", null)));
        c.add(new Case("GET", mirror, ADMINS, 200, x -> new Call(MIRROR, null)));
        c.add(new Case("PUT", mirror, SUPER, 200, x -> new Call(MIRROR, MIRROR_UPSTREAM)));
        c.add(new Case("PATCH", mirror, SUPER, 200, x -> new Call(MIRROR, "{\"interval_seconds\":600}")));
        c.add(new Case("DELETE", mirror, SUPER, 204, x -> new Call(MIRROR, null,
                () -> asRoot("PUT", MIRROR, MIRROR_UPSTREAM))));
        c.add(new Case("GET", mirror + "/runs", ADMINS, 200, x -> new Call(MIRROR + "/runs", null,
                () -> asRoot("PUT", MIRROR, MIRROR_UPSTREAM))));
        c.add(new Case("POST", mirror + "/sync", ADMINS, 202, x -> new Call(MIRROR + "/sync", null,
                () -> asRoot("PUT", MIRROR, MIRROR_UPSTREAM))));
        // vulnerability scanning (docs/scanning.md)
        String manifest = repo + "/-/manifests/" + scanned;
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/manifests/{digest}/scan", READERS, 200,
                x -> new Call(manifest + "/scan", null)));
        c.add(new Case("POST", "/api/v1/repositories/{repository*}/-/manifests/{digest}/scan", WRITERS, 202,
                x -> new Call(repo + "/-/manifests/" + AuthHttp.digest(pushAsRoot("acme/app", "scan-" + id(x)))
                        + "/scan", null)));
        c.add(new Case("GET", "/api/v1/repositories/{repository*}/-/manifests/{digest}/sbom", READERS, 200,
                x -> new Call(manifest + "/sbom", null)));
        c.add(new Case("GET", "/api/v1/vulndb", AUTHENTICATED, 200, x -> new Call("/api/v1/vulndb", null)));
        // external scanners (docs/scanning.md, "External scanners")
        String tiny = "{\"url\":\"" + adapter.url() + "\",\"authorization\":\"Bearer adapter-secret\"}";
        c.add(new Case("GET", "/api/v1/scan-adapters", SUPER, 200, x -> new Call("/api/v1/scan-adapters", null)));
        c.add(new Case("PUT", "/api/v1/scan-adapters/{name}", SUPER, 200, x -> new Call("/api/v1/scan-adapters/m-"
                + id(x).toLowerCase(java.util.Locale.ROOT), tiny)));
        c.add(new Case("DELETE", "/api/v1/scan-adapters/{name}", SUPER, 204, x -> new Call("/api/v1/scan-adapters/d-"
                + id(x).toLowerCase(java.util.Locale.ROOT), null, () -> asRoot("PUT", "/api/v1/scan-adapters/d-"
                + id(x).toLowerCase(java.util.Locale.ROOT), tiny))));
        // vulnerability pull policies (docs/scanning.md, "Pull policy"): "critical", which nothing here has, so no
        // pull of the other cases is refused
        scanPolicyCases(c, "/api/v1/organizations/{org}/scan-policy", "/api/v1/organizations/acme/scan-policy", MEMBERS);
        scanPolicyCases(c, "/api/v1/repositories/{repository*}/-/scan-policy", repo + "/-/scan-policy", READERS);
        // the audit log
        c.add(new Case("GET", "/api/v1/audit", SUPER, 200, x -> new Call("/api/v1/audit", null)));
        c.add(new Case("GET", "/api/v1/audit/export", SUPER, 200, x -> new Call("/api/v1/audit/export", null)));
        c.add(new Case("GET", "/api/v1/audit/verify", SUPER, 200, x -> new Call("/api/v1/audit/verify", null)));
        return c;
    }

    /**
     * Pushes an image whose layer is a tar with an os-release as the superuser and waits for its scan to be done (the
     * SBOM route needs an inventory); returns its digest.
     */
    private String pushScannable() throws Exception {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = dev.bollard.clients.Tar.tar(Map.of("etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\n".getBytes(StandardCharsets.UTF_8)));
        String root = auth.get(Caller.SUPERUSER);
        for (byte[] blob : List.of(config, layer)) {
            http.send("POST", "/v2/acme/app/blobs/uploads/?digest=" + AuthHttp.digest(blob), root, blob,
                    "Content-Type", "application/octet-stream");
        }
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + AuthHttp.digest(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + AuthHttp.digest(layer) + "\",\"size\":"
                + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = http.send("PUT", "/v2/acme/app/manifests/scanned", root, manifest, "Content-Type",
                "application/vnd.oci.image.manifest.v1+json");
        assertThat(put.statusCode()).isEqualTo(201);
        String digest = AuthHttp.digest(manifest);
        long end = System.nanoTime() + 60_000_000_000L;
        while (!asRoot("GET", "/api/v1/repositories/acme/app/-/manifests/" + digest + "/scan", null).path("state")
                .asText().equals("done")) {
            assertThat(System.nanoTime()).as("the scan of " + digest + " is done within 60 s").isLessThan(end);
            Thread.sleep(100);
        }
        return digest;
    }

    /** Pushes a new image as the superuser; returns its manifest. */
    private byte[] pushAsRoot(String repository, String tag) {
        try {
            return http.pushImage(repository, tag, auth.get(Caller.SUPERUSER));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("preparing a push of " + repository + ":" + tag, e);
        }
    }

    private void scanPolicyCases(List<Case> c, String template, String base, Set<Caller> readers) {
        String policy = "{\"severity\":\"critical\"}";
        String allow = "{\"expires\":\"2099-01-31\"}";
        c.add(new Case("GET", template, readers, 200, x -> new Call(base, null)));
        c.add(new Case("PUT", template, ADMINS, 200, x -> new Call(base, policy)));
        c.add(new Case("DELETE", template, ADMINS, 204, x -> new Call(base, null, () -> asRoot("PUT", base, policy))));
        c.add(new Case("PUT", template + "/allow/{vulnerability}", ADMINS, 200, x -> new Call(
                base + "/allow/TEST-add-" + id(x), allow)));
        c.add(new Case("DELETE", template + "/allow/{vulnerability}", ADMINS, 204, x -> new Call(
                base + "/allow/TEST-del-" + id(x), null,
                () -> asRoot("PUT", base + "/allow/TEST-del-" + id(x), allow))));
        c.add(new Case("PUT", template + "/bypass/{principal}", ADMINS, 200, x -> new Call(
                base + "/bypass/acme+spare", null)));
        c.add(new Case("DELETE", template + "/bypass/{principal}", ADMINS, 204, x -> new Call(
                base + "/bypass/acme+spare", null, () -> asRoot("PUT", base + "/bypass/acme+spare", null))));
    }

    private void webhookCases(List<Case> c, String template, String base, Set<Caller> allowed) {
        String one = base + "/" + hooks.get(base);
        String delivery = one + "/deliveries/" + deliveries.get(base);
        String body = "{\"url\":\"" + CLOSED + "\"}";
        c.add(new Case("GET", template, allowed, 200, x -> new Call(base, null)));
        c.add(new Case("POST", template, allowed, 201, x -> new Call(base, body)));
        c.add(new Case("GET", template + "/{id}", allowed, 200, x -> new Call(one, null)));
        c.add(new Case("PATCH", template + "/{id}", allowed, 200, x -> new Call(one, "{\"tag_glob\":\"v*\"}")));
        c.add(new Case("DELETE", template + "/{id}", allowed, 204, x -> new Call(
                base + "/" + asRoot("POST", base, body).get("id").asLong(), null)));
        c.add(new Case("GET", template + "/{id}/deliveries", allowed, 200, x -> new Call(one + "/deliveries", null)));
        c.add(new Case("GET", template + "/{id}/deliveries/{delivery}", allowed, 200, x -> new Call(delivery, null)));
        c.add(new Case("POST", template + "/{id}/deliveries/{delivery}/redeliver", allowed, 202, x -> new Call(
                delivery + "/redeliver", null)));
        c.add(new Case("POST", template + "/{id}/ping", allowed, 200, x -> new Call(one + "/ping", null)));
    }

    /** A call as the superuser that must succeed; its JSON answer (null when empty). */
    private com.fasterxml.jackson.databind.JsonNode asRoot(String method, String path, String json) {
        try {
            HttpResponse<byte[]> r = http.send(method, path, auth.get(Caller.SUPERUSER),
                    json == null ? null : json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
            if (r.statusCode() / 100 != 2) {
                throw new AssertionError("preparing " + method + " " + path + ": " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            return r.body().length == 0 ? null : AuthHttp.json(r);
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theMatrixCoversEveryRouteOfTheServer() {
        Set<String> expected = new TreeSet<>();
        cases().forEach(c -> expected.add(c.method() + " " + c.template()));
        Set<String> served = new TreeSet<>();
        for (ApiRoute r : registry.server().apiRoutes()) {
            served.add(r.method() + " " + r.path());
        }
        assertThat(expected).as("routes with an expectation in this test").isEqualTo(served);
    }

    @Test
    void everyRouteForEveryCaller() throws Exception {
        List<String> failures = new ArrayList<>();
        Map<String, Integer> checked = new LinkedHashMap<>();
        for (Case k : cases()) {
            for (Caller c : Caller.values()) {
                Call call = k.call().apply(c);
                call.prepare().run();
                HttpResponse<byte[]> r = call.body() == null ? http.send(k.method(), call.path(), auth.get(c), null)
                        : http.send(k.method(), call.path(), auth.get(c), call.body().getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/json");
                int expected = k.allowed().contains(c) ? k.success() : c == Caller.ANONYMOUS ? 401 : 403;
                if (r.statusCode() != expected) {
                    failures.add(k.method() + " " + call.path() + " as " + c + ": expected " + expected + ", got "
                            + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
                }
                checked.merge(k.method() + " " + k.template(), 1, Integer::sum);
            }
        }
        assertThat(failures).as("calls answered other than expected").isEmpty();
        assertThat(checked).hasSize(cases().size()).allSatisfy((route, n) -> assertThat(n).isEqualTo(Caller.values().length));
    }
}
