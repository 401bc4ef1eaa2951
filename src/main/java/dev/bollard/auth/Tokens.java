package dev.bollard.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Issues and verifies the registry's bearer tokens: JWTs signed with ES256, whose {@code access} claim lists what the
 * bearer may do (Docker token spec). Verification pins the algorithm (no {@code none}, no HMAC, nothing but ES256),
 * takes the key only from the registry's own key set by {@code kid}, and checks issuer, audience, expiry and
 * not-before. A verified token is remembered until it expires (see {@link #verify}).
 */
final class Tokens {
    static final Duration CLOCK_SKEW = Duration.ofSeconds(30);
    /** Verified tokens remembered at most (each a few hundred bytes); more are verified on every use. */
    static final int MAX_REMEMBERED = 10_000;

    private final KeySource keys;
    private final String issuer;
    private final String service;
    private final Duration expiry;
    private final Clock clock;
    private final VerifiedCache<Checked> verified;
    private final AtomicLong signatureChecks = new AtomicLong();

    Tokens(KeySource keys, String issuer, String service, Duration expiry, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.service = service;
        this.expiry = expiry;
        this.clock = clock;
        this.verified = new VerifiedCache<>(MAX_REMEMBERED, clock);
    }

    record Issued(String token, long expiresIn, Instant issuedAt) {
        @Override
        public String toString() {
            return "Issued[expiresIn=" + expiresIn + ", issuedAt=" + issuedAt + "]";
        }
    }

    record Verified(String subject, List<Scope> access) {
        boolean allows(String type, String name, String action) {
            return access.stream().anyMatch(s -> s.covers(type, name, action));
        }
    }

    static final class InvalidTokenException extends Exception {
        InvalidTokenException(String message) {
            super(message);
        }
    }

    Issued issue(String subject, List<Scope> access) {
        Instant now = clock.instant();
        ECKey key = keys.signingKey();
        List<Map<String, Object>> claim = access.stream().map(Scope::toClaim).toList();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(service)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(expiry)))
                .jwtID(UUID.randomUUID().toString()).claim("access", claim).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
        return new Issued(jwt.serialize(), expiry.toSeconds(), now);
    }

    /**
     * The token's subject and access, when it is one of ours and valid now. A token whose signature and claims
     * checked out is remembered (by its SHA-256) until it expires, so its signature is verified once, not on every
     * request; what can change meanwhile — whether its key may still verify, expiry and not-before against the
     * clock — is checked on every use, as on the first.
     */
    Verified verify(String token) throws InvalidTokenException {
        String digest = Secrets.sha256(token);
        Checked checked = verified.get(digest);
        if (checked == null) {
            checked = check(token);
            verified.put(digest, checked, checked.expires().plus(CLOCK_SKEW));
        }
        if (keys.verificationKey(checked.kid()).isEmpty()) {
            throw new InvalidTokenException("token signed with an unknown key");
        }
        Instant now = clock.instant();
        if (!now.isBefore(checked.expires().plus(CLOCK_SKEW))) {
            throw new InvalidTokenException("token expired");
        }
        if (checked.notBefore() != null && now.plus(CLOCK_SKEW).isBefore(checked.notBefore())) {
            throw new InvalidTokenException("token not valid yet");
        }
        return checked.verified();
    }

    /** A token whose signature, issuer and audience checked out, with what is checked again on each use. */
    private record Checked(Verified verified, String kid, Instant expires, @Nullable Instant notBefore) {
    }

    /** The checks that hold for a token's whole life: form, algorithm, key, signature, issuer, audience, claims. */
    private Checked check(String token) throws InvalidTokenException {
        JWT parsed;
        try {
            parsed = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        }
        if (!(parsed instanceof SignedJWT jwt)) {
            throw new InvalidTokenException("token is not signed");
        }
        if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) {
            throw new InvalidTokenException("token algorithm " + jwt.getHeader().getAlgorithm() + " is not accepted");
        }
        String kid = jwt.getHeader().getKeyID();
        Optional<ECKey> key = kid == null ? Optional.empty() : keys.verificationKey(kid);
        if (kid == null || key.isEmpty()) {
            throw new InvalidTokenException("token signed with an unknown key");
        }
        signatureChecks.incrementAndGet();
        try {
            if (!jwt.verify(new ECDSAVerifier(key.get().toECPublicKey()))) {
                throw new InvalidTokenException("bad token signature");
            }
        } catch (JOSEException e) {
            throw new InvalidTokenException("bad token signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token claims");
        }
        if (!issuer.equals(claims.getIssuer())) {
            throw new InvalidTokenException("token from another issuer");
        }
        if (claims.getAudience() == null || !claims.getAudience().contains(service)) {
            throw new InvalidTokenException("token for another service");
        }
        if (claims.getExpirationTime() == null) {
            throw new InvalidTokenException("token expired");
        }
        Instant notBefore = claims.getNotBeforeTime() == null ? null : claims.getNotBeforeTime().toInstant();
        return new Checked(new Verified(claims.getSubject() == null ? "" : claims.getSubject(),
                access(claims.getClaim("access"))), kid, claims.getExpirationTime().toInstant(), notBefore);
    }

    /** How many signatures were verified (tests: a remembered token is not verified again). */
    long signatureChecks() {
        return signatureChecks.get();
    }

    private static List<Scope> access(Object claim) throws InvalidTokenException {
        List<Scope> scopes = new ArrayList<>();
        if (claim == null) {
            return scopes;
        }
        if (!(claim instanceof List<?> list)) {
            throw new InvalidTokenException("malformed access claim");
        }
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
                    || !(m.get("name") instanceof String name) || !(m.get("actions") instanceof List<?> actions)) {
                throw new InvalidTokenException("malformed access claim");
            }
            List<String> a = new ArrayList<>();
            for (Object x : actions) {
                if (x instanceof String s) {
                    a.add(s);
                }
            }
            scopes.add(new Scope(type, name, new LinkedHashSet<>(a)));
        }
        return scopes;
    }
}
