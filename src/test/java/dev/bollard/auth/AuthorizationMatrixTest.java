package dev.bollard.auth;

import static dev.bollard.auth.AuthHttp.basic;
import static dev.bollard.auth.AuthHttp.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every {@code /v2} endpoint, called by every kind of caller on a private and a public repository, with HTTP Basic
 * credentials and with bearer tokens from the token endpoint: the exact status of each call. Allowed → the
 * endpoint's success status; denied → 401 for anonymous callers, 403 for known ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthorizationMatrixTest {
    private static final String PRIVATE = "alice/private";
    private static final String PUBLIC = "alice/public";

    enum Caller { ANONYMOUS, OWNER, OTHER_USER, ROBOT_READ, ROBOT_WRITE, SUPERUSER }

    enum Mode { BASIC, BEARER }

    @TempDir
    static Path dir;

    private TestRegistry registry;
    private AuthHttp http;
    private final Map<Caller, String> basic = new java.util.EnumMap<>(Caller.class);
    private String root;

    @BeforeAll
    void start() throws Exception {
        registry = TestRegistry.startWithAuth(dir.resolve("data"));
        http = new AuthHttp(registry.baseUri());
        Identities ids = new Identities(registry.server().database());
        ids.users().create("alice", "alice-password", false);
        ids.users().create("bob", "bob-password-1", false);
        ids.users().create("root", "root-password", true);
        String reader = ids.robots().create("alice", "reader");
        String writer = ids.robots().create("alice", "writer");
        basic.put(Caller.OWNER, basic("alice", "alice-password"));
        basic.put(Caller.OTHER_USER, basic("bob", "bob-password-1"));
        basic.put(Caller.SUPERUSER, basic("root", "root-password"));
        basic.put(Caller.ROBOT_READ, basic("alice+reader", reader));
        basic.put(Caller.ROBOT_WRITE, basic("alice+writer", writer));
        root = basic.get(Caller.SUPERUSER);

        http.pushImage(PRIVATE, "v1", basic.get(Caller.OWNER));
        http.pushImage(PUBLIC, "v1", basic.get(Caller.OWNER));
        ids.repositories().setVisibility(PUBLIC, true);
        // Robots are granted the private repository only; on the public one they read as everybody does.
        ids.repositories().grant(PRIVATE, "alice+reader", "read");
        ids.repositories().grant(PRIVATE, "alice+writer", "write");
        // Someone else's private repository, for the catalog.
        http.pushImage("bob/secret", "v1", basic.get(Caller.OTHER_USER));
    }

    @AfterAll
    void stop() {
        http.close();
        registry.close();
    }

    private static boolean mayRead(Caller c, String repo) {
        return repo.equals(PUBLIC) || (c != Caller.ANONYMOUS && c != Caller.OTHER_USER);
    }

    private static boolean mayWrite(Caller c, String repo) {
        return c == Caller.OWNER || c == Caller.SUPERUSER || (c == Caller.ROBOT_WRITE && repo.equals(PRIVATE));
    }

    private static int expected(Caller c, boolean allowed, int success) {
        return allowed ? success : c == Caller.ANONYMOUS ? 401 : 403;
    }

    /** The credentials of a caller for one repository: Basic, or a token asked for every action on it. */
    private String credentials(Caller c, Mode mode, String repo) throws Exception {
        if (mode == Mode.BASIC) {
            return basic.get(c);
        }
        return bearer(http.token(basic.get(c), "repository:" + repo + ":pull,push,delete", "registry:catalog:*"));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyEndpointForEveryCaller(Mode mode) throws Exception {
        List<String> failures = new ArrayList<>();
        for (Caller c : Caller.values()) {
            // Base and catalog
            String any = credentials(c, mode, PRIVATE);
            check(failures, c, mode, "GET /v2/", http.get("/v2/", any),
                    c == Caller.ANONYMOUS && mode == Mode.BASIC ? 401 : 200);
            HttpResponse<byte[]> catalog = http.get("/v2/_catalog", any);
            check(failures, c, mode, "GET /v2/_catalog", catalog, 200);
            if (catalog.statusCode() == 200) {
                List<String> repos = AuthHttp.strings(AuthHttp.json(catalog).get("repositories"));
                List<String> visible = switch (c) {
                    case ANONYMOUS -> List.of(PUBLIC);
                    case OTHER_USER -> List.of(PUBLIC, "bob/secret");
                    case OWNER, ROBOT_READ, ROBOT_WRITE -> List.of(PRIVATE, PUBLIC);
                    case SUPERUSER -> List.of(PRIVATE, PUBLIC, "bob/secret");
                };
                if (!repos.equals(visible)) {
                    failures.add(c + "/" + mode + " catalog: expected " + visible + ", got " + repos);
                }
            }
            for (String repo : List.of(PRIVATE, PUBLIC)) {
                matrix(failures, c, mode, repo);
            }
        }
        assertThat(failures).as("endpoints answering other than expected").isEmpty();
    }

    private void matrix(List<String> failures, Caller c, Mode mode, String repo) throws Exception {
        String auth = credentials(c, mode, repo);
        boolean read = mayRead(c, repo);
        boolean write = mayWrite(c, repo);
        String v2 = "/v2/" + repo;
        String tag = "t-" + c.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + mode.name().toLowerCase(Locale.ROOT);

        // Material prepared by the superuser: a manifest, a blob to delete, upload sessions.
        byte[] manifest = http.send("GET", v2 + "/manifests/v1", root, null, "Accept", AuthHttp.OCI_MANIFEST).body();
        String manifestDigest = AuthHttp.digest(manifest);
        byte[] blob = ("blob " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        String blobDigest = http.pushBlob(repo, blob, root);
        String session = http.startUpload(repo, root);
        String doomedSession = http.startUpload(repo, root);
        byte[] chunk = ("chunk " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);

        check(failures, c, mode, "GET tags " + repo, http.get(v2 + "/tags/list", auth), expected(c, read, 200));
        check(failures, c, mode, "GET manifest " + repo, http.send("GET", v2 + "/manifests/v1", auth, null,
                "Accept", AuthHttp.OCI_MANIFEST), expected(c, read, 200));
        check(failures, c, mode, "HEAD manifest " + repo, http.send("HEAD", v2 + "/manifests/" + manifestDigest, auth,
                null, "Accept", AuthHttp.OCI_MANIFEST), expected(c, read, 200));
        check(failures, c, mode, "PUT manifest " + repo, http.send("PUT", v2 + "/manifests/" + tag, auth, manifest,
                "Content-Type", AuthHttp.OCI_MANIFEST), expected(c, write, 201));
        check(failures, c, mode, "DELETE manifest (tag) " + repo, http.send("DELETE", v2 + "/manifests/" + tag, auth,
                null), expected(c, write, 202));
        check(failures, c, mode, "GET blob " + repo, http.get(v2 + "/blobs/" + blobDigest, auth), expected(c, read, 200));
        check(failures, c, mode, "HEAD blob " + repo, http.send("HEAD", v2 + "/blobs/" + blobDigest, auth, null),
                expected(c, read, 200));
        check(failures, c, mode, "GET referrers " + repo, http.get(v2 + "/referrers/" + manifestDigest, auth),
                expected(c, read, 200));
        check(failures, c, mode, "DELETE blob " + repo, http.send("DELETE", v2 + "/blobs/" + blobDigest, auth, null),
                expected(c, write, 202));
        check(failures, c, mode, "POST upload " + repo, http.send("POST", v2 + "/blobs/uploads/", auth, null),
                expected(c, write, 202));
        check(failures, c, mode, "GET upload " + repo, http.send("GET", session, auth, null), expected(c, write, 204));
        check(failures, c, mode, "PATCH upload " + repo, http.send("PATCH", session, auth, chunk,
                "Content-Type", "application/octet-stream"), expected(c, write, 202));
        if (!write) { // the session has no bytes yet: close it with the empty digest
            chunk = new byte[0];
        }
        check(failures, c, mode, "PUT upload " + repo, http.send("PUT", session + "?digest=" + AuthHttp.digest(chunk),
                auth, null), expected(c, write, 201));
        check(failures, c, mode, "DELETE upload " + repo, http.send("DELETE", doomedSession, auth, null),
                expected(c, write, 204));
    }

    private static void check(List<String> failures, Caller c, Mode mode, String what, HttpResponse<byte[]> r,
                              int expected) {
        if (r.statusCode() != expected) {
            failures.add(c + "/" + mode + " " + what + ": expected " + expected + ", got " + r.statusCode() + " "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
    }
}
