package dev.bollard.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.SigningKeyDao;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The token signing keys, kept in the metadata database so that every node signs and verifies with the same ones.
 * The newest unretired key signs. {@link #rotate()} retires it and creates a new one; a retired key keeps verifying
 * (and stays in the JWKS) for {@link #RETIRED_KEY_LIFETIME}, longer than any token lives. Keys are cached and
 * re-read every minute, or sooner when a token names an unknown key.
 */
public final class SigningKeys implements KeySource {
    /** Longer than the longest token lifetime ({@code auth.token-expiry} is at most 1h). */
    static final Duration RETIRED_KEY_LIFETIME = Duration.ofHours(2);
    private static final Duration RELOAD_EVERY = Duration.ofMinutes(1);
    private static final Duration RELOAD_ON_MISS_AFTER = Duration.ofSeconds(2);

    private final Database db;
    private final Clock clock;
    private volatile @Nullable Snapshot snapshot;

    private record Snapshot(Instant loadedAt, List<ECKey> keys) {
    }

    public SigningKeys(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** Retires the signing key and creates a new one; returns the new key's id. */
    public String rotate() {
        ECKey key = generate();
        db.inTransaction(h -> {
            SigningKeyDao.retireActive(h);
            SigningKeyDao.insert(h, key.getKeyID(), "ES256", key.toJSONString());
            return null;
        });
        snapshot = null;
        return key.getKeyID();
    }

    /** Key ids with their state, newest first, for {@code bollard keys list}. */
    public List<String> describe() {
        return db.read(h -> SigningKeyDao.usable(h, Instant.EPOCH)).stream()
                .map(k -> k.kid() + "  " + k.algorithm() + "  created " + k.createdAt()
                        + (k.retiredAt() == null ? "  signing" : "  retired " + k.retiredAt()))
                .toList();
    }

    @Override
    public ECKey signingKey() {
        List<ECKey> keys = load(false);
        if (keys.isEmpty()) {
            // First start: create the first key (two nodes racing create two; the newest signs, both verify).
            rotate();
            keys = load(true);
        }
        return keys.getFirst();
    }

    @Override
    public Optional<ECKey> verificationKey(String kid) {
        Optional<ECKey> found = find(load(false), kid);
        if (found.isEmpty()) {
            Snapshot s = snapshot;
            if (s == null || clock.instant().isAfter(s.loadedAt.plus(RELOAD_ON_MISS_AFTER))) {
                found = find(load(true), kid);
            }
        }
        return found.map(ECKey::toPublicJWK);
    }

    /** The public keys as a JWK Set document. */
    public String jwks() {
        List<JWK> pub = new ArrayList<>();
        for (ECKey k : load(false)) {
            pub.add(k.toPublicJWK());
        }
        return new JWKSet(pub).toString(true);
    }

    private static Optional<ECKey> find(List<ECKey> keys, String kid) {
        return keys.stream().filter(k -> kid.equals(k.getKeyID())).findFirst();
    }

    /** Signing key first; unretired keys, then recently retired ones. */
    private List<ECKey> load(boolean force) {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (!force && s != null && now.isBefore(s.loadedAt.plus(RELOAD_EVERY))) {
            return s.keys;
        }
        List<SigningKeyDao.SigningKey> rows = db.read(h -> SigningKeyDao.usable(h, now.minus(RETIRED_KEY_LIFETIME)));
        List<ECKey> keys = new ArrayList<>();
        rows.stream().filter(r -> r.retiredAt() == null).forEach(r -> keys.add(parse(r)));
        rows.stream().filter(r -> r.retiredAt() != null).forEach(r -> keys.add(parse(r)));
        snapshot = new Snapshot(now, List.copyOf(keys));
        return snapshot.keys;
    }

    private static ECKey parse(SigningKeyDao.SigningKey row) {
        try {
            return ECKey.parse(row.jwk());
        } catch (ParseException e) {
            throw new IllegalStateException("signing key " + row.kid() + " in the database is not a valid EC JWK", e);
        }
    }

    static ECKey generate() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a signing key: " + e.getMessage(), e);
        }
    }
}
