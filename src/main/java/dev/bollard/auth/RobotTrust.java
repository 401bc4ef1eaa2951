package dev.bollard.auth;

import static dev.bollard.auth.Lookups.requireRobot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.audit.AuditActions;
import dev.bollard.error.BollardException;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.RobotTrustDao;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Keyless robots (workload identity federation): the rules by which a robot accepts an ID token of an external OIDC
 * issuer — a CI system's (GitHub Actions, GitLab CI), a Kubernetes cluster's, a Keycloak's — in place of its own
 * token. A rule names the issuer, the audience the token must be for, its subject (exactly, or a prefix ending in
 * {@code *}) and further claims that must hold given values (a claim holding a list matches when the list contains
 * the value). Nothing secret is stored. Checking a token against the rules is {@link Credentials}'; changes are
 * recorded in the outbox, in their transaction.
 */
public final class RobotTrust {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CLAIMS = 16;

    private final Database db;
    private final Changes changes;

    RobotTrust(Database db, Changes changes) {
        this.db = db;
        this.changes = changes;
    }

    /** A trust rule of robot {@code robot} ({@code owner+name}). */
    public record Rule(long id, String robot, String issuer, String subject, String audience,
                       Map<String, String> claims) {
        public Rule {
            claims = Map.copyOf(claims);
        }

        /** True when a verified token's claims satisfy this rule (its issuer and audience were checked already). */
        public boolean matches(Map<String, Object> tokenClaims) {
            Object sub = tokenClaims.get("sub");
            if (!(sub instanceof String s) || !(subject.endsWith("*")
                    ? s.startsWith(subject.substring(0, subject.length() - 1)) : s.equals(subject))) {
                return false;
            }
            return claims.entrySet().stream().allMatch(c -> holds(tokenClaims.get(c.getKey()), c.getValue()));
        }

        private static boolean holds(@Nullable Object value, String wanted) {
            if (value instanceof List<?> list) {
                return list.stream().anyMatch(v -> String.valueOf(v).equals(wanted));
            }
            return value != null && String.valueOf(value).equals(wanted);
        }
    }

    /** Adds a rule to the robot; the rule as stored, with its id. */
    public Rule add(String robot, String issuer, String subject, String audience, Map<String, String> claims) {
        checkIssuer(issuer);
        if (subject == null || subject.isBlank() || subject.length() > 512) {
            throw BollardException.invalid("the subject is the token's sub claim, exactly or as a prefix ending in *, "
                    + "1 to 512 characters (e.g. repo:acme/app:ref:refs/heads/main)");
        }
        if (audience == null || audience.isBlank() || audience.length() > 512) {
            throw BollardException.invalid("the audience is the value the token's aud claim must hold, 1 to 512 "
                    + "characters (e.g. the registry's service name)");
        }
        if (claims.size() > MAX_CLAIMS || claims.keySet().stream().anyMatch(k -> k.isBlank() || k.length() > 128)) {
            throw BollardException.invalid("at most " + MAX_CLAIMS + " claims, each named by 1 to 128 characters");
        }
        String claimsJson;
        try {
            claimsJson = JSON.writeValueAsString(new TreeMap<>(claims));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (claimsJson.length() > 4000) {
            throw BollardException.invalid("the claims are too long (4000 characters at most as JSON)");
        }
        return db.inTransaction(h -> {
            long robotId = requireRobot(h, robot).id();
            long id = RobotTrustDao.insert(h, robotId, issuer, subject, audience, claimsJson);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("robot", robot);
            details.put("rule", id);
            details.put("issuer", issuer);
            details.put("subject", subject);
            details.put("audience", audience);
            details.put("claims", claims);
            changes.onNamespace(h, robot.substring(0, robot.indexOf('+')), AuditActions.ROBOT_TRUST_ADD, details);
            return new Rule(id, robot, issuer, subject, audience, claims);
        });
    }

    /** The robot's rules, oldest first. */
    public List<Rule> list(String robot) {
        return db.read(h -> RobotTrustDao.rules(h, requireRobot(h, robot).id()).stream()
                .map(r -> rule(robot, r)).toList());
    }

    /** Removes a rule of the robot; false when it has no such rule. */
    public boolean remove(String robot, long id) {
        return db.inTransaction(h -> {
            boolean removed = RobotTrustDao.delete(h, requireRobot(h, robot).id(), id);
            if (removed) {
                changes.onNamespace(h, robot.substring(0, robot.indexOf('+')), AuditActions.ROBOT_TRUST_REMOVE,
                        Map.of("robot", robot, "rule", id));
            }
            return removed;
        });
    }

    static Rule rule(String robot, RobotTrustDao.Rule r) {
        try {
            return new Rule(r.id(), robot, r.issuer(), r.subject(), r.audience(),
                    JSON.readValue(r.claimsJson(), new TypeReference<Map<String, String>>() { }));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("robot_trust " + r.id() + " holds claims that are not JSON", e);
        }
    }

    private static void checkIssuer(@Nullable String issuer) {
        try {
            URI uri = new URI(issuer == null ? "" : issuer);
            if ((uri.getScheme() != null && (uri.getScheme().equals("https") || uri.getScheme().equals("http")))
                    && uri.getHost() != null && uri.getQuery() == null && uri.getFragment() == null
                    && uri.toString().length() <= 512) {
                return;
            }
        } catch (URISyntaxException e) {
            // below
        }
        throw BollardException.invalid("the issuer is the token's iss claim, an https:// URL such as "
                + "https://token.actions.githubusercontent.com, not '" + issuer + "'");
    }
}
