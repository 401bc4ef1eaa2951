package dev.bollard.http.tls;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.config.ConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS side of the registry's listener (docs/tls.md): TLS 1.2 and 1.3 with forward-secret AEAD cipher suites only,
 * ALPN choosing HTTP/2 when the client offers it and HTTP/1.1 otherwise, HSTS on every response, and the key and
 * certificate reloaded when their files change — new connections get the new certificate, connections open keep
 * theirs, and files that do not make a valid pair are logged and left unused.
 */
public final class TlsListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TlsListener.class);

    /** TLS 1.0 and 1.1 are deprecated (RFC 8996). */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /**
     * Mozilla's "intermediate" TLS 1.2 list without DHE: ECDHE key exchange (forward secrecy) with AES-GCM or
     * ChaCha20-Poly1305; no CBC, no RSA key exchange, no 3DES/RC4. TLS 1.3's suites are all AEAD.
     */
    static final String[] CIPHER_SUITES = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    };

    private final BollardConfig.Tls config;
    private final SslContextFactory.Server ssl;
    private final ScheduledExecutorService watcher;
    private volatile KeyMaterial current;
    /** The client CA certificates in use (server.tls.client-ca); null without client certificates. */
    private @Nullable KeyStore trust;
    /** SHA-256 over the watched files as last looked at: a change (even to a broken file) is acted on once. */
    private String seen;

    private TlsListener(BollardConfig.Tls config, KeyMaterial material) {
        this.config = config;
        this.current = material;
        this.seen = filesDigest();
        this.ssl = new SslContextFactory.Server();
        ssl.setKeyStore(material.keyStore());
        ssl.setKeyStorePassword(material.keyStorePassword());
        // Client certificates (mTLS): verified against server.tls.client-ca in the handshake; a verified one bound to
        // a robot logs in as that robot at the token endpoint. "want" lets clients without one go on with passwords.
        this.trust = clientTrust(config); // a CA file that cannot be used stops the start, saying why
        if (trust != null) {
            ssl.setTrustStore(trust);
            if (config.clientAuth().equals("need")) {
                ssl.setNeedClientAuth(true);
            } else {
                ssl.setWantClientAuth(true);
            }
        }
        ssl.setIncludeProtocols(PROTOCOLS);
        ssl.setIncludeCipherSuites(CIPHER_SUITES);
        ssl.setUseCipherSuitesOrder(true);
        ssl.setRenegotiationAllowed(false);
        this.watcher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("bollard-tls-reload").factory());
    }

    /**
     * Reads the key material {@code config} names.
     *
     * @throws ConfigException when it cannot be used, saying why
     */
    public static TlsListener open(BollardConfig.Tls config) {
        return new TlsListener(config, KeyMaterial.load(config));
    }

    /**
     * The connection factories of a TLS connector, in Jetty's order: TLS, then ALPN, which picks HTTP/2 or (its
     * default, for clients without ALPN) HTTP/1.1. {@code plain} is the HTTP configuration of plain listeners;
     * requests here are additionally marked secure ({@code https} scheme, Secure cookies) and answered with HSTS.
     */
    public ConnectionFactory[] connectionFactories(HttpConfiguration plain, int inputBufferSize) {
        HttpConfiguration https = new HttpConfiguration(plain);
        https.setSecureScheme("https");
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // One certificate: a client that reaches it by an address it was not issued for fails verification
        // itself; Jetty's SNI host check would only turn clients that skip verification away with a bare 400.
        secure.setSniHostCheck(false);
        long hsts = config.hstsMaxAge().toSeconds();
        secure.setStsMaxAge(hsts > 0 ? hsts : -1);
        https.addCustomizer(secure);
        HttpConnectionFactory http1 = new HttpConnectionFactory(https);
        http1.setInputBufferSize(inputBufferSize);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        // Blobs stream through HTTP/2 too: windows of a few MiB keep a push from stalling on WINDOW_UPDATEs.
        h2.setInitialSessionRecvWindow(16 * 1024 * 1024);
        h2.setInitialStreamRecvWindow(8 * 1024 * 1024);
        h2.setInputBufferSize(inputBufferSize);
        // Without a list, ALPN offers what the connector's factories speak (h2, then http/1.1).
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(http1.getProtocol());
        return new ConnectionFactory[] {new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, http1};
    }

    /** Starts checking the files every {@code server.tls.reload-interval}. */
    public void watch() {
        long every = config.reloadInterval().toMillis();
        // A task that throws is never run again: whatever goes wrong in one check is logged, and the next one runs.
        var unused = watcher.scheduleWithFixedDelay(() -> {
            try {
                reloadIfChanged();
            } catch (RuntimeException e) {
                LOG.error("checking the TLS files {} for changes failed", config.files(), e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        LOG.info("TLS with {}; HTTP/2 and HTTP/1.1; client certificates: {}; the files are checked for changes every {}",
                current.describe(), config.clientAuth().equals("none") ? "none"
                        : config.clientAuth() + ", issued by the CAs of " + config.clientCa(),
                ConfigLoader.formatDuration(config.reloadInterval()));
    }

    /** The key material new connections get. */
    public KeyMaterial current() {
        return current;
    }

    /** Loads the files again when they changed since last looked at; what cannot be used is logged, not served. */
    void reloadIfChanged() {
        String digest = filesDigest();
        if (digest.equals(seen)) {
            return;
        }
        seen = digest;
        KeyMaterial previous = current;
        KeyStore previousTrust = trust;
        KeyMaterial next;
        KeyStore nextTrust;
        try {
            next = KeyMaterial.load(config);
            nextTrust = clientTrust(config);
        } catch (ConfigException e) {
            LOG.error("the TLS files {} changed but cannot be used, so new connections still get the {}: {}",
                    config.files(), previous.describe(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.error("the TLS files {} changed but cannot be read, so new connections still get the {}",
                    config.files(), previous.describe(), e);
            return;
        }
        try {
            install(next, nextTrust);
            current = next;
            trust = nextTrust;
            LOG.info("TLS files {} changed: new connections get the {}", config.files(), next.describe());
        } catch (Exception e) {
            LOG.error("installing the changed TLS key and certificate failed; keeping the {}", previous.describe(), e);
            try {
                install(previous, previousTrust);
            } catch (Exception again) {
                LOG.error("restoring the previous TLS key and certificate failed too", again);
            }
        }
    }

    private void install(KeyMaterial material, @Nullable KeyStore clientTrust) throws Exception {
        ssl.reload(f -> {
            f.setKeyStore(material.keyStore());
            f.setKeyStorePassword(material.keyStorePassword());
            if (clientTrust != null) {
                f.setTrustStore(clientTrust);
            }
        });
    }

    private static @Nullable KeyStore clientTrust(BollardConfig.Tls config) {
        Path clientCa = config.clientCa();
        return clientCa == null || config.clientAuth().equals("none") ? null : KeyMaterial.clientTrust(clientCa);
    }

    /** A digest of the watched files' bytes; a missing or unreadable file counts as its own state. */
    private String filesDigest() {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (Path file : config.files()) {
                sha256.update(file.toString().getBytes(StandardCharsets.UTF_8));
                try {
                    sha256.update(Files.readAllBytes(file));
                } catch (NoSuchFileException e) {
                    sha256.update((byte) 1);
                } catch (IOException e) {
                    sha256.update((byte) 2);
                }
            }
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
