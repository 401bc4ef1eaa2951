package dev.bollard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.error.BollardException;
import dev.bollard.json.Json;
import dev.bollard.oci.Digest;
import dev.bollard.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * A client of one upstream registry's distribution API on {@link HttpClient} (HTTP/2 where offered): manifest
 * {@code HEAD} and {@code GET}, blob {@code GET}, with Docker's token flow — anonymous or with Basic credentials; a
 * {@code 401} with a {@code Bearer} challenge sends it to the challenge's realm for a token of the repository's pull
 * scope, cached per scope until shortly before it expires; a {@code Basic} challenge gets the credentials. Redirects
 * (blobs on object storage) are followed without the credentials. Every failure is an {@link UpstreamFailure} naming
 * the upstream.
 */
public final class UpstreamClient {
    /** What the proxy accepts as a manifest: every type Bollard stores (no schema 1). */
    static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST_LIST,
            MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(10);
    private static final int MAX_REDIRECTS = 5;
    private static final Pattern PARAM = Pattern.compile("([A-Za-z]+)=\"([^\"]*)\"");
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
    private static final int MAX_TAG_PAGES = 1000;
    private static final int MAX_TAG_PAGE_BYTES = 16 * 1024 * 1024;

    private final URI base;
    private final @Nullable String basic;
    private final HttpClient http;
    private final Duration timeout;
    private final long maxManifestBytes;
    /** The proxy organization's budget of requests to this upstream, or null for none (mirrors have none). */
    private final @Nullable RateLimit limit;
    /** Tokens by scope ({@code repository:<name>:pull}). */
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    /** Set once the upstream asked for Basic credentials: later requests send them at once. */
    private volatile boolean wantsBasic;

    private record Token(String value, Instant expires) {
    }

    /** A manifest's digest and type as a {@code HEAD} answers it; {@code exhausted}: the rate limit is used up. */
    public record ManifestHead(Digest digest, String mediaType, boolean exhausted) {
    }

    /** A manifest's bytes, its type and the digest the upstream named (if it did). */
    public record FetchedManifest(byte[] body, String mediaType, @Nullable Digest digest) {
    }

    /**
     * A blob's body being received, and its whole size when the upstream announced it ({@code -1} otherwise);
     * {@code start}: the offset of the body's first byte in the blob (0, or where a range the upstream honoured starts).
     */
    public record BlobBody(InputStream body, long size, long start) {
        public BlobBody(InputStream body, long size) {
            this(body, size, 0);
        }
    }

    /**
     * {@code base}: the upstream's URL ({@code https://registry-1.docker.io}); {@code username}/{@code password}: null
     * for anonymous pulls; {@code caBundle}: PEM certificates the upstream's TLS certificate must chain to, instead of
     * the JDK's trust store, or null.
     */
    public UpstreamClient(URI base, @Nullable String username, @Nullable String password, @Nullable String caBundle,
                          Duration timeout, long maxManifestBytes) {
        this(base, username, password, caBundle, timeout, maxManifestBytes, null);
    }

    /** As above, each request taking a token of {@code limit} first. */
    UpstreamClient(URI base, @Nullable String username, @Nullable String password, @Nullable String caBundle,
                   Duration timeout, long maxManifestBytes, @Nullable RateLimit limit) {
        this.limit = limit;
        this.base = base;
        this.basic = username == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                (username + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
        this.timeout = timeout;
        this.maxManifestBytes = maxManifestBytes;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (caBundle != null) {
            builder.sslContext(trusting(caBundle));
        }
        this.http = builder.build();
    }

    /** The upstream's URL, for messages. */
    public URI base() {
        return base;
    }

    /** The SSL context that trusts just the certificates of a PEM bundle; INVALID when it holds none. */
    public static SSLContext trusting(String pem) {
        try {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (certificates.isEmpty()) {
                throw BollardException.invalid("the CA bundle holds no PEM certificate");
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw BollardException.invalid("the CA bundle is not valid PEM certificates: " + e.getMessage());
        }
    }

    public ManifestHead headManifest(String repository, String reference) throws UpstreamFailure {
        HttpResponse<InputStream> r = send("HEAD", "/v2/" + repository + "/manifests/" + reference, repository, ACCEPT);
        close(r);
        String digest = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        String type = MediaTypes.essence(r.headers().firstValue("Content-Type").orElse(null));
        if (digest == null || !Digest.isDigest(digest) || type == null) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " answered HEAD of " + repository + ":"
                    + reference + " without a Docker-Content-Digest and Content-Type");
        }
        return new ManifestHead(Digest.parse(digest), type, exhausted(r));
    }

