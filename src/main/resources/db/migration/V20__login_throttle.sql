-- Failed logins, counted in the database so that every node of a cluster sees them: a client spreading its guesses
-- over the nodes behind a load balancer meets the same lockout as on one node. Written once for H2 (in PostgreSQL
-- mode) and PostgreSQL alike.
--
-- kind 'user': failures of one user name (lower-cased) from one client address; after auth.max-login-failures the
-- pair is locked until locked_until. kind 'address': failures from one address whatever the user names (username is
-- ''); after auth.max-login-failures-per-address the address may spend no password derivation until locked_until.
-- A count older than auth.lockout (last_failure before now - lockout) starts again at 1; such rows are deleted by
-- the hourly audit-prune worker. A name or address too long or with control characters is keyed by its SHA-256.
CREATE TABLE login_failure (
    kind          VARCHAR(8) NOT NULL,
    username      VARCHAR(200) NOT NULL,
    address       VARCHAR(200) NOT NULL,
    failures      INTEGER NOT NULL,
    last_failure  TIMESTAMP WITH TIME ZONE NOT NULL,
    locked_until  TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (kind, username, address),
    CONSTRAINT login_failure_kind_ck CHECK (kind IN ('user', 'address'))
);
CREATE INDEX login_failure_last_idx ON login_failure (last_failure);

-- Client certificates (mTLS) bound to robots: a client presenting, over TLS with server.tls.client-auth, a certificate
-- whose SHA-256 fingerprint (of its DER encoding, lower-case hex) is bound here gets a token for the robot at the
-- token endpoint, without a password. Bound by fingerprint, not subject DN: a certificate is exactly one key pair, and
-- a second certificate issued for the same DN (by the same or another trusted CA) does not inherit the robot's access.
-- A certificate is bound to at most one robot. subject and not_after are kept to show what is bound.
CREATE TABLE robot_certificate (
    fingerprint  VARCHAR(64) PRIMARY KEY,
    robot_id     BIGINT NOT NULL REFERENCES robot (id) ON DELETE CASCADE,
    subject      VARCHAR(1024) NOT NULL,
    not_after    TIMESTAMP WITH TIME ZONE NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX robot_certificate_robot_idx ON robot_certificate (robot_id);
