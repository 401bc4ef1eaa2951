package dev.bollard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Issuing and verifying bearer tokens, and the attacks verification must refuse. */
class TokensTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private final ECKey key = SigningKeys.generate();
    /** Whether {@link #key} may still verify (a key the key set no longer holds does not). */
    private volatile boolean keyUsable = true;
    private final KeySource keys = new KeySource() {
        @Override
        public ECKey signingKey() {
            return key;
        }

        @Override
        public Optional<ECKey> verificationKey(String kid) {
            return keyUsable && kid.equals(key.getKeyID()) ? Optional.of(key.toPublicJWK()) : Optional.empty();
        }
    };
    private final Tokens tokens = tokens(NOW, "bollard", "bollard");

    private Tokens tokens(Instant at, String issuer, String service) {
        return new Tokens(keys, issuer, service, Duration.ofMinutes(5), Clock.fixed(at, ZoneOffset.UTC));
    }

    private static final List<Scope> PULL_A = List.of(new Scope("repository", "team/a", Set.of("pull")));

    @Test
    void issuedTokenVerifiesWithItsAccess() throws Exception {
        Tokens.Issued issued = tokens.issue("alice", PULL_A);
        assertThat(issued.expiresIn()).isEqualTo(300);
        SignedJWT jwt = SignedJWT.parse(issued.token());
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.ES256);
        assertThat(jwt.getHeader().getKeyID()).isEqualTo(key.getKeyID());
        assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("bollard");
        assertThat(jwt.getJWTClaimsSet().getClaim("access")).isEqualTo(List.of(
                Map.of("type", "repository", "name", "team/a", "actions", List.of("pull"))));

        Tokens.Verified v = tokens.verify(issued.token());
        assertThat(v.subject()).isEqualTo("alice");
        assertThat(v.allows("repository", "team/a", "pull")).isTrue();
        assertThat(v.allows("repository", "team/a", "push")).as("pull token used to push").isFalse();
        assertThat(v.allows("repository", "team/b", "pull")).as("token for repo A used on repo B").isFalse();
    }

    @Test
    void expiredAndNotYetValidTokensAreRefused() throws Exception {
        String token = tokens.issue("alice", PULL_A).token();
        assertThat(tokens(NOW.plus(Duration.ofMinutes(4)), "bollard", "bollard").verify(token).subject()).isEqualTo("alice");
        assertThatThrownBy(() -> tokens(NOW.plus(Duration.ofMinutes(6)), "bollard", "bollard").verify(token))
                .hasMessageContaining("expired");
        assertThatThrownBy(() -> tokens(NOW.minus(Duration.ofMinutes(2)), "bollard", "bollard").verify(token))
                .hasMessageContaining("not valid yet");
    }

    @Test
    void aVerifiedTokenIsRememberedButStillRefusedOnceExpiredOrItsKeyIsGone() throws Exception {
        MutableClock clock = new MutableClock(NOW);
        Tokens remembering = new Tokens(keys, "bollard", "bollard", Duration.ofMinutes(5), clock);
        String token = remembering.issue("alice", PULL_A).token();
        for (int i = 0; i < 5; i++) {
            assertThat(remembering.verify(token).allows("repository", "team/a", "pull")).isTrue();
        }
        assertThat(remembering.signatureChecks()).as("one signature check for five uses").isEqualTo(1);

        // The key leaves the key set: the remembered token is refused as an unverified one is.
        keyUsable = false;
        assertThatThrownBy(() -> remembering.verify(token)).hasMessageContaining("unknown key");
        keyUsable = true;
        assertThat(remembering.verify(token).subject()).isEqualTo("alice");

        // Expiry (with the same 30 s of skew) ends it, remembered or not.
        clock.advance(Duration.ofMinutes(5).plus(Tokens.CLOCK_SKEW).minusSeconds(1));
        assertThat(remembering.verify(token).subject()).isEqualTo("alice");
        assertThat(remembering.signatureChecks()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThatThrownBy(() -> remembering.verify(token)).hasMessageContaining("expired");
    }

    @Test
    void aRememberedTokenIsNotValidBeforeItsTimeAndRefusalsAreNotRemembered() throws Exception {
        MutableClock clock = new MutableClock(NOW.minus(Duration.ofMinutes(2)));
        Tokens remembering = new Tokens(keys, "bollard", "bollard", Duration.ofMinutes(5), clock);
        String early = tokens.issue("alice", PULL_A).token(); // valid from NOW
        assertThatThrownBy(() -> remembering.verify(early)).hasMessageContaining("not valid yet");
        assertThatThrownBy(() -> remembering.verify(early)).hasMessageContaining("not valid yet");
        clock.advance(Duration.ofMinutes(2));
        assertThat(remembering.verify(early).subject()).isEqualTo("alice");

        String[] parts = early.split("\\.", -1);
        String tampered = parts[0] + "." + b64(new String(Base64.getUrlDecoder().decode(parts[1]),
                StandardCharsets.UTF_8).replace("\"pull\"", "\"push\"")) + "." + parts[2];
        long before = remembering.signatureChecks();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> remembering.verify(tampered)).hasMessageContaining("signature");
        }
        assertThat(remembering.signatureChecks() - before).as("a bad signature is checked every time").isEqualTo(3);
    }

    @Test
    void wrongAudienceOrIssuerIsRefused() {
        String otherService = tokens(NOW, "bollard", "another-registry").issue("alice", PULL_A).token();
        assertThatThrownBy(() -> tokens.verify(otherService)).hasMessageContaining("another service");
        String otherIssuer = tokens(NOW, "evil", "bollard").issue("alice", PULL_A).token();
        assertThatThrownBy(() -> tokens.verify(otherIssuer)).hasMessageContaining("another issuer");
    }

    @Test
    void tamperedPayloadOrForeignKeyIsRefused() throws Exception {
        String token = tokens.issue("alice", PULL_A).token();
        String[] parts = token.split("\\.", -1);
        String escalated = b64(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"pull\"", "\"push\""));
        assertThatThrownBy(() -> tokens.verify(parts[0] + "." + escalated + "." + parts[2]))
                .hasMessageContaining("signature");

        // Signed by another key that claims our key id.
        ECKey attacker = SigningKeys.generate();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                claims("alice"));
        forged.sign(new ECDSASigner(attacker));
        assertThatThrownBy(() -> tokens.verify(forged.serialize())).hasMessageContaining("signature");

        // Signed by another key with its own id.
        SignedJWT unknown = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(attacker.getKeyID()).build(),
                claims("alice"));
        unknown.sign(new ECDSASigner(attacker));
        assertThatThrownBy(() -> tokens.verify(unknown.serialize())).hasMessageContaining("unknown key");
    }

    @Test
    void algNoneIsRefused() {
        String plain = new PlainJWT(claims("alice")).serialize();
        assertThatThrownBy(() -> tokens.verify(plain)).hasMessageContaining("not signed");
        // A hand-made "alg":"none" header with the ES256 token's key id and an empty signature.
        String header = b64("{\"alg\":\"none\",\"kid\":\"" + key.getKeyID() + "\"}");
        String body = b64(claims("alice").toString());
        assertThatThrownBy(() -> tokens.verify(header + "." + body + ".")).isInstanceOf(Tokens.InvalidTokenException.class);
    }

    @Test
    void hs256WithThePublicKeyAsSecretIsRefused() throws Exception {
        byte[] publicKeyBytes = key.toECPublicKey().getEncoded();
        SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims("alice"));
        hmac.sign(new MACSigner(publicKeyBytes));
        assertThatThrownBy(() -> tokens.verify(hmac.serialize())).hasMessageContaining("HS256");
        SignedJWT hmacJwk = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(),
                claims("alice"));
        hmacJwk.sign(new MACSigner(key.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> tokens.verify(hmacJwk.serialize())).hasMessageContaining("HS256");
    }

    @Test
    void garbageIsRefused() {
        assertThatThrownBy(() -> tokens.verify("")).isInstanceOf(Tokens.InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verify("a.b.c")).isInstanceOf(Tokens.InvalidTokenException.class);
        assertThatThrownBy(() -> tokens.verify("not a token")).isInstanceOf(Tokens.InvalidTokenException.class);
    }

    private static JWTClaimsSet claims(String subject) {
        return new JWTClaimsSet.Builder().issuer("bollard").audience("bollard").subject(subject)
                .issueTime(Date.from(NOW)).notBeforeTime(Date.from(NOW)).expirationTime(Date.from(NOW.plusSeconds(300)))
                .claim("access", List.of(Map.of("type", "repository", "name", "team/a", "actions", List.of("pull", "push"))))
                .build();
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
