package dev.bollard.http.tls;

import dev.bollard.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * PEM files as OpenSSL, certbot, cert-manager and step write them: {@code CERTIFICATE} blocks, and a private key as
 * PKCS#8 ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC 1 ({@code EC PRIVATE KEY}). The older forms
 * are rewrapped as PKCS#8 (Bouncy Castle's ASN.1 classes), which the JDK's key factories read.
 */
final class Pem {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private Pem() {
    }

    /** The DER bytes of every block labelled {@code label}, in file order. */
    static List<byte[]> blocks(Path file, byte[] pem, String label) {
        List<byte[]> found = new ArrayList<>();
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            if (m.group(1).equals(label)) {
                found.add(decode(file, m.group(1), m.group(2)));
            }
        }
        return found;
    }

    private static byte[] decode(Path file, String label, String body) {
        if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
            throw new ConfigException(file + " holds an encrypted " + label + ": Bollard reads unencrypted keys (keep "
                    + "the file readable by Bollard's user only: `openssl pkey -in KEY -out KEY.pem` decrypts it), or "
                    + "give a password-protected PKCS#12 file as server.tls.pkcs12");
        }
        try {
            return Base64.getMimeDecoder().decode(body.strip());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": the " + label + " block is not valid base64 (" + e.getMessage() + ")",
                    e);
        }
    }

    /** The private key of the first key block in {@code pem}. */
    static PrivateKey privateKey(Path file, byte[] pem) {
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            String label = m.group(1);
            switch (label) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, decode(file, label, m.group(2)));
                }
                case "RSA PRIVATE KEY" -> {
                    byte[] der = decode(file, label, m.group(2));
                    return pkcs8(file, wrap(file, label, () -> new PrivateKeyInfo(new AlgorithmIdentifier(
                            PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), ASN1Primitive.fromByteArray(der))));
                }
                case "EC PRIVATE KEY" -> {
                    byte[] der = decode(file, label, m.group(2));
                    return pkcs8(file, wrap(file, label, () -> {
                        ECPrivateKey ec = ECPrivateKey.getInstance(der);
                        if (ec.getParametersObject() == null) {
                            throw new IOException("the key does not name its curve");
                        }
                        return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
                                ec.getParametersObject()), ec);
                    }));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new ConfigException(file + " holds an encrypted private key: "
                        + "Bollard reads unencrypted keys (keep the file readable by Bollard's user only; `openssl pkey "
                        + "-in KEY -out KEY.pem` decrypts it), or give a password-protected PKCS#12 file as "
                        + "server.tls.pkcs12");
                default -> {
                    // certificates, EC PARAMETERS and the like share files with keys: not what is looked for
                }
            }
        }
        throw new ConfigException("server.tls.private-key " + file + " holds no private key: it must be PEM, a "
                + "-----BEGIN PRIVATE KEY----- (PKCS#8), -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY----- "
                + "block");
    }

    private interface Wrapping {
        PrivateKeyInfo wrap() throws IOException;
    }

    private static byte[] wrap(Path file, String label, Wrapping wrapping) {
        try {
            return wrapping.wrap().getEncoded();
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(file + ": the " + label + " block is not a valid key (" + e.getMessage() + ")", e);
        }
    }

    /** A PKCS#8 key of any algorithm the JDK knows; the algorithm is found by trying the common ones. */
    private static PrivateKey pkcs8(Path file, byte[] der) {
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm
            }
        }
        throw new ConfigException("server.tls.private-key " + file + " holds a private key that is not RSA, EC or "
                + "Ed25519, or is damaged");
    }
}