    public FetchedManifest getManifest(String repository, String reference) throws UpstreamFailure {
        HttpResponse<InputStream> r = send("GET", "/v2/" + repository + "/manifests/" + reference, repository, ACCEPT);
        byte[] body;
        try (InputStream in = r.body()) {
            body = in.readNBytes((int) maxManifestBytes + 1);
        } catch (IOException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "the manifest " + repository + ":"
                    + reference + " from " + base + " broke off: " + e.getMessage(), null, e);
        }
        if (body.length > maxManifestBytes) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the manifest " + repository + ":" + reference
                    + " from " + base + " is larger than " + maxManifestBytes + " bytes");
        }
        String type = MediaTypes.essence(r.headers().firstValue("Content-Type").orElse(null));
        String digest = r.headers().firstValue("Docker-Content-Digest").orElse(null);
        if (type == null) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " answered the manifest " + repository
                    + ":" + reference + " without a Content-Type");
        }
        return new FetchedManifest(body, type, digest != null && Digest.isDigest(digest) ? Digest.parse(digest) : null);
    }

    /** The size of a blob as a {@code HEAD} answers it (-1 when the upstream does not say). */
    public long headBlob(String repository, Digest digest) throws UpstreamFailure {
        HttpResponse<InputStream> r = send("HEAD", "/v2/" + repository + "/blobs/" + digest, repository, "*/*");
        close(r);
        return r.headers().firstValueAsLong("Content-Length").orElse(-1);
    }

    /** Starts receiving a blob; the caller reads and closes the body. */
    public BlobBody getBlob(String repository, Digest digest) throws UpstreamFailure {
        return getBlob(repository, digest, 0);
    }

    /**
     * Starts receiving a blob from byte {@code from} on ({@code Range: bytes=from-}, to resume a fetch that broke off);
     * an upstream that ignores the range answers the whole blob ({@link BlobBody#start()} 0). The caller reads and
     * closes the body.
     */
    public BlobBody getBlob(String repository, Digest digest, long from) throws UpstreamFailure {
        HttpResponse<InputStream> r = send("GET", "/v2/" + repository + "/blobs/" + digest, repository, "*/*",
                from > 0 ? "bytes=" + from + "-" : null);
        if (r.statusCode() == 206) {
            Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (!m.matches() || Long.parseLong(m.group(1)) != from
                    || Long.parseLong(m.group(2)) != Long.parseLong(m.group(3)) - 1) {
                close(r);
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " answered the range bytes=" + from
                        + "- of " + digest + " with Content-Range '" + r.headers().firstValue("Content-Range")
                        .orElse("") + "'");
            }
            return new BlobBody(r.body(), Long.parseLong(m.group(3)), from);
        }
        return new BlobBody(r.body(), r.headers().firstValueAsLong("Content-Length").orElse(-1));
    }

    /**
     * Every tag of the repository in the upstream's order, following the {@code Link} header's pages (the mirror's
     * listing; a proxy never lists).
     */
    public List<String> listTags(String repository) throws UpstreamFailure {
        List<String> tags = new ArrayList<>();
        String path = "/v2/" + repository + "/tags/list?n=1000";
        for (int pages = 0; path != null; pages++) {
            if (pages >= MAX_TAG_PAGES) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " lists more than " + MAX_TAG_PAGES
                        + " pages of tags of " + repository);
            }
            HttpResponse<InputStream> r = send("GET", path, repository, "application/json");
            JsonNode json;
            try (InputStream in = r.body()) {
                json = Json.MAPPER.readTree(in.readNBytes(MAX_TAG_PAGE_BYTES));
            } catch (IOException e) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the tag list of " + repository + " from "
                        + base + " is no JSON or broke off: " + e.getMessage(), null, e);
            }
            JsonNode list = json == null ? null : json.get("tags");
            if (list != null && list.isArray()) {
                list.forEach(t -> tags.add(t.asText()));
            } else if (list != null && !list.isNull()) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " answered the tag list of "
                        + repository + " without a list of tags");
            }
            path = nextPage(r);
        }
        return tags;
    }

    /** The path of the next page a {@code Link: <...>; rel="next"} header names, or null. */
    private static @Nullable String nextPage(HttpResponse<?> r) {
        for (String link : r.headers().allValues("Link")) {
            Matcher m = NEXT.matcher(link);
            if (m.find()) {
                URI next = r.uri().resolve(m.group(1));
                return next.getRawPath() + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery());
            }
        }
        return null;
    }

    /**
     * The referrers of a manifest as the upstream's referrers API answers them (an image index's bytes); empty when
     * the upstream does not offer the API (it answers 404, as registries before OCI 1.1 do).
     */
    public Optional<byte[]> referrers(String repository, Digest subject) throws UpstreamFailure {
        HttpResponse<InputStream> r;
        try {
            r = send("GET", "/v2/" + repository + "/referrers/" + subject, repository, MediaTypes.OCI_INDEX);
        } catch (UpstreamFailure e) {
            if (e.reason() == UpstreamFailure.Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes((int) maxManifestBytes + 1);
            if (body.length > maxManifestBytes) {
                throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the referrers of " + subject + " from "
                        + base + " are more than " + maxManifestBytes + " bytes");
            }
            return Optional.of(body);
        } catch (IOException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "the referrers of " + subject + " from "
                    + base + " broke off: " + e.getMessage(), null, e);
        }
    }

    // ---- the request and the token flow ----

    private HttpResponse<InputStream> send(String method, String path, String repository, String accept)
            throws UpstreamFailure {
        return send(method, path, repository, accept, null);
    }

    /** {@code range}: a Range header's value, sent to the upstream and to each hop it redirects to, or null. */
    private HttpResponse<InputStream> send(String method, String path, String repository, String accept,
                                           @Nullable String range) throws UpstreamFailure {
        if (limit != null) {
            limit.acquire(method + " " + path);
        }
        String scope = "repository:" + repository + ":pull";
        URI uri = base.resolve(path);
        HttpResponse<InputStream> r = exchange(method, uri, accept, authorization(scope), range);
        if (r.statusCode() == 401) {
            close(r);
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            String fresh = answer(challenge, scope, uri);
            r = exchange(method, uri, accept, fresh, range);
        }
        for (int hops = 0; isRedirect(r.statusCode()) && hops < MAX_REDIRECTS; hops++) {
            close(r);
            Optional<String> location = r.headers().firstValue("Location");
            if (location.isEmpty()) {
                break;
            }
            // The next hop (object storage, a CDN) gets no credentials: a presigned URL carries its own.
            r = exchange(method, r.uri().resolve(location.get()), accept, null, range);
        }
        int status = r.statusCode();
        if (status / 100 == 2) {
            return r;
        }
        close(r);
        String what = method + " " + uri;
        if (status == 404) {
            throw new UpstreamFailure(UpstreamFailure.Reason.NOT_FOUND, base + " does not have " + repository
                    + " (" + what + " answered 404)");
        }
        if (status == 429 || exhausted(r)) {
            Long retry = r.headers().firstValueAsLong("Retry-After").stream().boxed().findFirst().orElse(null);
            throw new UpstreamFailure(UpstreamFailure.Reason.RATE_LIMITED, base + " rate-limits the proxy (" + what
                    + " answered " + status + rateLimitOf(r) + ")", retry, null);
        }
        if (status == 401 || status == 403) {
            throw new UpstreamFailure(UpstreamFailure.Reason.DENIED, base + " refused the proxy's "
                    + (basic == null ? "anonymous pull" : "credentials") + " (" + what + " answered " + status + ")");
        }
        if (status >= 500) {
            throw new UpstreamFailure(UpstreamFailure.Reason.SERVER_ERROR, base + " failed (" + what + " answered "
                    + status + ")");
        }
        throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " answered " + what + " with " + status);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private @Nullable String authorization(String scope) {
        Token t = tokens.get(scope);
        if (t != null && t.expires().isAfter(Instant.now())) {
            return "Bearer " + t.value();
        }
        return wantsBasic ? basic : null;
    }

    /** The Authorization header that answers a challenge; DENIED when it cannot be answered. */
    private String answer(String challenge, String scope, URI uri) throws UpstreamFailure {
        String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
        if (scheme.equals("basic")) {
            if (basic == null) {
                throw new UpstreamFailure(UpstreamFailure.Reason.DENIED, base + " wants credentials for " + uri
                        + " and the proxy organization has none");
            }
            wantsBasic = true;
            return basic;
        }
        if (!scheme.equals("bearer")) {
            throw new UpstreamFailure(UpstreamFailure.Reason.DENIED, base + " answered " + uri
                    + " with 401 and a challenge the proxy does not know: " + challenge);
        }
        Map<String, String> params = new HashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            throw new UpstreamFailure(UpstreamFailure.Reason.DENIED, base + " sent a Bearer challenge without a realm");
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?')
                .append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
        if (params.containsKey("service")) {
            url.append("&service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        URI tokenUri;
        try {
            tokenUri = base.resolve(url.toString());
        } catch (IllegalArgumentException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, base + " sent a realm that is no URL: " + realm);
        }
        HttpResponse<InputStream> r = exchange("GET", tokenUri, "application/json", basic, null);
        JsonNode json;
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(1024 * 1024);
            if (r.statusCode() != 200) {
                throw new UpstreamFailure(r.statusCode() == 429 ? UpstreamFailure.Reason.RATE_LIMITED
                        : r.statusCode() >= 500 ? UpstreamFailure.Reason.SERVER_ERROR : UpstreamFailure.Reason.DENIED,
                        "the token service " + realm + " of " + base + " answered " + r.statusCode() + " for "
                                + (basic == null ? "an anonymous pull" : "the proxy's credentials"));
            }
            json = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the token service " + realm + " of " + base
                    + " answered no JSON: " + e.getMessage(), null, e);
        }
        JsonNode token = json.hasNonNull("token") ? json.get("token") : json.get("access_token");
        if (token == null || !token.isTextual() || token.asText().isEmpty()) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the token service " + realm + " of " + base
                    + " answered without a token");
        }
        long expiresIn = json.path("expires_in").asLong(60);
        Instant expires = Instant.now().plusSeconds(Math.max(expiresIn, 1)).minus(TOKEN_MARGIN);
        tokens.put(scope, new Token(token.asText(), expires));
        return "Bearer " + token.asText();
    }

    private HttpResponse<InputStream> exchange(String method, URI uri, String accept, @Nullable String authorization,
                                               @Nullable String range) throws UpstreamFailure {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", accept)
                .header("User-Agent", "Bollard-proxy").method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (range != null) {
            b.header("Range", range);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, base + " is unreachable (" + method + " "
                    + uri + ": " + describe(e) + ")", null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "interrupted while asking " + base, null, e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Docker Hub's {@code ratelimit-remaining: 0;w=21600}: nothing left in the window. */
    private static boolean exhausted(HttpResponse<?> r) {
        return r.headers().firstValue("ratelimit-remaining")
                .map(v -> v.split(";", 2)[0].strip().equals("0")).orElse(false);
    }

    private static String rateLimitOf(HttpResponse<?> r) {
        Optional<String> limit = r.headers().firstValue("ratelimit-limit");
        Optional<String> remaining = r.headers().firstValue("ratelimit-remaining");
        if (limit.isEmpty() && remaining.isEmpty()) {
            return "";
        }
        return ", ratelimit-limit " + limit.orElse("?") + ", ratelimit-remaining " + remaining.orElse("?");
    }

    private static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException ignored) {
            // nothing more is read from it
        }
    }
}
