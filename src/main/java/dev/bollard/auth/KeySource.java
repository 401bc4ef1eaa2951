package dev.bollard.auth;

import com.nimbusds.jose.jwk.ECKey;
import java.util.Optional;

/** Where token signing and verification keys come from: the database in production, memory in unit tests. */
interface KeySource {
    /** The key that signs new tokens (with its private part). */
    ECKey signingKey();

    /** The public key with this id, when it may still verify tokens. */
    Optional<ECKey> verificationKey(String kid);
}
