package dev.bollard.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bollard.config.BollardConfig;
import dev.bollard.testing.TestCa;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.auth.EasyAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * E-mail notifications with {@code notifications.smtp.security: starttls}, the default, against SubEthaSMTP: a real
 * SMTP server in this JVM that speaks STARTTLS (RFC 3207) and AUTH, configured as a submission server should be — no
 * mail and no AUTH before STARTTLS, no mail without AUTH. GreenMail, the other tests' server, has no STARTTLS. The
 * server records, for each AUTH it is offered, whether the connection was encrypted by then: the password never
 * crosses in plain text, and a server that offers no STARTTLS gets no message and no password.
 */
class StartTlsMailTest {
    private static final String PASSWORD = "smtp-password";

    @TempDir
    static Path tls;
    private static TestCa ca;
    private static SSLContext serverTls;

    /** What the server saw: each AUTH offered (and whether the session was encrypted then), each message taken. */
    private record Login(String user, boolean encrypted) {
    }

    private record Mail(String from, String to, String data, boolean encrypted, @Nullable String user) {
    }

    private final List<Login> logins = new CopyOnWriteArrayList<>();
    private final List<Mail> mails = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void certificate() throws Exception {
        ca = TestCa.create(tls.resolve("ca"));
        Path p12 = ca.pkcs12(ca.issue("smtp", "rsa"), "changeit");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, "changeit".toCharArray());
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(keys.getKeyManagers(), null, null);
    }

    /** A submission server on a free loopback port: STARTTLS offered (and, with {@code requireTls}, required), AUTH. */
    private SMTPServer server(boolean offersStartTls, boolean requireTls) {
        SMTPServer.Builder b = SMTPServer.port(0).bindAddress(java.net.InetAddress.getLoopbackAddress())
                .hostName("127.0.0.1")
                .authenticationHandlerFactory(new EasyAuthenticationHandlerFactory(this::login))
                .messageHandler((context, from, to, data) -> mails.add(new Mail(from, to,
                        new String(data, StandardCharsets.UTF_8), encrypted(context),
                        context.getAuthenticationHandler().map(a -> String.valueOf(a.getIdentity())).orElse(null))))
                .requireAuth(true);
        if (offersStartTls) {
            b = b.enableTLS().startTlsSocketFactory(serverTls).requireTLS(requireTls);
        }
        SMTPServer server = b.build();
        server.start();
        return server;
    }

    private void login(String user, String password, MessageContext context) throws LoginFailedException {
        logins.add(new Login(user, encrypted(context)));
        if (!user.equals("bollard") || !password.equals(PASSWORD)) {
            throw new LoginFailedException();
        }
    }

    private static boolean encrypted(MessageContext context) {
        return context instanceof Session s && s.isTLSStarted();
    }

    private static BollardConfig.Smtp starttls(int port, String password, @Nullable Path ca) {
        return new BollardConfig.Smtp("127.0.0.1", port, "starttls", "bollard", password,
                "Bollard <registry@example.com>", Duration.ofSeconds(5), Duration.ZERO, ca,
                BollardConfig.Smtp.DEFAULT_SUBJECT, BollardConfig.Smtp.DEFAULT_BODY);
    }

    private final RegistryEvent event = new RegistryEvent(7, EventTypes.TAG_CREATED, Instant.now(), "user",
            "alice", "alice", "alice/app", new TreeMap<>(Map.of("tag", "v1", "digest", "sha256:" + "a".repeat(64))));
    private final Webhook hook = new Webhook(1, WebhookScope.repository("alice/app"), EmailDelivery.NAME,
            "mailto:ops@example.com", WebhookFormat.BOLLARD, "s", Set.of(), null, null, new TreeMap<>(),
            Duration.ofSeconds(5), true, null, 0, "alice", Instant.now());

    @Test
    void theMessageGoesAfterStartTlsAndTheLoginOnlyOverTheEncryptedConnection() throws Exception {
        SMTPServer server = server(true, true);
        try {
            DeliveryMethod.Attempt sent = new EmailDelivery(starttls(server.getPortAllocated(), PASSWORD,
                    ca.certificate())).deliver(hook, event, 1);
            assertThat(sent.success()).as(String.valueOf(sent.error())).isTrue();
            assertThat(sent.status()).as("the server's reply to the message").isEqualTo(250);
            assertThat(logins).containsExactly(new Login("bollard", true));
            assertThat(mails).hasSize(1);
            Mail mail = mails.getFirst();
            assertThat(mail.encrypted()).isTrue();
            assertThat(mail.user()).isEqualTo("bollard");
            assertThat(mail.from()).isEqualTo("registry@example.com");
            assertThat(mail.to()).isEqualTo("ops@example.com");
            assertThat(mail.data()).contains("Subject: [Bollard] alice created tag v1 of alice/app",
                    "alice created tag v1 of alice/app at sha256:aaaaaaaaaaaa");

            // A wrong password is refused, over TLS as well; no message.
            DeliveryMethod.Attempt refused = new EmailDelivery(starttls(server.getPortAllocated(), "not-it",
                    ca.certificate())).deliver(hook, event, 1);
            assertThat(refused.success()).isFalse();
            assertThat(refused.error()).containsIgnoringCase("authentication");
            assertThat(logins).extracting(Login::encrypted).containsOnly(true);
            assertThat(mails).hasSize(1);
        } finally {
            server.stop();
        }
    }

    @Test
    void aServerCertificateNotTrustedEndsTheSessionBeforeTheLogin() throws Exception {
        SMTPServer server = server(true, true);
        try {
            // Without notifications.smtp.ca-file the JDK's trust store does not know the test CA.
            DeliveryMethod.Attempt untrusted = new EmailDelivery(starttls(server.getPortAllocated(), PASSWORD, null))
                    .deliver(hook, event, 1);
            assertThat(untrusted.success()).isFalse();
            assertThat(untrusted.error()).containsIgnoringCase("certification path");
            assertThat(logins).isEmpty();
            assertThat(mails).isEmpty();
        } finally {
            server.stop();
        }
    }

    @Test
    void aServerWithoutStartTlsGetsNeitherTheMessageNorThePassword() throws Exception {
        SMTPServer plain = server(false, false);
        try {
            DeliveryMethod.Attempt refused = new EmailDelivery(starttls(plain.getPortAllocated(), PASSWORD,
                    ca.certificate())).deliver(hook, event, 1);
            assertThat(refused.success()).isFalse();
            assertThat(refused.error()).contains("STARTTLS");
            assertThat(logins).as("no AUTH in plain text").isEmpty();
            assertThat(mails).isEmpty();
        } finally {
            plain.stop();
        }
    }
}
