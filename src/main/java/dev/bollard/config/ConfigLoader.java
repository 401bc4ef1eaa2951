package dev.bollard.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link BollardConfig}. Every key is listed in {@link #KEYS} with its default; a YAML file uses the
 * same keys nested ({@code server: {listen: ...}}), the environment overrides with {@code BOLLARD_SERVER_LISTEN},
 * and explicit {@link Builder#set} calls (command-line flags) override both. Unknown keys are errors.
 */
public final class ConfigLoader {

    /**
     * The keys of one OIDC provider, {@code auth.oidc.providers[N].issuer}: in YAML a list under
     * {@code auth.oidc.providers}, in the environment {@code BOLLARD_AUTH_OIDC_PROVIDERS_0_ISSUER}. {@link #KEYS}
     * lists them once, with {@code N}.
     */
    static final String PROVIDER = "auth.oidc.providers[N].";
    private static final Pattern PROVIDER_KEY = Pattern.compile("auth\\.oidc\\.providers\\[(\\d{1,2})]\\.(.+)");
    private static final Pattern PROVIDER_ENV = Pattern.compile("BOLLARD_AUTH_OIDC_PROVIDERS_(\\d{1,2})_(.+)");

    /** Every configuration key, its default ("" = derived or none) and what it means; docs/configuration.md mirrors it. */
    public static final Map<String, String[]> KEYS;

    static {
        Map<String, String[]> k = new LinkedHashMap<>();
        k.put("data-dir", new String[] {"./data", "directory for all data of the embedded defaults"});
        k.put("server.listen", new String[] {"127.0.0.1:5000", "host:port the HTTP server binds"});
        k.put("server.allow-plain-http", new String[] {"false", "serve plain HTTP on an address other than loopback (behind a TLS-terminating proxy); logged as a warning"});
        k.put("server.tls.certificate", new String[] {"", "PEM file of the server certificate followed by its chain; with server.tls.private-key it switches TLS on (docs/tls.md)"});
        k.put("server.tls.private-key", new String[] {"", "PEM file of the certificate's unencrypted private key: PKCS#8, RSA or EC"});
        k.put("server.tls.pkcs12", new String[] {"", "PKCS#12 file with the private key and certificate chain, instead of the PEM files"});
        k.put("server.tls.pkcs12-password", new String[] {"", "password of the PKCS#12 file (better from BOLLARD_SERVER_TLS_PKCS12_PASSWORD or the file); never logged"});
        k.put("server.tls.pkcs12-password-file", new String[] {"", "file whose first line is the PKCS#12 file's password"});
        k.put("server.tls.reload-interval", new String[] {"10s", "how often the key and certificate files are checked; changed valid ones serve new connections without a restart"});
        k.put("server.tls.client-auth", new String[] {"none", "client certificates (mTLS): none, want (asked for, optional) or need (required); verified against server.tls.client-ca, and a robot's bound certificate logs in as the robot (docs/tls.md)"});
        k.put("server.tls.client-ca", new String[] {"", "PEM file of the CA certificates that issue client certificates; required with server.tls.client-auth want or need; reloaded on change"});
        k.put("server.tls.hsts-max-age", new String[] {"365d", "max-age of the Strict-Transport-Security header on TLS responses; 0s: no header"});
        k.put("server.request-warning-after", new String[] {"1m", "a request still unanswered after this long is logged with what it is doing"});
        k.put("storage.type", new String[] {"filesystem", "blob store backend: filesystem or s3"});
        k.put("storage.path", new String[] {"", "blob directory (filesystem); default <data-dir>/blobs"});
        k.put("storage.s3.bucket", new String[] {"", "S3 bucket of the blobs (required with storage.type s3)"});
        k.put("storage.s3.prefix", new String[] {"", "key prefix of everything Bollard keeps in the bucket"});
        k.put("storage.s3.region", new String[] {"us-east-1", "S3 region (signing region for other S3 servers)"});
        k.put("storage.s3.endpoint", new String[] {"", "S3 endpoint URL; default AWS's endpoint of the region"});
        k.put("storage.s3.path-style", new String[] {"false", "path-style addressing (bucket in the path, not the host name)"});
        k.put("storage.s3.access-key", new String[] {"", "static access key; default the AWS SDK's credential chain"});
        k.put("storage.s3.secret-key", new String[] {"", "static secret key (with storage.s3.access-key)"});
        k.put("storage.s3.part-size", new String[] {"16777216", "bytes per multipart upload part (5 MiB to 5 GiB); grows every 1,000 parts"});
        k.put("storage.s3.max-connections", new String[] {"64", "largest number of pooled HTTP connections to S3"});
        k.put("storage.s3.redirect", new String[] {"false", "answer blob GETs with a 307 to a presigned S3 URL"});
        k.put("storage.s3.redirect-expiry", new String[] {"15m", "how long a presigned blob URL stays valid"});
        k.put("database.url", new String[] {"", "JDBC URL; default an embedded H2 file under <data-dir>/db"});
        k.put("database.username", new String[] {"", "database user"});
        k.put("database.password", new String[] {"", "database password"});
        k.put("database.max-pool-size", new String[] {"16", "largest number of pooled database connections"});
        k.put("database.connection-timeout", new String[] {"10s", "longest a request waits for a database connection "
                + "before it fails with 503 (at least 250ms)"});
        k.put("uploads.path", new String[] {"", "staging directory of upload sessions; default <data-dir>/uploads"});
        k.put("uploads.expiry", new String[] {"24h", "an upload session idle this long is deleted"});
        k.put("uploads.cleanup-interval", new String[] {"10m", "how often expired upload sessions are swept"});
        k.put("registry.delete-enabled", new String[] {"true", "allow DELETE of manifests, tags and blobs"});
        k.put("registry.max-manifest-bytes", new String[] {"4194304", "largest manifest accepted on PUT"});
        k.put("registry.pull-stats-flush-interval", new String[] {"30s", "how often pulls counted in memory are added to the database's pull counts (also when the node stops)"});
        k.put("registry.max-open-uploads-per-repository", new String[] {"500", "unfinished upload sessions one repository may have; beyond, new ones get 429"});
        k.put("auth.enabled", new String[] {"true", "require credentials and check permissions (false: anyone may push)"});
        k.put("auth.anonymous-pull", new String[] {"true", "anonymous clients may pull public repositories"});
        k.put("auth.service", new String[] {"bollard", "service name of the token flow: the tokens' audience"});
        k.put("auth.issuer", new String[] {"bollard", "issuer of the tokens this registry signs"});
        k.put("auth.realm", new String[] {"", "token endpoint URL in challenges; default <scheme>://<Host>/v2/auth"});
        k.put("auth.token-expiry", new String[] {"5m", "lifetime of the bearer tokens issued"});
        k.put("auth.max-login-failures", new String[] {"10", "failed logins per user and address before a lockout"});
        k.put("auth.max-login-failures-per-address", new String[] {"100", "failed logins from one address, whatever "
                + "the user names, before password checks from it are refused for auth.lockout"});
        k.put("auth.lockout", new String[] {"15m", "how long a user is locked out from an address after too many failures"});
        k.put("auth.create-on-push", new String[] {"true", "a push may create a repository where the caller may create one"});
        k.put("auth.refresh-token-idle-timeout", new String[] {"30d", "a refresh token (docker login's identity token) unused this long is refused and deleted"});
        k.put("auth.password-cache-ttl", new String[] {"5m", "a password verified with Argon2id is not verified again for this long, unless it changes (at most 1h)"});
        k.put("auth.key-encryption-key", new String[] {"", "base64 of 32 random bytes that encrypt the token signing keys at rest; overrides the file"});
        k.put("auth.key-encryption-key-file", new String[] {"", "file holding the key-encryption key; default <data-dir>/secrets/key-encryption-key, created when absent"});
        k.put("auth.previous-key-encryption-key-files", new String[] {"", "comma-separated files of earlier key-encryption keys, while rotating"});
        k.put("auth.ldap.enabled", new String[] {"false", "users may also sign in with their LDAP / Active Directory password"});
        k.put("auth.ldap.urls", new String[] {"", "comma-separated ldap:// or ldaps:// URLs of the directory's servers, tried in order"});
        k.put("auth.ldap.bind-dn", new String[] {"", "DN of the account that searches the directory; empty: anonymous search"});
        k.put("auth.ldap.bind-password", new String[] {"", "its password (better: BOLLARD_AUTH_LDAP_BIND_PASSWORD or auth.ldap.bind-password-file); never logged"});
        k.put("auth.ldap.bind-password-file", new String[] {"", "file holding the bind password (trailing newline ignored)"});
        k.put("auth.ldap.user-base", new String[] {"", "DN under which users are searched (required with auth.ldap.enabled)"});
        k.put("auth.ldap.user-filter", new String[] {"(uid={0})", "filter finding a user, {0} the user name as typed; Active Directory: (sAMAccountName={0})"});
        k.put("auth.ldap.uid-attribute", new String[] {"uid", "attribute holding the user name (Active Directory: sAMAccountName)"});
        k.put("auth.ldap.mail-attribute", new String[] {"mail", "attribute holding the e-mail address"});
        k.put("auth.ldap.start-tls", new String[] {"false", "upgrade ldap:// connections with StartTLS"});
        k.put("auth.ldap.ca-file", new String[] {"", "PEM file of the CA certificates that sign the directory's certificate (ldaps:// and StartTLS); default the JDK's trust store"});
        k.put("auth.ldap.connect-timeout", new String[] {"5s", "how long connecting to a directory server may take"});
        k.put("auth.ldap.response-timeout", new String[] {"10s", "how long one directory operation may take"});
        k.put("auth.ldap.pool-size", new String[] {"4", "largest number of pooled directory connections"});
        k.put("auth.ldap.superuser-filter", new String[] {"", "users matching this filter too are superusers; empty: the directory does not decide (unless auth.ldap.admin-group)"});
        k.put("auth.ldap.admin-group", new String[] {"", "DN of a group whose members (nested groups followed) are superusers"});
        k.put("auth.ldap.group-member-attribute", new String[] {"member", "attribute of auth.ldap.admin-group listing its members: member, uniqueMember or memberUid"});
        k.put("auth.ldap.nested-groups", new String[] {"recursive", "how nested groups are followed: recursive (any server) or in-chain (Active Directory's LDAP_MATCHING_RULE_IN_CHAIN)"});
        k.put("auth.ldap.sync-interval", new String[] {"15m", "how often directory users' bound teams are synced (besides at each login)"});
        k.put("auth.oidc.redirect-base", new String[] {"", "external base URL of Bollard (https://registry.example.org) the OIDC providers send browsers back to; default derived from each request's scheme and Host"});
        k.put("auth.oidc.http-timeout", new String[] {"10s", "how long a request to an OIDC provider (discovery, keys, code exchange) may take"});
        k.put("auth.oidc.workload-issuers", new String[] {"", "comma-separated issuer URLs keyless robots may trust; empty: any https:// issuer (an http:// one must be listed)"});
        k.put(PROVIDER + "id", new String[] {"", "the provider's id: 1 to 32 of a-z, 0-9 and -; in URLs and team bindings, and on its users' accounts as oidc:<id>"});
        k.put(PROVIDER + "display-name", new String[] {"", "name on the sign-in button (Sign in with <name>); default the id"});
        k.put(PROVIDER + "issuer", new String[] {"", "issuer URL; discovery reads <issuer>/.well-known/openid-configuration (https://, or http:// on loopback)"});
        k.put(PROVIDER + "client-id", new String[] {"", "the client id Bollard has at the provider"});
        k.put(PROVIDER + "client-secret", new String[] {"", "its client secret (better: BOLLARD_AUTH_OIDC_PROVIDERS_N_CLIENT_SECRET or client-secret-file); never logged; empty: a public client (PKCE only)"});
        k.put(PROVIDER + "client-secret-file", new String[] {"", "file holding the client secret (trailing newline ignored)"});
        k.put(PROVIDER + "scopes", new String[] {"openid profile email", "scopes asked for, space-separated (openid is always asked); add groups where the provider needs a scope for the groups claim"});
        k.put(PROVIDER + "username-claim", new String[] {"preferred_username", "ID token claim holding the user name (the account's name; a local user of that name is linked)"});
        k.put(PROVIDER + "email-claim", new String[] {"email", "claim holding the e-mail address"});
        k.put(PROVIDER + "groups-claim", new String[] {"groups", "claim holding the user's groups (a list of strings): matched against teams' OIDC group bindings"});
        k.put(PROVIDER + "link-local-users", new String[] {"false", "true: a sign-in links the local (non-superuser) account of the same user name, which then loses its password; false: such a sign-in is refused (docs/auth.md)"});
        k.put(PROVIDER + "admin-group", new String[] {"", "a value of the groups claim that makes a user a superuser (and its absence not one); empty: the provider does not decide"});
        k.put("audit.retention", new String[] {"365d", "audit log entries older than this are pruned (the chain stays verifiable)"});
        k.put("audit.prune-interval", new String[] {"1h", "how often audit entries past audit.retention (and expired failed-login counts) are pruned; the first prune comes a minute after the start, or one interval when that is shorter"});
        k.put("audit.queue-size", new String[] {"10000", "pull events waiting for their batched write; beyond, they are dropped and counted"});
        k.put("logging.format", new String[] {"text", "log lines as text or as JSON objects, one per line (json)"});
        k.put("metrics.listen", new String[] {"", "host:port of a separate listener serving /metrics, /healthz and /readyz without credentials; default none"});
        k.put("tracing.enabled", new String[] {"false", "export OpenTelemetry traces of requests, database and storage calls"});
        k.put("tracing.endpoint", new String[] {"http://localhost:4318/v1/traces", "OTLP/HTTP traces endpoint"});
        k.put("tracing.sample-ratio", new String[] {"1.0", "share of new traces recorded, 0.0 to 1.0"});
        k.put("gc.enabled", new String[] {"true", "run the online garbage collector in the background"});
        k.put("gc.interval", new String[] {"1h", "how often the garbage collector runs"});
        k.put("gc.grace-period", new String[] {"24h", "unreferenced blobs, links and untagged manifests are kept this long"});
        k.put("history.window", new String[] {"14d", "default time-machine window: tag history restorable and protected from GC"});
        k.put("retention.interval", new String[] {"1h", "how often retention policies are applied"});
        k.put("proxy.eviction-interval", new String[] {"5m", "how often the proxy cache's eviction runs (one node at a time; organizations with cache_max_bytes or cache_expiry_days)"});
        k.put("proxy.eviction-recently-pulled", new String[] {"10m", "a proxied image pulled this recently is never evicted (a client may still be pulling its layers)"});
        k.put("proxy.upstream-timeout", new String[] {"30s", "how long an upstream registry (of a proxy organization or a mirror) may take to answer a request, and a blob body may stall, before the request fails"});
        k.put("mirror.sync-lease", new String[] {"2m", "a mirror sync's lease (one node at a time), renewed after each blob and tag: a node killed mid-sync holds that mirror up this long"});
        k.put("workers.min-lease", new String[] {"1m", "shortest lease of a turn of gc, retention or the vulnerability data refresh (one node at a time); a node killed in a turn holds them up this long"});
        k.put("ui.enabled", new String[] {"true", "serve the web UI at / (needs auth.enabled)"});
        k.put("ui.session-idle-timeout", new String[] {"1h", "a web UI sign-in ends after this long without a request"});
        k.put("ui.session-max-age", new String[] {"12h", "a web UI sign-in ends this long after it began, however used"});
        k.put("events.poll-interval", new String[] {"1s", "how often new changes are published as events and due webhook deliveries sent"});
        k.put("events.retention", new String[] {"7d", "events and webhook delivery attempts older than this are deleted"});
        k.put("events.webhooks.max-attempts", new String[] {"8", "attempts to deliver one event to a webhook before giving up on it"});
        k.put("events.webhooks.first-retry", new String[] {"10s", "wait after a webhook's first failed attempt; doubled after each further one"});
        k.put("events.webhooks.max-retry", new String[] {"1h", "longest wait between two attempts of one delivery"});
        k.put("events.webhooks.disable-after-failures", new String[] {"50", "failed attempts in a row after which a webhook is disabled"});
        k.put("events.webhooks.allow-private-targets", new String[] {"false", "allow webhook URLs on loopback, link-local and private addresses (refused by default: SSRF)"});
        k.put("events.watch.poll-interval", new String[] {"250ms", "how often a node with watchers (GET /api/v1/events?watch=true) looks for events published by other nodes"});
        k.put("events.watch.heartbeat", new String[] {"15s", "interval of the comment lines a watch stream sends while no event comes, so proxies keep the connection"});
        k.put("notifications.smtp.host", new String[] {"", "SMTP server of e-mail notifications (webhooks with method email); empty: e-mail off"});
        k.put("notifications.smtp.port", new String[] {"587", "its port (465 for security tls, 25 for relays without submission)"});
        k.put("notifications.smtp.security", new String[] {"starttls", "starttls (a plain connection upgraded, refused if the server cannot), tls (TLS from the start) or none"});
        k.put("notifications.smtp.username", new String[] {"", "user of SMTP AUTH; empty: no AUTH"});
        k.put("notifications.smtp.password", new String[] {"", "its password (better: BOLLARD_NOTIFICATIONS_SMTP_PASSWORD or notifications.smtp.password-file); never logged"});
        k.put("notifications.smtp.password-file", new String[] {"", "file holding the SMTP password (trailing newline ignored)"});
        k.put("notifications.smtp.from", new String[] {"", "the From address, e.g. Bollard <registry@example.com> (required with notifications.smtp.host)"});
        k.put("notifications.smtp.timeout", new String[] {"10s", "how long connecting to the SMTP server, and each command, may take"});
        k.put("notifications.smtp.batch-window", new String[] {"1m", "events of one e-mail webhook within this long of the first go in one message"});
        k.put("notifications.smtp.ca-file", new String[] {"", "PEM file of the CA certificates that sign the SMTP server's certificate; default the JDK's trust store"});
        k.put("notifications.smtp.subject-template", new String[] {"[Bollard] {summary}", "subject of a notification; placeholders {summary} {count} {repositories} {webhook} {scope}"});
        k.put("notifications.smtp.body-template", new String[] {"", "text of a notification, placeholders as the subject's and {events} (one line per event); empty: the built-in one"});
        k.put("scan.vulndb.urls", new String[] {"", "comma-separated http(s) URLs of OSV vulnerability data (zip archives or JSON files) refreshed in the background; none: fed only by bollard vulndb import"});
        k.put("scan.vulndb.refresh-interval", new String[] {"6h", "how often the vulnerability data is refreshed from scan.vulndb.urls"});
        k.put("scan.on-push", new String[] {"true", "scan each pushed image (each platform of an index) in the background"});
        k.put("scan.poll-interval", new String[] {"2s", "how often each node looks for queued scans"});
        k.put("scan.rematch-interval", new String[] {"1m", "how often stored results are checked against newly imported vulnerability data (and matched again)"});
        k.put("scan.sbom-referrers", new String[] {"true", "store each scanned image's SBOMs (CycloneDX, SPDX) as OCI referrers of it"});
        k.put("scan.adapters.registry-url", new String[] {"", "the URL at which external scanner adapters pull images from this registry; empty: http(s)://HOST:PORT of server.listen (localhost for a wildcard address)"});
        k.put("scan.adapters.timeout", new String[] {"30s", "how long each request to an external scanner adapter may take"});
        KEYS = Collections.unmodifiableMap(k);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");


    private ConfigLoader() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects configuration sources; later sources override earlier ones. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Map<String, String> sources = new LinkedHashMap<>();
        /** Problems found while reading the sources (unknown keys), reported by {@link #load()} with the others. */
        private final List<String> sourceProblems = new ArrayList<>();

        private Builder() {
            KEYS.forEach((key, meta) -> values.put(key, meta[0]));
        }

        /** Reads a YAML file of nested keys; what is wrong in it is reported by {@link #load()}, with the rest. */
        public Builder file(Path file) {
            JsonNode root;
            try {
                root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
            } catch (NoSuchFileException e) {
                throw new ConfigException("the configuration file " + file + " does not exist", e);
            } catch (JsonProcessingException e) {
                // The parser's message quotes the file around the problem over several lines; keep the words.
                String what = String.join("; ", String.valueOf(e.getOriginalMessage()).lines().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("in 'reader'") && !l.equals("^")).distinct().toList());
                throw new ConfigException(file + " is not valid YAML" + (e.getLocation() == null ? "" : " (line "
                        + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")") + ": " + what, e);
            } catch (IOException e) {
                throw new ConfigException("cannot read the configuration file " + file + ": " + e, e);
            }
            if (root == null || root.isMissingNode() || root.isNull()) {
                return this;
            }
            if (!root.isObject()) {
                throw new ConfigException(file + ": the configuration must be a YAML mapping of keys to values");
            }
            flatten("", root, file.toString());
            return this;
        }

        private void flatten(String prefix, JsonNode node, String source) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String key = prefix + e.getKey();
                if (e.getValue().isObject()) {
                    flatten(key + ".", e.getValue(), source);
                } else if (e.getValue().isArray() && key.equals("auth.oidc.providers")) {
                    for (int i = 0; i < e.getValue().size(); i++) {
                        if (!e.getValue().get(i).isObject()) {
                            sourceProblems.add(source + ": each entry of auth.oidc.providers must be a mapping of its keys");
                        } else {
                            flatten(key + "[" + i + "].", e.getValue().get(i), source);
                        }
                    }
                } else if (e.getValue().isNull() && isSection(key)) {
                    // "database:" with every entry below it commented out: an empty section, not a key
                } else if (e.getValue().isContainerNode()) {
                    sourceProblems.add(source + ": " + key + " must be a single value");
                } else {
                    put(key, e.getValue().isNull() ? "" : e.getValue().asText(), source);
                }
            }
        }

        private static boolean isSection(String prefix) {
            return KEYS.keySet().stream().anyMatch(k -> k.startsWith(prefix + ".") || k.startsWith(prefix + "["));
        }

        /** Applies {@code BOLLARD_*} variables: {@code BOLLARD_DATABASE_MAX_POOL_SIZE} sets {@code database.max-pool-size}. */
        public Builder environment(Map<String, String> env) {
            for (String key : KEYS.keySet()) {
                String value = env.get(environmentName(key));
                if (value != null) {
                    put(key, value, "environment " + environmentName(key));
                }
            }
            env.forEach((name, value) -> {
                Matcher m = PROVIDER_ENV.matcher(name);
                if (m.matches()) {
                    String key = KEYS.keySet().stream().filter(k -> k.startsWith(PROVIDER)
                                    && environmentName(k.substring(PROVIDER.length())).equals("BOLLARD_" + m.group(2)))
                            .findFirst().map(k -> "auth.oidc.providers[" + m.group(1) + "]." + k.substring(PROVIDER.length()))
                            .orElse("auth.oidc.providers[" + m.group(1) + "]." + m.group(2).toLowerCase(Locale.ROOT));
                    put(key, value, "environment " + name);
                }
            });
            return this;
        }

        public Builder set(String key, String value) {
            put(key, value, "command line");
            return this;
        }

        private void put(String key, String value, String source) {
            if (value.indexOf('\0') >= 0) {
                // No setting can hold a NUL (not a path, a URL, a password PostgreSQL takes, an environment value), and
                // Path.of refused it with an exception of its own rather than this error (ConfigLoaderPropertiesTest).
                sourceProblems.add(source + ": " + key + " holds a NUL character");
                return;
            }
            Matcher provider = PROVIDER_KEY.matcher(key);
            if (provider.matches() && KEYS.containsKey(PROVIDER + provider.group(2))) {
                values.put(key, value);
                sources.put(key, source);
                return;
            }
            if (!KEYS.containsKey(key)) {
                String closest = closestKey(key);
                String section = key.contains(".") ? key.substring(0, key.lastIndexOf('.') + 1) : "";
                List<String> siblings = KEYS.keySet().stream().filter(k -> !section.isEmpty() && k.startsWith(section))
                        .toList();
                sourceProblems.add(source + ": unknown configuration key '" + key + "' (" + (closest != null
                        ? "did you mean " + closest + "?" : !siblings.isEmpty() ? "the keys under "
                        + section.substring(0, section.length() - 1) + " are " + String.join(", ", siblings)
                        : "docs/configuration.md lists the keys") + ")");
                return;
            }
            values.put(key, value);
            sources.put(key, source);
        }

        /** Validates and returns the configuration; every problem found is reported at once. */
        public BollardConfig load() {
            List<String> problems = new ArrayList<>(sourceProblems);
            Path dataDir = Path.of(text("data-dir", problems, true)).toAbsolutePath().normalize();

            String listen = text("server.listen", problems, true);
            String host = "127.0.0.1";
            int port = 5000;
            String[] hostPort = splitHostPort(listen);
            if (hostPort == null) {
                problems.add(describe("server.listen") + " must be host:port, e.g. 127.0.0.1:5000, with an IPv6 "
                        + "address in brackets, e.g. [::1]:5000, not '" + listen + "'");
            } else {
                host = hostPort[0];
                port = integer("server.listen", hostPort[1], 0, 65535, problems);
            }

            boolean allowPlainHttp = bool("server.allow-plain-http", problems);
            BollardConfig.Tls tls = tls(problems);
            if (hostPort != null && !tls.enabled() && !allowPlainHttp && !BollardConfig.Server.isLoopback(host)) {
                problems.add(describe("server.listen") + " " + listen + " is not a loopback address, and plain HTTP "
                        + "there would carry passwords, tokens and images unencrypted: serve TLS with "
                        + "server.tls.certificate and server.tls.private-key (or server.tls.pkcs12; docs/tls.md), or, "
                        + "when a TLS-terminating proxy is in front, set server.allow-plain-http: true "
                        + "(BOLLARD_SERVER_ALLOW_PLAIN_HTTP=true)");
            }

            String storageType = text("storage.type", problems, true);
            if (!storageType.equals("filesystem") && !storageType.equals("s3")) {
                problems.add(describe("storage.type") + " '" + storageType + "' is not supported (filesystem, s3)");
            }
            Path storagePath = pathOr("storage.path", dataDir.resolve("blobs"));
            BollardConfig.S3 s3 = s3(storageType.equals("s3"), problems);

            String dbUrl = value("database.url");
            if (dbUrl.isEmpty()) {
                dbUrl = "jdbc:h2:file:" + dataDir.resolve("db").resolve("bollard");
            } else if (!dbUrl.startsWith("jdbc:h2:") && !dbUrl.startsWith("jdbc:postgresql:")) {
                problems.add(describe("database.url") + " must be a jdbc:h2: or jdbc:postgresql: URL");
            }
            int pool = integer("database.max-pool-size", value("database.max-pool-size"), 1, 1000, problems);
            Duration connectionTimeout = duration("database.connection-timeout", problems);
            if (connectionTimeout.toMillis() < 250) { // HikariCP's least
                problems.add(describe("database.connection-timeout") + " must be at least 250ms");
            }

            Path staging = pathOr("uploads.path", dataDir.resolve("uploads"));
            Duration expiry = duration("uploads.expiry", problems);
            Duration cleanup = duration("uploads.cleanup-interval", problems);

            boolean deleteEnabled = bool("registry.delete-enabled", problems);
            long maxManifest = integer("registry.max-manifest-bytes", value("registry.max-manifest-bytes"),
                    1024, 64 * 1024 * 1024, problems);

            boolean authEnabled = bool("auth.enabled", problems);
            boolean anonymousPull = bool("auth.anonymous-pull", problems);
            String service = text("auth.service", problems, true);
            String issuer = text("auth.issuer", problems, true);
            String realm = text("auth.realm", problems, false);
            if (!realm.isEmpty() && !realm.startsWith("http://") && !realm.startsWith("https://")) {
                problems.add(describe("auth.realm") + " must be an http:// or https:// URL, not '" + realm + "'");
            }
            Duration tokenExpiry = duration("auth.token-expiry", problems);
            if (tokenExpiry.compareTo(Duration.ofHours(1)) > 0) {
                problems.add(describe("auth.token-expiry") + " must be at most 1h, not " + value("auth.token-expiry"));
            }
            int maxFailures = integer("auth.max-login-failures", value("auth.max-login-failures"), 1, 1_000_000, problems);
            int maxFailuresPerAddress = integer("auth.max-login-failures-per-address",
                    value("auth.max-login-failures-per-address"), 1, 1_000_000, problems);
            Duration lockout = duration("auth.lockout", problems);
            boolean createOnPush = bool("auth.create-on-push", problems);
            Duration refreshIdle = duration("auth.refresh-token-idle-timeout", problems);
            Duration passwordCacheTtl = duration("auth.password-cache-ttl", problems);
            if (passwordCacheTtl.compareTo(Duration.ofHours(1)) > 0) {
                problems.add(describe("auth.password-cache-ttl") + " must be at most 1h, not "
                        + value("auth.password-cache-ttl"));
            }
            BollardConfig.KeyEncryption keyEncryption = keyEncryption(dataDir, problems);
            BollardConfig.Ldap ldap = ldap(problems);
            BollardConfig.Oidc oidc = oidc(problems);
            Duration retention = duration("audit.retention", problems);
            int queueSize = integer("audit.queue-size", value("audit.queue-size"), 1, 10_000_000, problems);
            Duration pruneInterval = duration("audit.prune-interval", problems);

            String logFormat = text("logging.format", problems, true);
            if (!logFormat.equals("text") && !logFormat.equals("json")) {
                problems.add(describe("logging.format") + " must be text or json, not '" + logFormat + "'");
            }
            String metricsHost = "";
            int metricsPort = -1;
            String metricsListen = value("metrics.listen").trim();
            if (!metricsListen.isEmpty()) {
                String[] hp = splitHostPort(metricsListen);
                if (hp == null) {
                    problems.add(describe("metrics.listen") + " must be host:port, e.g. 0.0.0.0:9091, not '"
                            + metricsListen + "'");
                } else {
                    metricsHost = hp[0];
                    metricsPort = integer("metrics.listen", hp[1], 0, 65535, problems);
                }
            }
            boolean tracing = bool("tracing.enabled", problems);
            String tracingEndpoint = text("tracing.endpoint", tracing ? problems : new ArrayList<>(), true);
            if (tracing && !tracingEndpoint.matches("https?://\\S+")) {
                problems.add(describe("tracing.endpoint") + " must be an http:// or https:// URL, not '"
                        + tracingEndpoint + "'");
            }
            double sampleRatio = 1.0;
            try {
                sampleRatio = Double.parseDouble(value("tracing.sample-ratio").trim());
            } catch (NumberFormatException e) {
                sampleRatio = Double.NaN;
            }
            if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
                problems.add(describe("tracing.sample-ratio") + " must be a number from 0.0 to 1.0, not '"
                        + value("tracing.sample-ratio") + "'");
            }
            boolean gcEnabled = bool("gc.enabled", problems);
            Duration gcInterval = duration("gc.interval", problems);
            Duration grace = duration("gc.grace-period", problems);
            Duration window = duration("history.window", problems);
            Duration retentionInterval = duration("retention.interval", problems);
            Duration minLease = duration("workers.min-lease", problems);
            Duration proxyEviction = duration("proxy.eviction-interval", problems);
            Duration proxyRecent = duration("proxy.eviction-recently-pulled", problems);
            Duration upstreamTimeout = duration("proxy.upstream-timeout", problems);
            Duration mirrorLease = duration("mirror.sync-lease", problems);
            boolean uiEnabled = bool("ui.enabled", problems);
            Duration sessionIdle = duration("ui.session-idle-timeout", problems);
            Duration sessionMax = duration("ui.session-max-age", problems);
            Duration eventPoll = duration("events.poll-interval", problems);
            Duration eventRetention = duration("events.retention", problems);
            int maxAttempts = integer("events.webhooks.max-attempts", value("events.webhooks.max-attempts"), 1, 100,
                    problems);
            Duration firstRetry = duration("events.webhooks.first-retry", problems);
            Duration maxRetry = duration("events.webhooks.max-retry", problems);
            int disableAfter = integer("events.webhooks.disable-after-failures",
                    value("events.webhooks.disable-after-failures"), 1, 1_000_000, problems);
            boolean allowPrivate = bool("events.webhooks.allow-private-targets", problems);
            Duration watchPoll = duration("events.watch.poll-interval", problems);
            Duration watchHeartbeat = duration("events.watch.heartbeat", problems);
            BollardConfig.Smtp smtp = smtp(problems);

            List<java.net.URI> vulndbUrls = new ArrayList<>();
            for (String url : value("scan.vulndb.urls").split(",", -1)) {
                if (url.isBlank()) {
                    continue;
                }
                try {
                    java.net.URI uri = new java.net.URI(url.strip());
                    if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
                        throw new java.net.URISyntaxException(url.strip(), "not an http:// or https:// URL");
                    }
                    vulndbUrls.add(uri);
                } catch (java.net.URISyntaxException e) {
                    problems.add(describe("scan.vulndb.urls") + " must be http:// or https:// URLs, not '" + url.strip()
                            + "'");
                }
            }
            Duration vulndbRefresh = duration("scan.vulndb.refresh-interval", problems);
            boolean scanOnPush = bool("scan.on-push", problems);
            Duration scanPoll = duration("scan.poll-interval", problems);
            Duration rematch = duration("scan.rematch-interval", problems);
            boolean sbomReferrers = bool("scan.sbom-referrers", problems);
            String adapterRegistryUrl = value("scan.adapters.registry-url").strip();
            if (!adapterRegistryUrl.isEmpty() && !adapterRegistryUrl.matches("https?://[^/\\s]+/?")) {
                problems.add(describe("scan.adapters.registry-url") + " must be an http:// or https:// URL of a host "
                        + "(and port), not '" + adapterRegistryUrl + "'");
            }
            Duration adapterTimeout = duration("scan.adapters.timeout", problems);
            // Read before the check below: read in the constructor's arguments, their problems came after it and a
            // value such as "abc" was taken silently as the fallback (found by ConfigLoaderPropertiesTest).
            Duration requestWarning = duration("server.request-warning-after", problems);
            int maxOpenUploads = integer("registry.max-open-uploads-per-repository",
                    value("registry.max-open-uploads-per-repository"), 1, 1_000_000, problems);
            Duration pullStatsFlush = duration("registry.pull-stats-flush-interval", problems);

            if (!problems.isEmpty()) {
                throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", problems));
            }
            return new BollardConfig(dataDir,
                    new BollardConfig.Server(host, port, requestWarning, tls, allowPlainHttp),
                    new BollardConfig.Storage(storageType, storagePath, s3),
                    new BollardConfig.Database(dbUrl, value("database.username"), value("database.password"), pool,
                            connectionTimeout),
                    new BollardConfig.Uploads(staging, expiry, cleanup),
                    new BollardConfig.Registry(deleteEnabled, maxManifest, maxOpenUploads, pullStatsFlush),
                    new BollardConfig.Auth(authEnabled, anonymousPull, service, issuer, realm, tokenExpiry, maxFailures,
                            maxFailuresPerAddress, lockout, createOnPush, refreshIdle, passwordCacheTtl, keyEncryption,
                            ldap, oidc),
                    new BollardConfig.Audit(retention, queueSize, pruneInterval),
                    new BollardConfig.Telemetry(logFormat, tracing, tracingEndpoint, sampleRatio, metricsHost,
                            metricsPort),
                    new BollardConfig.Lifecycle(gcEnabled, gcInterval, grace, window, retentionInterval, minLease,
                            proxyEviction, proxyRecent, upstreamTimeout, mirrorLease),
                    new BollardConfig.Ui(uiEnabled, sessionIdle, sessionMax),
                    new BollardConfig.Events(eventPoll, eventRetention, maxAttempts, firstRetry, maxRetry, disableAfter,
                            allowPrivate, watchPoll, watchHeartbeat, smtp),
                    new BollardConfig.Scan(vulndbUrls, vulndbRefresh, scanOnPush, scanPoll, rematch, sbomReferrers,
                            adapterRegistryUrl.replaceAll("/$", ""), adapterTimeout));
        }

        /** The SMTP server of e-mail notifications; checked only when a host is set. */
        private BollardConfig.Smtp smtp(List<String> problems) {
            String host = value("notifications.smtp.host").strip();
            List<String> found = host.isEmpty() ? new ArrayList<>() : problems;
            int port = integer("notifications.smtp.port", value("notifications.smtp.port"), 1, 65535, found);
            String security = value("notifications.smtp.security").strip();
            if (!List.of("starttls", "tls", "none").contains(security)) {
                found.add(describe("notifications.smtp.security") + " must be starttls, tls or none, not '" + security
                        + "'");
            }
            String password = secret("notifications.smtp.password", found);
            String username = value("notifications.smtp.username").strip();
            if (!username.isEmpty() && password.isEmpty()) {
                found.add("notifications.smtp.username needs a password (notifications.smtp.password, "
                        + "BOLLARD_NOTIFICATIONS_SMTP_PASSWORD or notifications.smtp.password-file)");
            }
            String from = value("notifications.smtp.from").strip();
            if (!host.isEmpty() && from.isEmpty()) {
                found.add(describe("notifications.smtp.from") + " must be set when notifications.smtp.host is");
            }
            Path caFile = optionalPath("notifications.smtp.ca-file");
            if (caFile != null && !Files.isReadable(caFile)) {
                found.add(describe("notifications.smtp.ca-file") + " cannot be read: " + caFile);
            }
            String subject = value("notifications.smtp.subject-template");
            String body = value("notifications.smtp.body-template");
            List<String> fields = List.of("summary", "count", "repositories", "webhook", "scope");
            checkPlaceholders("notifications.smtp.subject-template", subject, fields, found);
            checkPlaceholders("notifications.smtp.body-template", body,
                    java.util.stream.Stream.concat(fields.stream(), java.util.stream.Stream.of("events")).toList(), found);
            return new BollardConfig.Smtp(host, port, security, username, password, from,
                    duration("notifications.smtp.timeout", found), duration("notifications.smtp.batch-window", found),
                    caFile, subject.isBlank() ? BollardConfig.Smtp.DEFAULT_SUBJECT : subject,
                    body.isBlank() ? BollardConfig.Smtp.DEFAULT_BODY : body);
        }

        /** A password: the value of {@code key}, or the content of the file {@code key-file} names (stripped). */
        private String secret(String key, List<String> problems) {
            String file = value(key + "-file").trim();
            if (file.isEmpty()) {
                return value(key);
            }
            try {
                return Files.readString(Path.of(file)).strip();
            } catch (IOException e) {
                problems.add(describe(key + "-file") + " cannot be read: " + e);
                return "";
            }
        }

        /** A template's {@code {name}} placeholders must be among {@code known}: a typo is found at start. */
        private void checkPlaceholders(String key, String template, List<String> known, List<String> problems) {
            Matcher m = Pattern.compile("\\{([A-Za-z_-]*)}").matcher(template);
            while (m.find()) {
                if (!known.contains(m.group(1))) {
                    problems.add(describe(key) + " has the unknown placeholder {" + m.group(1) + "}; known: "
                            + known.stream().map(k -> "{" + k + "}").toList());
                }
            }
        }

        /** The directory's settings; checked only when it is enabled. */
        private BollardConfig.Ldap ldap(List<String> problems) {
            boolean enabled = bool("auth.ldap.enabled", problems);
            List<String> found = enabled ? problems : new ArrayList<>();
            List<String> urls = new ArrayList<>();
            for (String url : value("auth.ldap.urls").split(",", -1)) {
                String u = url.trim();
                if (u.isEmpty()) {
                    continue;
                }
                if (!u.matches("ldaps?://[^/\\s]+/?")) {
                    found.add(describe("auth.ldap.urls") + " must hold ldap://host:port or ldaps://host:port URLs, not '"
                            + u + "'");
                }
                urls.add(u);
            }
            if (urls.isEmpty()) {
                found.add(describe("auth.ldap.urls") + " must name at least one server when auth.ldap.enabled is true");
            }
            String password = secret("auth.ldap.bind-password", found);
            String bindDn = text("auth.ldap.bind-dn", found, false);
            if (!bindDn.isEmpty() && password.isEmpty()) {
                found.add("auth.ldap.bind-dn needs a password (auth.ldap.bind-password, BOLLARD_AUTH_LDAP_BIND_PASSWORD "
                        + "or auth.ldap.bind-password-file)");
            }
            String userBase = text("auth.ldap.user-base", found, false);
            if (userBase.isEmpty()) {
                found.add(describe("auth.ldap.user-base") + " must name the DN under which users are searched");
            }
            String userFilter = text("auth.ldap.user-filter", found, true);
            if (!userFilter.contains("{0}")) {
                found.add(describe("auth.ldap.user-filter") + " must contain {0} (the user name), not '" + userFilter
                        + "'");
            }
            String memberAttribute = text("auth.ldap.group-member-attribute", found, true);
            if (!List.of("member", "uniqueMember", "memberUid").contains(memberAttribute)) {
                found.add(describe("auth.ldap.group-member-attribute") + " must be member, uniqueMember or memberUid");
            }
            String nested = text("auth.ldap.nested-groups", found, true);
            if (!nested.equals("recursive") && !nested.equals("in-chain")) {
                found.add(describe("auth.ldap.nested-groups") + " must be recursive or in-chain, not '" + nested + "'");
            }
            String caFile = value("auth.ldap.ca-file").trim();
            if (!caFile.isEmpty() && !Files.isReadable(Path.of(caFile))) {
                found.add(describe("auth.ldap.ca-file") + " cannot be read: " + caFile);
            }
            return new BollardConfig.Ldap(enabled, urls, bindDn, password, userBase, userFilter,
                    text("auth.ldap.uid-attribute", found, true), text("auth.ldap.mail-attribute", found, true),
                    bool("auth.ldap.start-tls", found), caFile.isEmpty() ? Path.of("") : Path.of(caFile).toAbsolutePath(),
                    duration("auth.ldap.connect-timeout", found), duration("auth.ldap.response-timeout", found),
                    integer("auth.ldap.pool-size", value("auth.ldap.pool-size"), 1, 1000, found),
                    text("auth.ldap.superuser-filter", found, false), text("auth.ldap.admin-group", found, false),
                    memberAttribute, nested, duration("auth.ldap.sync-interval", found));
        }

        /** The OIDC providers ({@code auth.oidc.providers[N].*}, numbered from 0 without gaps) and workload issuers. */
        private BollardConfig.Oidc oidc(List<String> problems) {
            List<BollardConfig.OidcProvider> providers = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; values.containsKey("auth.oidc.providers[" + i + "].issuer")
                    || values.containsKey("auth.oidc.providers[" + i + "].id"); i++) {
                String p = "auth.oidc.providers[" + i + "].";
                String id = providerText(p + "id", problems, true);
                if (!id.matches("[a-z0-9][a-z0-9-]{0,31}")) {
                    problems.add(describe(p + "id") + " must be 1 to 32 of a-z, 0-9 and -, not '" + id + "'");
                } else if (ids.contains(id)) {
                    problems.add(describe(p + "id") + " '" + id + "' names two providers");
                }
                ids.add(id);
                String issuer = providerText(p + "issuer", problems, true);
                if (!issuerUrl(issuer, false)) {
                    problems.add(describe(p + "issuer") + " must be an https:// URL (http:// only on loopback), not '"
                            + issuer + "'");
                }
                String secret = providerValue(p + "client-secret");
                String secretFile = providerValue(p + "client-secret-file").trim();
                if (!secretFile.isEmpty()) {
                    try {
                        secret = Files.readString(Path.of(secretFile)).strip();
                    } catch (IOException e) {
                        problems.add(describe(p + "client-secret-file") + " cannot be read: " + e);
                    }
                }
                List<String> scopes = new ArrayList<>(List.of("openid"));
                for (String scope : providerValue(p + "scopes").trim().split("[\\s,]+", -1)) {
                    if (!scope.isEmpty() && !scopes.contains(scope)) {
                        scopes.add(scope);
                    }
                }
                String display = providerText(p + "display-name", problems, false);
                providers.add(new BollardConfig.OidcProvider(id, display.isEmpty() ? id : display, issuer,
                        providerText(p + "client-id", problems, true), secret, scopes,
                        providerText(p + "username-claim", problems, true), providerText(p + "email-claim", problems, true),
                        providerText(p + "groups-claim", problems, true), providerText(p + "admin-group", problems, false),
                        providerBool(p + "link-local-users", problems)));
            }
            values.keySet().stream().map(PROVIDER_KEY::matcher).filter(Matcher::matches)
                    .filter(m -> Integer.parseInt(m.group(1)) >= providers.size()).findFirst()
                    .ifPresent(m -> problems.add(describe(m.group()) + ": providers are numbered from 0 without gaps, "
                            + "and each needs an id and an issuer"));
            List<String> issuers = new ArrayList<>();
            for (String issuer : value("auth.oidc.workload-issuers").split(",", -1)) {
                if (!issuer.isBlank()) {
                    if (!issuerUrl(issuer.trim(), true)) {
                        problems.add(describe("auth.oidc.workload-issuers") + " must hold http(s):// issuer URLs, not '"
                                + issuer.trim() + "'");
                    }
                    issuers.add(issuer.trim());
                }
            }
            String base = text("auth.oidc.redirect-base", problems, false).replaceAll("/+$", "");
            if (!base.isEmpty() && !base.matches("https?://[^/\\s]+(/[^\\s]*)?")) {
                problems.add(describe("auth.oidc.redirect-base") + " must be an http:// or https:// URL, not '" + base + "'");
            }
            return new BollardConfig.Oidc(providers, base, issuers, duration("auth.oidc.http-timeout", problems));
        }

        /** An issuer URL: https://, or http:// on a loopback host (or anywhere when {@code anyHttp}). */
        private static boolean issuerUrl(String url, boolean anyHttp) {
            try {
                java.net.URI uri = new java.net.URI(url);
                if (uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
                    return false;
                }
                return "https".equals(uri.getScheme()) || ("http".equals(uri.getScheme())
                        && (anyHttp || BollardConfig.Server.isLoopback(uri.getHost())));
            } catch (java.net.URISyntaxException e) {
                return false;
            }
        }

        private String providerValue(String key) {
            Matcher m = PROVIDER_KEY.matcher(key);
            String template = m.matches() ? PROVIDER + m.group(2) : key;
            return values.getOrDefault(key, defaultOf(template));
        }

        private boolean providerBool(String key, List<String> problems) {
            String v = providerValue(key).trim().toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                problems.add(describe(key) + " must be true or false, not '" + providerValue(key) + "'");
            }
            return v.equals("true");
        }

        private String providerText(String key, List<String> problems, boolean required) {
            String v = providerValue(key).trim();
            if (required && v.isEmpty()) {
                problems.add(describe(key) + " must not be empty");
            }
            return v;
        }

        private BollardConfig.KeyEncryption keyEncryption(Path dataDir, List<String> problems) {
            String key = value("auth.key-encryption-key").trim();
            if (!key.isEmpty()) {
                byte[] bytes = null;
                try {
                    bytes = Base64.getDecoder().decode(key);
                } catch (IllegalArgumentException e) {
                    // reported below
                }
                if (bytes == null || bytes.length != 32) { // the value is secret: never echo it
                    problems.add(describe("auth.key-encryption-key")
                            + " must be the base64 form of 32 random bytes (openssl rand -base64 32)");
                }
            }
            boolean defaultFile = value("auth.key-encryption-key-file").isBlank();
            Path file = pathOr("auth.key-encryption-key-file", dataDir.resolve("secrets").resolve("key-encryption-key"));
            List<Path> previous = new ArrayList<>();
            for (String name : value("auth.previous-key-encryption-key-files").split(",", -1)) {
                if (!name.isBlank()) {
                    previous.add(Path.of(name.trim()));
                }
            }
            return new BollardConfig.KeyEncryption(key, file, defaultFile, previous);
        }

        /**
         * The TLS settings: PEM files or a PKCS#12 file, not both. Only presence is checked here; the files' content
         * is read when the server starts (and by {@code bollard config check}).
         */
        private BollardConfig.Tls tls(List<String> problems) {
            Path certificate = optionalPath("server.tls.certificate");
            Path privateKey = optionalPath("server.tls.private-key");
            Path pkcs12 = optionalPath("server.tls.pkcs12");
            String password = value("server.tls.pkcs12-password");
            Path passwordFile = optionalPath("server.tls.pkcs12-password-file");
            if (pkcs12 != null && (certificate != null || privateKey != null)) {
                problems.add("server.tls.pkcs12 and server.tls.certificate/server.tls.private-key are two ways to give "
                        + "the key and certificate: set one of them");
            } else if ((certificate == null) != (privateKey == null)) {
                problems.add("server.tls.certificate and server.tls.private-key must be set together (the PEM "
                        + "certificate chain and its private key)");
            }
            if (!password.isEmpty() && passwordFile != null) {
                problems.add("give the PKCS#12 password once: server.tls.pkcs12-password or "
                        + "server.tls.pkcs12-password-file, not both");
            }
            if (pkcs12 == null && (!password.isEmpty() || passwordFile != null)) {
                problems.add("a PKCS#12 password is set but server.tls.pkcs12 is not");
            }
            for (String key : List.of("server.tls.certificate", "server.tls.private-key", "server.tls.pkcs12",
                    "server.tls.pkcs12-password-file")) {
                Path p = optionalPath(key);
                if (p != null && !Files.isReadable(p)) {
                    problems.add(describe(key) + " " + p + (Files.exists(p) ? " is not readable" : " does not exist"));
                }
            }
            Duration reload = duration("server.tls.reload-interval", problems);
            Duration hsts = Duration.ZERO;
            try {
                hsts = parseDuration(value("server.tls.hsts-max-age"));
            } catch (IllegalArgumentException e) {
                problems.add(describe("server.tls.hsts-max-age") + " must be a duration such as 180d or 365d, or 0s "
                        + "for no HSTS header, not '" + value("server.tls.hsts-max-age") + "'");
            }
            String clientAuth = value("server.tls.client-auth").trim().toLowerCase(Locale.ROOT);
            Path clientCa = optionalPath("server.tls.client-ca");
            if (!List.of("none", "want", "need").contains(clientAuth)) {
                problems.add(describe("server.tls.client-auth") + " must be none, want or need, not '"
                        + value("server.tls.client-auth") + "'");
            } else if (!clientAuth.equals("none") && clientCa == null) {
                problems.add("server.tls.client-auth " + clientAuth + " needs server.tls.client-ca: the PEM file of the "
                        + "CA certificates client certificates are verified against");
            } else if (!clientAuth.equals("none") && certificate == null && pkcs12 == null) {
                problems.add("server.tls.client-auth " + clientAuth + " needs TLS: set server.tls.certificate and "
                        + "server.tls.private-key (or server.tls.pkcs12)");
            }
            if (clientCa != null && !Files.isReadable(clientCa)) {
                problems.add(describe("server.tls.client-ca") + " " + clientCa
                        + (Files.exists(clientCa) ? " is not readable" : " does not exist"));
            }
            return new BollardConfig.Tls(certificate, privateKey, pkcs12, password, passwordFile, reload, hsts,
                    clientAuth, clientCa);
        }

        private @Nullable Path optionalPath(String key) {
            String v = value(key).trim();
            return v.isEmpty() ? null : Path.of(v).toAbsolutePath().normalize();
        }

        /** The S3 settings; checked only when S3 is the store ({@code required}). */
        private BollardConfig.S3 s3(boolean required, List<String> problems) {
            List<String> found = required ? problems : new ArrayList<>();
            String bucket = text("storage.s3.bucket", found, false);
            if (bucket.isEmpty()) {
                found.add(describe("storage.s3.bucket") + " must name the bucket when storage.type is s3");
            }
            String prefix = text("storage.s3.prefix", found, false);
            if (!prefix.isEmpty() && !prefix.endsWith("/")) {
                prefix += "/";
            }
            String region = text("storage.s3.region", found, true);
            String endpoint = text("storage.s3.endpoint", found, false);
            if (!endpoint.isEmpty() && !endpoint.matches("https?://[^/\\s]+/?")) {
                found.add(describe("storage.s3.endpoint") + " must be an http:// or https:// URL without a path, not '"
                        + endpoint + "'");
            }
            String accessKey = text("storage.s3.access-key", found, false);
            String secretKey = text("storage.s3.secret-key", found, false);
            if (accessKey.isEmpty() != secretKey.isEmpty()) {
                found.add("storage.s3.access-key and storage.s3.secret-key must be set together (or neither, for the "
                        + "AWS SDK's default credential chain)");
            }
            long partSize = integer("storage.s3.part-size", value("storage.s3.part-size"), 5L << 20, 5L << 30,
                    found);
            int maxConnections = integer("storage.s3.max-connections", value("storage.s3.max-connections"), 1,
                    10_000, found);
            boolean redirect = bool("storage.s3.redirect", found);
            Duration redirectExpiry = duration("storage.s3.redirect-expiry", found);
            if (redirectExpiry.compareTo(Duration.ofDays(7)) > 0) {
                found.add(describe("storage.s3.redirect-expiry") + " must be at most 7d (the limit of S3 presigned URLs)");
            }
            return new BollardConfig.S3(bucket, prefix, region, endpoint, bool("storage.s3.path-style", found),
                    accessKey, secretKey, partSize, maxConnections, redirect, redirectExpiry);
        }

        /**
         * Splits {@code host:port} or {@code [ipv6]:port} into host and port text; null when there is no port
         * separator, the host is empty, or an IPv6 address lacks brackets ({@code ::1} is not host {@code ::}, port 1).
         */
        private static String @Nullable [] splitHostPort(String listen) {
            if (listen.startsWith("[")) {
                int close = listen.indexOf(']');
                if (close <= 1 || close + 1 >= listen.length() || listen.charAt(close + 1) != ':') {
                    return null;
                }
                return new String[] {listen.substring(1, close), listen.substring(close + 2)};
            }
            int colon = listen.indexOf(':');
            if (colon <= 0 || listen.indexOf(':', colon + 1) >= 0 || listen.indexOf(']') >= 0) {
                return null;
            }
            return new String[] {listen.substring(0, colon), listen.substring(colon + 1)};
        }

        /** The value of a known key: every key of {@link #KEYS} has one from the start. */
        private String value(String key) {
            return Objects.requireNonNull(values.get(key), key);
        }

        private static String defaultOf(String key) {
            return Objects.requireNonNull(KEYS.get(key), key)[0];
        }

        private String describe(String key) {
            return key + (sources.containsKey(key) ? " (from " + sources.get(key) + ")" : "");
        }

        private String text(String key, List<String> problems, boolean required) {
            String v = value(key).trim();
            if (required && v.isEmpty()) {
                problems.add(describe(key) + " must not be empty");
                return defaultOf(key);
            }
            return v;
        }

        private Path pathOr(String key, Path fallback) {
            String v = value(key).trim();
            return v.isEmpty() ? fallback : Path.of(v).toAbsolutePath().normalize();
        }

        private int integer(String key, String text, int min, int max, List<String> problems) {
            return (int) integer(key, text, (long) min, (long) max, problems);
        }

        private long integer(String key, String text, long min, long max, List<String> problems) {
            try {
                long v = Long.parseLong(text.trim());
                if (v < min || v > max) {
                    problems.add(describe(key) + " must be between " + min + " and " + max + ", not " + v);
                    return min;
                }
                return v;
            } catch (NumberFormatException e) {
                problems.add(describe(key) + " must be a whole number, not '" + text + "'");
                return min;
            }
        }

        private boolean bool(String key, List<String> problems) {
            String v = value(key).trim().toLowerCase(Locale.ROOT);
            if (v.equals("true") || v.equals("false")) {
                return Boolean.parseBoolean(v);
            }
            problems.add(describe(key) + " must be true or false, not '" + v + "'");
            return false;
        }

        private Duration duration(String key, List<String> problems) {
            String v = value(key).trim();
            Matcher m = DURATION.matcher(v);
            if (!m.matches() || m.group(1).chars().allMatch(c -> c == '0')) {
                problems.add(describe(key) + " must be a positive duration such as 90s, 10m, 24h or 7d, not '" + v + "'");
                return Duration.ofHours(1);
            }
            try {
                return parseDuration(v);
            } catch (IllegalArgumentException e) {
                problems.add(describe(key) + " is too long a duration: '" + v + "'");
                return Duration.ofHours(1);
            }
        }
    }

    /**
     * A duration as configuration writes it: {@code 500ms}, {@code 90s}, {@code 10m}, {@code 24h}, {@code 7d} (zero
     * allowed here; configuration keys want positive ones).
     *
     * @throws IllegalArgumentException when {@code text} is not such a duration
     */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("a duration such as 90s, 10m, 24h or 7d, not '" + text + "'");
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("too long a duration: '" + text + "'", e);
        }
    }

    /**
     * The known key {@code unknown} was probably meant to be: the one fewest edits away (a typo), or the one whose
     * last part it is ({@code expiry} for {@code uploads.expiry}); null when none is close.
     */
    static @Nullable String closestKey(String unknown) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String key : KEYS.keySet()) {
            String last = key.substring(key.lastIndexOf('.') + 1);
            int d = Math.min(editDistance(unknown, key), editDistance(unknown, last) + 1);
            if (d < bestDistance) {
                best = key;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, unknown.length() / 4) ? best : null;
    }

    /** Levenshtein's distance: the fewest insertions, deletions and substitutions that turn a into b. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * A duration as people write it and {@link #parseDuration} reads it: in the largest unit that divides it,
     * {@code 30d}, {@code 36h}, {@code 90m}, {@code 45s}, {@code 500ms}; one day as {@code 24h}.
     */
    public static String formatDuration(Duration duration) {
        if (duration.isZero()) {
            return "0s";
        }
        if (duration.isNegative() || duration.toNanosPart() % 1_000_000 != 0) {
            return duration.toString(); // never configured so; shown exactly rather than rounded
        }
        long millis = duration.toMillis();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L};
        String[] units = {"d", "h", "m", "s"};
        // One day is written 24h (as the defaults are), two or more days in days.
        for (int i = millis == sizes[0] ? 1 : 0; i < sizes.length; i++) {
            if (millis % sizes[i] == 0) {
                return millis / sizes[i] + units[i];
            }
        }
        return millis + "ms";
    }

    /** The environment variable that overrides {@code key}. */
    public static String environmentName(String key) {
        return "BOLLARD_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_').replace("[", "_")
                .replace("]", "");
    }
}
