package dev.bollard.http.tls;

import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The server's private key and certificate chain, read from the PEM or PKCS#12 files of {@code server.tls.*} and
 * checked: the key signs what the certificate's public key verifies, the certificate is valid now. Held in an
 * in-memory key store (with a random password) for Jetty's SSL context.
 */
public record KeyMaterial(KeyStore keyStore, String keyStorePassword, List<X509Certificate> chain) {

    static final String ALIAS = "bollard";

    public KeyMaterial {
        chain = List.copyOf(chain);
    }

    /** The server certificate itself (the first of the chain). */
    public X509Certificate leaf() {
        return chain.getFirst();
    }

    /** SHA-256 of the server certificate, as {@code openssl x509 -fingerprint -sha256} prints it. */
    public String fingerprint() {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for logs and {@code bollard config check}: subject, fingerprint, expiry. */
    public String describe() {
        return "certificate " + leaf().getSubjectX500Principal().getName() + " (SHA-256 " + fingerprint()
                + "), valid until " + leaf().getNotAfter().toInstant() + ", chain of " + chain.size();
    }

    /**
     * Reads and checks the key material {@code tls} names.
     *
     * @throws ConfigException saying which file holds what problem
     */
    public static KeyMaterial load(BollardConfig.Tls tls) {
        PrivateKey key;
        List<X509Certificate> chain;
        Path pkcs12 = tls.pkcs12();
        Path certificate = tls.certificate();
        Path privateKey = tls.privateKey();
        if (pkcs12 != null) {
            KeyStore.PrivateKeyEntry entry = fromPkcs12(pkcs12, password(tls));
            key = entry.getPrivateKey();
            chain = new ArrayList<>();
            for (Certificate c : entry.getCertificateChain()) {
                chain.add((X509Certificate) c);
            }
        } else if (certificate != null && privateKey != null) {
            chain = certificates(certificate, "server.tls.certificate");
            key = Pem.privateKey(privateKey, read(privateKey, "server.tls.private-key"));
        } else {
            throw new ConfigException("TLS is not configured: set server.tls.certificate and server.tls.private-key, "
                    + "or server.tls.pkcs12");
        }
        X509Certificate leaf = chain.getFirst();
        String where = pkcs12 != null ? "the PKCS#12 file " + pkcs12 : "server.tls.private-key " + privateKey;
        if (!matches(key, leaf)) {
            throw new ConfigException(where + " does not hold the private key of the certificate "
                    + leaf.getSubjectX500Principal().getName() + " (" + (pkcs12 != null ? pkcs12 : certificate)
                    + "): the key and the certificate must be a pair");
        }
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new ConfigException("the certificate " + leaf.getSubjectX500Principal().getName() + " expired on "
                    + leaf.getNotAfter().toInstant() + ": renew it", e);
        } catch (CertificateNotYetValidException e) {
            throw new ConfigException("the certificate " + leaf.getSubjectX500Principal().getName()
                    + " is valid only from " + leaf.getNotBefore().toInstant() + " (now " + Instant.now()
                    + "): is the clock right?", e);
        }
        try {
            String password = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(24));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, password.toCharArray(), chain.toArray(new Certificate[0]));
            return new KeyMaterial(store, password, chain);
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException("cannot use the key of " + where + ": " + e.getMessage(), e);
        }
    }

    private static byte[] read(Path file, String key) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + key + " " + file + ": " + e, e);
        }
    }

    private static char[] password(BollardConfig.Tls tls) {
        Path file = tls.pkcs12PasswordFile();
        if (file == null) {
            return tls.pkcs12Password().toCharArray();
        }
        String text = new String(read(file, "server.tls.pkcs12-password-file"), StandardCharsets.UTF_8);
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).strip().toCharArray();
    }

    /**
     * The CA certificates of {@code server.tls.client-ca} as a trust store: client certificates must chain to one of
     * them.
     *
     * @throws ConfigException when the file holds no certificate or one that cannot be read
     */
    public static KeyStore clientTrust(Path caFile) {
        List<X509Certificate> cas = certificates(caFile, "server.tls.client-ca");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("client-ca-" + i, cas.get(i));
            }
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String setting) {
        byte[] pem = read(file, setting);
        List<byte[]> blocks = Pem.blocks(file, pem, "CERTIFICATE");
        if (blocks.isEmpty()) {
            throw new ConfigException(setting + " " + file + " holds no certificate: it must be PEM, "
                    + "-----BEGIN CERTIFICATE----- blocks" + (setting.equals("server.tls.certificate")
                    ? ", the server's certificate first, then its chain" : ""));
        }
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks) {
                chain.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (CertificateException e) {
            throw new ConfigException(setting + " " + file + " holds a certificate that cannot be read: "
                    + e.getMessage(), e);
        }
        return chain;
    }

    private static KeyStore.PrivateKeyEntry fromPkcs12(Path file, char[] password) {
        KeyStore store;
        try (InputStream in = Files.newInputStream(file)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
        } catch (IOException e) {
            boolean wrongPassword = e.getCause() instanceof UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("password");
            throw new ConfigException("cannot open the PKCS#12 file " + file + " (server.tls.pkcs12): "
                    + (wrongPassword ? "wrong password (server.tls.pkcs12-password or server.tls.pkcs12-password-file)"
                    : "not a PKCS#12 file, or damaged (" + e.getMessage() + ")"), e);
        } catch (GeneralSecurityException e) {
            throw new ConfigException("cannot open the PKCS#12 file " + file + ": " + e.getMessage(), e);
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Key key = store.getKey(alias, password);
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (key instanceof PrivateKey pk && chain != null && chain.length > 0
                            && chain[0] instanceof X509Certificate) {
                        return new KeyStore.PrivateKeyEntry(pk, chain);
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException("cannot read the private key in the PKCS#12 file " + file + ": "
                    + e.getMessage() + " (a key password other than the file's is not supported)", e);
        }
        throw new ConfigException("the PKCS#12 file " + file + " holds no private key with its certificate chain");
    }

    /** Whether {@code key} is the private half of {@code certificate}'s public key: it signs, the certificate verifies. */
    private static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm = signatureAlgorithm(key);
        if (algorithm == null) {
            return key.getAlgorithm().equals(certificate.getPublicKey().getAlgorithm());
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static @Nullable String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> null;
        };
    }
}
