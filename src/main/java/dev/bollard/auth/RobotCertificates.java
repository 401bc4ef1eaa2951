package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireRobot;

import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RobotCertificateDao;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Client certificates (mTLS) bound to robots: a client that presents a bound certificate in the TLS handshake (the
 * listener verified it against {@code server.tls.client-ca}) gets the robot's access at the token endpoint without a
 * password. A certificate is bound by the SHA-256 fingerprint of its DER encoding — exactly that certificate, not every
 * certificate a CA issues for the same subject — so a renewed certificate is bound anew (bind the new one before the old
 * expires; a robot may have several). Changes are recorded in the outbox, in their transaction.
 */
public final class RobotCertificates {
    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_PEM = 64 * 1024;

    private final Database db;
    private final Changes changes;

    RobotCertificates(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A certificate bound to robot {@code robot} ({@code owner+name}). */
    public record Binding(String robot, String fingerprint, String subject, Instant notAfter) {
    }

    /** The SHA-256 fingerprint of a certificate as stored and shown: lower-case hex of its DER encoding. */
    public static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A fingerprint as a user may type it — {@code openssl x509 -fingerprint -sha256}'s upper-case, colon-separated
     * form, or plain hex — in the stored form; INVALID_REQUEST when it is not 32 bytes of hex.
     */
    public static String normalize(String fingerprint) {
        String hex = fingerprint == null ? "" : fingerprint.strip().toLowerCase(Locale.ROOT).replace(":", "");
        if (hex.startsWith("sha256")) {
            hex = hex.substring(hex.indexOf('=') + 1);
        }
        if (!FINGERPRINT.matcher(hex).matches()) {
            throw BollardException.invalid("a certificate fingerprint is its SHA-256, 64 hex digits (colons allowed, "
                    + "as openssl x509 -noout -fingerprint -sha256 prints it), not '" + fingerprint + "'");
        }
        return hex;
    }

    /** Binds the certificate in {@code pem} (one PEM {@code CERTIFICATE} block) to the robot. */
    public Binding add(String robot, String pem) {
        X509Certificate certificate = parse(pem);
        if (certificate.getNotAfter().toInstant().isBefore(Instant.now())) {
            throw BollardException.invalid("the certificate " + certificate.getSubjectX500Principal().getName()
                    + " expired on " + certificate.getNotAfter().toInstant());
        }
        if (certificate.getBasicConstraints() >= 0) {
            throw BollardException.invalid("the certificate " + certificate.getSubjectX500Principal().getName()
                    + " is a CA certificate; bind the client's own certificate");
        }
        String fingerprint = fingerprint(certificate);
        String subject = certificate.getSubjectX500Principal().getName();
        String shown = subject.length() > 1024 ? subject.substring(0, 1024) : subject;
        Instant notAfter = certificate.getNotAfter().toInstant();
        return db.inTransaction(h -> {
            long robotId = requireRobot(h, robot).id();
            if (!RobotCertificateDao.insert(h, robotId, fingerprint, shown, notAfter)) {
                throw BollardException.conflict("the certificate " + fingerprint + " is bound to a robot already");
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("robot", robot);
            details.put("fingerprint", fingerprint);
            details.put("subject", shown);
            details.put("not_after", notAfter.toString());
            changes.onNamespace(h, robot.substring(0, robot.indexOf('+')), AuditActions.ROBOT_CERTIFICATE_ADD, details);
            return new Binding(robot, fingerprint, shown, notAfter);
        });
    }

    /** The robot's certificates, in the order they were bound. */
    public List<Binding> list(String robot) {
        return db.read(h -> RobotCertificateDao.list(h, requireRobot(h, robot).id()).stream()
                .map(b -> new Binding(robot, b.fingerprint(), b.subject(), b.notAfter())).toList());
    }

    /** Unbinds a certificate (by fingerprint, in any form {@link #normalize} takes); false when it was not bound. */
    public boolean remove(String robot, String fingerprint) {
        String hex = normalize(fingerprint);
        return db.inTransaction(h -> {
            boolean removed = RobotCertificateDao.delete(h, requireRobot(h, robot).id(), hex);
            if (removed) {
                changes.onNamespace(h, robot.substring(0, robot.indexOf('+')), AuditActions.ROBOT_CERTIFICATE_REMOVE,
                        Map.of("robot", robot, "fingerprint", hex));
            }
            return removed;
        });
    }

    private static X509Certificate parse(String pem) {
        if (pem == null || pem.isBlank() || pem.length() > MAX_PEM || !pem.contains("-----BEGIN CERTIFICATE-----")) {
            throw BollardException.invalid("expected the client certificate in PEM (one -----BEGIN CERTIFICATE----- "
                    + "block, at most " + MAX_PEM + " characters)");
        }
        Collection<? extends java.security.cert.Certificate> certificates;
        try {
            certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw BollardException.invalid("the certificate cannot be read: " + e.getMessage());
        }
        if (certificates.size() != 1 || !(certificates.iterator().next() instanceof X509Certificate x509)) {
            throw BollardException.invalid("expected exactly one certificate, the client's own (not its chain), found "
                    + certificates.size());
        }
        return x509;
    }
}
