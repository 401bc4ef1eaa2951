package dev.bollard.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.bollard.config.BollardConfig;
import dev.bollard.config.ConfigException;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.SigningKeyDao;
import dev.bollard.secrets.KeyEncryption;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token signing keys, kept in the metadata database so that every node signs and verifies with the same ones.
 * The newest unretired key signs. {@link #rotate()} retires it and creates a new one; a retired key keeps verifying
 * (and stays in the JWKS) for {@link #RETIRED_KEY_LIFETIME}, longer than any token lives. Keys are cached and
 * re-read every minute, or sooner when a token names an unknown key. The private keys are stored sealed by
 * {@link KeyEncryption}, whose key is kept outside the database.
 */
public final class SigningKeys implements KeySource {
    /** Longer than the longest token lifetime ({@code auth.token-expiry} is at most 1h). */
    static final Duration RETIRED_KEY_LIFETIME = Duration.ofHours(2);
    private static final Duration RELOAD_EVERY = Duration.ofMinutes(1);
    private static final Duration RELOAD_ON_MISS_AFTER = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);

    private final Database db;
    private final KeyEncryption encryption;
    private final Clock clock;
    private volatile @Nullable Snapshot snapshot;

    /** {@code stored}: rows in the database, also those this node could not open. */
    private record Snapshot(Instant loadedAt, List<ECKey> keys, int stored) {
    }

    public SigningKeys(Database db, BollardConfig.KeyEncryption encryption, Clock clock) {
        this(db, KeyEncryption.load(encryption), clock);
    }

    SigningKeys(Database db, KeyEncryption encryption, Clock clock) {
        this.db = db;
        this.encryption = encryption;
        this.clock = clock;
    }

    /**
     * Seals every stored key under the current key-encryption key: rows from before encryption at rest, and rows
     * sealed under an earlier key-encryption key (a rotation). Run at start.
     *
     * @throws ConfigException when a key that still verifies tokens was sealed under a key-encryption key this node
     *                         does not have (nodes configured with different keys)
     */
    public void sealAtRest() {
        Instant usableAfter = clock.instant().minus(RETIRED_KEY_LIFETIME);
        int sealed = 0;
        for (SigningKeyDao.SigningKey row : db.read(SigningKeyDao::all)) {
            if (encryption.isCurrent(row.jwk())) {
                continue;
            }
            String plaintext;
            try {
                plaintext = encryption.open(row.kid(), row.jwk(), "token signing key " + row.kid());
            } catch (ConfigException e) {
                if (row.retiredAt() != null && row.retiredAt().isBefore(usableAfter)) {
                    LOG.warn("retired signing key {} left as it is: {}", row.kid(), e.getMessage());
                    continue; // verifies nothing any more
                }
                throw e;
            }
            String replacement = encryption.seal(row.kid(), plaintext);
            if (db.inTransaction(h -> SigningKeyDao.replaceStoredForm(h, row.kid(), row.jwk(), replacement))) {
                sealed++;
            }
        }
        if (sealed > 0) {
            LOG.info("sealed {} token signing key(s) under key-encryption key {} ({})", sealed,
                    encryption.currentKeyId(), encryption.source());
        }
        snapshot = null;
    }

    /** Retires the signing key and creates a new one; returns the new key's id. */
    public String rotate() {
        ECKey key = generate();
        db.inTransaction(h -> {
            SigningKeyDao.retireActive(h);
            SigningKeyDao.insert(h, key.getKeyID(), "ES256", encryption.seal(key.getKeyID(), key.toJSONString()));
            return null;
        });
        snapshot = null;
        return key.getKeyID();
    }

    /**
     * Deletes the keys that no configured key-encryption key opens: the way back after the key-encryption key was
     * lost. Tokens they signed are refused from then on (clients log in again). Returns their ids.
     */
    public List<String> forgetUnreadable() {
        List<String> forgotten = new ArrayList<>();
        for (SigningKeyDao.SigningKey row : db.read(SigningKeyDao::all)) {
            try {
                encryption.open(row.kid(), row.jwk(), "token signing key " + row.kid());
            } catch (ConfigException unreadable) {
                db.inTransaction(h -> {
                    SigningKeyDao.delete(h, row.kid());
                    return null;
                });
                forgotten.add(row.kid());
            }
        }
        snapshot = null;
        return forgotten;
    }

    /** Key ids with their state, newest first, for {@code bollard keys list}. */
    public List<String> describe() {
        return db.read(h -> SigningKeyDao.usable(h, Instant.EPOCH)).stream()
                .map(k -> k.kid() + "  " + k.algorithm() + "  created " + k.createdAt()
                        + (k.retiredAt() == null ? "  signing" : "  retired " + k.retiredAt())
                        + (KeyEncryption.sealedWith(k.jwk()) == null ? "  NOT encrypted"
                                : "  encrypted with key-encryption key " + KeyEncryption.sealedWith(k.jwk())))
                .toList();
    }

    @Override
    public ECKey signingKey() {
        List<ECKey> keys = load(false);
        if (keys.isEmpty()) {
            Snapshot s = snapshot;
            if (s != null && s.stored > 0) { // never retire keys only because this node cannot read them
                throw new IllegalStateException("no token signing key this node can use (see the error logged "
                        + "before): configure the key-encryption key the other nodes use");
            }
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
        rows.stream().filter(r -> r.retiredAt() == null).forEach(r -> parse(r).ifPresent(keys::add));
        rows.stream().filter(r -> r.retiredAt() != null).forEach(r -> parse(r).ifPresent(keys::add));
        snapshot = new Snapshot(now, List.copyOf(keys), rows.size());
        return snapshot.keys;
    }

    /**
     * The key of a row; empty (logged) when this node cannot open it, which {@link #sealAtRest} refuses at start but
     * a key another node created since, under another key-encryption key, can still cause.
     */
    private Optional<ECKey> parse(SigningKeyDao.SigningKey row) {
        String json;
        try {
            json = encryption.open(row.kid(), row.jwk(), "token signing key " + row.kid());
        } catch (ConfigException e) {
            LOG.error("cannot use signing key {}: {}", row.kid(), e.getMessage());
            return Optional.empty();
        }
        try {
            return Optional.of(ECKey.parse(json));
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
