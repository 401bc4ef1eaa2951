package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigLoader;
import dev.bollard.testing.RunsAlone;
import dev.bollard.testing.TestRegistry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of logins with random user names — each new to the per-user lockout, each costing a password derivation
 * against a dummy hash — from one address cannot starve the logins of everyone else: after
 * {@code auth.max-login-failures-per-address} failures the address's password checks are refused at once (429 with
 * Retry-After), while users with passwords and robots with tokens, from other addresses, log in within a second.
 * The flood comes from 127.0.0.2 (all of 127/8 is loopback), the legitimate clients from 127.0.0.1.
 */
// Alone: it floods the server with logins, and bounds the other users' logins meanwhile.
@RunsAlone
class LoginFloodTest {

    private static final int BUDGET = 30;
    private static final int FLOODERS = 32;

    @TempDir
    Path dir;

    @Test
    void aFloodOfUnknownNamesFromOneAddressLeavesOtherLoginsFast() throws Exception {
        BollardConfig config = ConfigLoader.builder().set("data-dir", dir.resolve("data").toString())
                .set("server.listen", "127.0.0.1:0")
                .set("auth.max-login-failures-per-address", Integer.toString(BUDGET)).load();
        try (TestRegistry registry = TestRegistry.start(config);
             HttpClient flood = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2"))
                     .version(HttpClient.Version.HTTP_1_1).build();
             HttpClient legitimate = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Identities ids = new Identities(registry.server().database());
            List<String> users = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                users.add("user" + i);
                ids.users().create("user" + i, "password-of-user" + i, false);
            }
            ids.users().create("owner", "owner-password", false);
            String robotToken = ids.robots().create("owner", "ci");
            URI token = registry.uri("/v2/auth?scope=repository:owner/app:pull");
            // The bound is a second; on a machine busy with other work a login takes longer flood or not, so
            // the bound grows with what one takes here before the flood (still far below the flood's queueing).
            ids.users().create("calm", "password-of-calm", false);
            Duration calm = logIn(legitimate, token, "calm", "password-of-calm").multipliedBy(3);
            Duration bound = calm.compareTo(Duration.ofSeconds(1)) > 0 ? calm : Duration.ofSeconds(1);

            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicInteger refusedFast = new AtomicInteger();
            ConcurrentHashMap<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            java.util.Set<String> unanswered = ConcurrentHashMap.newKeySet();
            List<Thread> flooders = new ArrayList<>();
            for (int i = 0; i < FLOODERS; i++) {
                flooders.add(Thread.ofVirtual().start(() -> {
                    while (flooding.get()) {
                        try {
                            // Unanswered means hung: 30 s, since each of the flood's first requests waits its turn
                            // for a derivation, and at a load average of 28 ten seconds were seen to pass.
                            HttpResponse<String> r = flood.send(HttpRequest.newBuilder(get(token,
                                    UUID.randomUUID().toString(), "guess"), (n, v) -> true)
                                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                            boolean addressRefused = r.statusCode() == 429
                                    && r.headers().firstValue("Retry-After").isPresent()
                                    && r.body().contains("too many failed logins from 127.0.0.2");
                            if (addressRefused) {
                                refusedFast.incrementAndGet();
                            }
                            // 1429: refused as too many password checks at once (the node's own budget)
                            int counted = r.statusCode() == 429 && !addressRefused ? 1429 : r.statusCode();
                            statuses.computeIfAbsent(counted, s -> new AtomicInteger()).incrementAndGet();
                        } catch (Exception e) {
                            statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                            unanswered.add(e.toString());
                        }
                    }
                }));
            }
            try {
                // The flood spends the address's budget; the derivations it had queued by then (at most
                // Passwords.MAX_WAIT's worth) finish; from then on it goes on being refused at once.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                int failures = -1;
                while (refusedFast.get() == 0 || failures != count(statuses, 401) + count(statuses, 429 + 1000)) {
                    assertThat(System.nanoTime()).as("the flood was refused, then no more of its checks ran: %s",
                            statuses).isLessThan(deadline);
                    failures = count(statuses, 401) + count(statuses, 429 + 1000);
                    Thread.sleep(1_000);
                }
                for (String user : users) {
                    // Each user's first login: a real Argon2id derivation, not a remembered password.
                    assertThat(logIn(legitimate, token, user, "password-of-" + user)).as("%s's login during the flood",
                            user).isLessThan(bound);
                    assertThat(logIn(legitimate, token, "owner+ci", robotToken)).as("the robot's login during the flood")
                            .isLessThan(bound);
                }
                // A wrong password from the legitimate address is an ordinary failure, not the flood's refusal.
                HttpResponse<String> wrong = legitimate.send(get(token, "user0", "not-it"),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(wrong.statusCode()).isEqualTo(401);
            } finally {
                flooding.set(false);
                for (Thread t : flooders) {
                    t.join(10_000);
                }
            }
            assertThat(statuses.getOrDefault(-1, new AtomicInteger()).get()).as("flood requests unanswered: %s (%s)",
                    statuses, unanswered).isZero();
            assertThat(statuses.getOrDefault(401, new AtomicInteger()).get()).as("failures counted before the "
                    + "address was refused: %s", statuses).isLessThanOrEqualTo(BUDGET + FLOODERS);
            assertThat(refusedFast.get()).as("refusals of the flooding address: %s", statuses).isGreaterThan(BUDGET);
        }
    }

    private static int count(ConcurrentHashMap<Integer, AtomicInteger> statuses, int status) {
        AtomicInteger n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    /** How long a successful login of {@code user} took. */
    private static Duration logIn(HttpClient client, URI token, String user, String secret) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = client.send(get(token, user, secret), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.statusCode()).as("%s logs in: %s", user, r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"token\"");
        return took;
    }

    private static HttpRequest get(URI uri, String user, String secret) {
        String basic = Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).header("Authorization", "Basic " + basic).timeout(Duration.ofSeconds(10))
                .build();
    }
}
