package dev.bollard.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.audit.Actor;
import dev.bollard.audit.Audit;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.auth.AccessRequest;
import dev.bollard.auth.Action;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.MediaTypes;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.BlobInfo;
import dev.bollard.registry.BodyReading;
import dev.bollard.registry.OutOfOrderChunk;
import dev.bollard.registry.Page;
import dev.bollard.registry.PushedManifest;
import dev.bollard.registry.Registry;
import dev.bollard.registry.StoredManifest;
import dev.bollard.registry.UploadStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution API ({@code /v2}): maps requests to the registry's use cases and their outcomes to
 * statuses, headers and error bodies. Every request's access decision is made here, in {@link #authorize}.
 */
final class DistributionHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(DistributionHandler.class);
    /** Blob downloads in progress, and how many of them may read ahead on a second thread (see streamBlob). */
    private static final AtomicInteger DOWNLOADS = new AtomicInteger();
    private static final int READ_AHEAD_MAX_DOWNLOADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    static final int READ_CHUNK = 1024 * 1024;

    private final Registry registry;
    private final AccessPolicy access;
    private final long maxManifestBytes;

    private final Observability observability;
    private final Audit audit;

    DistributionHandler(Registry registry, AccessPolicy access, long maxManifestBytes, Observability observability,
                        Audit audit) {
        this.registry = registry;
        this.access = access;
        this.maxManifestBytes = maxManifestBytes;
        this.observability = observability;
        this.audit = audit;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        try {
            request.setAttribute(Observability.ROUTE, "invalid");
            Route route = Route.parse(request.getHttpURI().getPath());
            request.setAttribute(Observability.ROUTE, route.kind().name().toLowerCase(java.util.Locale.ROOT));
            if (route.kind() == Route.Kind.NOT_FOUND) {
                // The spec's UNSUPPORTED, as Distribution answers an unknown endpoint, but 404: nothing is here to
                // be switched off (a disabled operation, or a method not allowed, is 405).
                throw new BollardException(ErrorCode.UNSUPPORTED, ErrorCode.Kind.NOT_FOUND, "no such endpoint: "
                        + request.getMethod() + " " + request.getHttpURI().getPath(), null);
            }
            if (!authorize(ex, route)) {
                return true;
            }
            dispatch(ex, route);
        } catch (BollardException e) {
            if (e instanceof OutOfOrderChunk o) {
                // The spec answers an out-of-order chunk with where the upload stands, so that the client continues.
                setUploadHeaders(ex, o.status());
            }
            DistributionErrors.send(ex, e);
        } catch (InvalidDigestException e) {
            // A digest in the path or query that the oci model cannot parse.
            DistributionErrors.send(ex, new BollardException(ErrorCode.DIGEST_INVALID, e.getMessage()));
        } catch (UncheckedIOException e) {
            // An UncheckedIOException always has its IOException cause (its constructors require one).
            failIo(ex, Objects.requireNonNull(e.getCause()));
        } catch (IOException e) {
            failIo(ex, e);
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", request.getMethod(), request.getHttpURI().getPath(), e);
            if (!response.isCommitted()) {
                DistributionErrors.sendInternal(ex);
            } else {
                callback.failed(e);
            }
        }
        return true;
    }

    private void failIo(Exchange ex, IOException e) {
        if (e instanceof EofException || isClientGone(e)) {
            LOG.debug("client went away during {} {}: {}", ex.method(), ex.request.getHttpURI().getPath(), e.toString());
        } else {
            LOG.error("{} {} failed", ex.method(), ex.request.getHttpURI().getPath(), e);
        }
        ex.callback.failed(e);
    }

    private static boolean isClientGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EofException || t instanceof java.nio.channels.ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /** {@code scheme://host[:port]} the request was sent to, for the realm of a challenge. */
    private static String baseUrl(Exchange ex) {
        String host = ex.header("Host");
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.:\\[\\]_-]+")) {
            host = Request.getServerName(ex.request) + ":" + Request.getServerPort(ex.request);
        }
        return ex.request.getHttpURI().getScheme() + "://" + host;
    }

    /** The single access-decision point: the action a route needs, asked of the policy once. */
    private boolean authorize(Exchange ex, Route route) {
        Action action = switch (route.kind()) {
            case BASE, NOT_FOUND -> Action.PING;
            case CATALOG -> Action.CATALOG;
            case UPLOADS, UPLOAD -> Action.PUSH;
            case BLOB, MANIFEST -> switch (ex.method()) {
                case "PUT", "POST", "PATCH" -> Action.PUSH;
                case "DELETE" -> Action.DELETE;
                default -> Action.PULL;
            };
            case TAGS, REFERRERS -> Action.PULL;
        };
        String repository = route.repository() == null ? null : route.repository().value();
        AccessDecision decision = access.decide(new AccessRequest(repository, action, ex.header("Authorization"),
                Request.getRemoteAddr(ex.request), baseUrl(ex), ex.header("User-Agent")));
        return switch (decision) {
            case AccessDecision.Allow allow -> {
                ex.visible = allow.visible();
                ex.actor = actorOf(allow, ex);
                yield true;
            }
            case AccessDecision.Challenge c -> {
                ex.setHeader("WWW-Authenticate", c.wwwAuthenticate());
                DistributionErrors.send(ex, new BollardException(ErrorCode.UNAUTHORIZED, c.message()));
                yield false;
            }
            case AccessDecision.Deny d -> {
                DistributionErrors.send(ex, new BollardException(ErrorCode.DENIED, d.message()));
                yield false;
            }
            case AccessDecision.Throttled t -> {
                DistributionErrors.send(ex, BollardException.throttled(ErrorCode.TOOMANYREQUESTS, t.message(),
                        t.retryAfterSeconds()));
                yield false;
            }
        };
    }

    /**
     * The audit actor of an allowed request. A bearer token names its subject only (resolving it would cost a
     * database read per request): {@code owner+name} is a robot, an empty subject anonymous, any other a user.
     */
    private static Actor actorOf(AccessDecision.Allow allow, Exchange ex) {
        String ip = Request.getRemoteAddr(ex.request);
        String ua = ex.header("User-Agent");
        if (allow.caller() != null) {
            return allow.caller().actor(ip, ua);
        }
        String name = allow.principal();
        if (name == null || name.isEmpty() || name.equals("anonymous")) {
            return Actor.anonymous(ip, ua);
        }
        return new Actor(name.contains("+") ? Actor.Kind.ROBOT : Actor.Kind.USER, name, ip, ua);
    }

    private void dispatch(Exchange ex, Route route) throws IOException {
        String method = ex.method();
        switch (route.kind()) {
            case BASE -> {
                only(method, "GET", "HEAD");
                ex.sendBytes(200, "application/json", "{}".getBytes(StandardCharsets.UTF_8));
            }
            case CATALOG -> {
                only(method, "GET");
                catalog(ex);
            }
            case TAGS -> {
                only(method, "GET");
                tags(ex, route.requireRepository());
            }
            case REFERRERS -> {
                only(method, "GET");
                referrers(ex, route.requireRepository(), Digest.parse(route.requireParam()));
            }
            case BLOB -> {
                Digest digest = Digest.parse(route.requireParam());
                switch (method) {
                    case "GET", "HEAD" -> getBlob(ex, route.requireRepository(), digest);
                    case "DELETE" -> {
                        registry.blobs().delete(route.requireRepository(), digest, ex.actor());
                        ex.sendEmpty(202);
                    }
                    default -> throw notAllowed(method);
                }
            }
            case UPLOADS -> {
                only(method, "POST");
                try (Observability.InFlight ignored = observability.uploadInFlight()) {
                    startUpload(ex, route.requireRepository());
                }
            }
            case UPLOAD -> {
                switch (method) {
                    case "GET" -> sendUploadStatus(ex, registry.uploads().status(route.requireRepository(), route.requireParam()), 204);
                    case "PATCH" -> {
                        try (Observability.InFlight ignored = observability.uploadInFlight()) {
                            patchUpload(ex, route.requireRepository(), route.requireParam());
                        }
                    }
                    case "PUT" -> {
                        try (Observability.InFlight ignored = observability.uploadInFlight()) {
                            putUpload(ex, route.requireRepository(), route.requireParam());
                        }
                    }
                    case "DELETE" -> {
                        registry.uploads().cancel(route.requireRepository(), route.requireParam());
                        ex.sendEmpty(204);
                    }
                    default -> throw notAllowed(method);
                }
            }
            case MANIFEST -> {
                Reference reference = reference(route.requireParam());
                switch (method) {
                    case "GET", "HEAD" -> getManifest(ex, route.requireRepository(), reference);
                    case "PUT" -> putManifest(ex, route.requireRepository(), reference);
                    case "DELETE" -> {
                        registry.manifests().delete(route.requireRepository(), reference, ex.actor());
                        ex.sendEmpty(202);
                    }
                    default -> throw notAllowed(method);
                }
            }
            case NOT_FOUND -> throw new IllegalStateException("unreachable");
        }
    }

    private static void only(String method, String... allowed) {
        for (String a : allowed) {
            if (a.equals(method)) {
                return;
            }
        }
        throw notAllowed(method);
    }

    private static BollardException notAllowed(String method) {
        return new BollardException(ErrorCode.UNSUPPORTED, "method " + method + " is not allowed on this endpoint");
    }

    private static Reference reference(String text) {
        try {
            return Reference.parse(text);
        } catch (InvalidDigestException e) {
            throw new BollardException(ErrorCode.DIGEST_INVALID, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new BollardException(ErrorCode.TAG_INVALID, e.getMessage(), Map.of("tag", text));
        }
    }

    // ---- blobs ----

    private void getBlob(Exchange ex, RepositoryName repository, Digest digest) throws IOException {
        // HEAD is how a pushing client checks whether to upload: such a check renews an old link (see statForPush).
        BlobInfo blob = ex.isHead() ? registry.blobs().statForPush(repository, digest)
                : registry.blobs().stat(repository, digest);
        String etag = "\"" + digest + "\"";
        ex.setHeader("Docker-Content-Digest", digest.toString());
        ex.setHeader("ETag", etag);
        ex.setHeader("Accept-Ranges", "bytes");
        ex.setHeader("Cache-Control", "max-age=31536000, immutable");
        if (etag.equals(ex.header("If-None-Match"))) {
            ex.sendEmpty(304);
            return;
        }
        if (!ex.isHead()) {
            Optional<URI> direct = registry.blobs().directUrl(blob);
            if (direct.isPresent()) {
                // The client fetches the bytes from the store itself (and sends its Range header there).
                ex.setHeader("Location", direct.get().toString());
                ex.sendEmpty(307);
                return;
            }
        }
        long size = blob.size();
        long start = 0;
        long end = size - 1;
        int status = 200;
        ByteRange.Result range = ByteRange.parse(ex.header("Range"), size);
        switch (range) {
            case ByteRange.Result.Whole w -> { }
            case ByteRange.Result.Unsatisfiable u -> {
                ex.setHeader("Content-Range", "bytes */" + size);
                // The spec's SIZE_INVALID, but 416 as HTTP answers a range outside the resource.
                throw new BollardException(ErrorCode.SIZE_INVALID, ErrorCode.Kind.OUT_OF_RANGE, "range "
                        + ex.header("Range") + " is not satisfiable: the blob has " + size + " bytes", null);
            }
            case ByteRange.Result.Part p -> {
                start = p.first();
                end = p.last();
                status = 206;
                ex.setHeader("Content-Range", "bytes " + start + "-" + end + "/" + size);
            }
        }
        long length = end - start + 1;
        ex.response.setStatus(status);
        ex.setHeader("Content-Type", "application/octet-stream");
        ex.response.getHeaders().put("Content-Length", length);
        if (ex.isHead() || length == 0) {
            ex.finish();
            return;
        }
        try (SeekableByteChannel channel = registry.blobs().open(repository, blob)) {
            channel.position(start);
            streamBlob(ex, channel, length);
        }
        ex.finish();
    }

    /**
     * Copies {@code length} bytes from the channel to the response through pooled direct buffers. While there are
     * fewer downloads than cores to serve them, a blob of more than one piece is read ahead on a second (virtual)
     * thread: piece n+1 comes from the file while piece n goes to the socket, so a lone download uses two cores instead
     * of one (docs/benchmarks.md, finding 5). With more downloads the cores are busy anyway, and handing pieces between
     * threads would only add work.
     */
    private void streamBlob(Exchange ex, SeekableByteChannel channel, long length) throws IOException {
        var pool = ex.request.getComponents().getByteBufferPool();
        int downloads = DOWNLOADS.incrementAndGet();
        RetainableByteBuffer first = pool.acquire(READ_CHUNK, true);
        try {
            if (length > READ_CHUNK && downloads <= READ_AHEAD_MAX_DOWNLOADS) {
                RetainableByteBuffer second = pool.acquire(READ_CHUNK, true);
                try {
                    copyReadingAhead(ex, channel, length, first.getByteBuffer(), second.getByteBuffer());
                } finally {
                    second.release();
                }
            } else {
                for (long remaining = length; remaining > 0; ) {
                    int n = readPiece(channel, first.getByteBuffer(), remaining);
                    ex.writeBlocking(first.getByteBuffer());
                    observability.pulled(n);
                    remaining -= n;
                }
            }
        } finally {
            first.release();
            DOWNLOADS.decrementAndGet();
        }
    }

    /** Writes piece n from one buffer while a second thread reads piece n+1 into the other; then they swap. */
    private void copyReadingAhead(Exchange ex, SeekableByteChannel channel, long length, ByteBuffer piece,
                                  ByteBuffer spare) throws IOException {
        int n = readPiece(channel, piece, length);
        long remaining = length - n;
        CompletableFuture<Integer> next = null;
        try {
            while (true) {
                if (remaining > 0) {
                    next = readAhead(channel, spare, remaining);
                }
                ex.writeBlocking(piece);
                observability.pulled(n);
                if (next == null) {
                    return;
                }
                n = awaitPiece(next);
                next = null;
                remaining -= n;
                ByteBuffer written = piece;
                piece = spare;
                spare = written;
            }
        } finally {
            if (next != null) {
                // The buffer being read into goes back to the pool only once that read has ended.
                try {
                    awaitPiece(next);
                } catch (IOException | RuntimeException ignored) {
                    // the download failed already; this read's outcome no longer matters
                }
            }
        }
    }

    /** {@link #readPiece} on a new virtual thread. */
    private static CompletableFuture<Integer> readAhead(SeekableByteChannel channel, ByteBuffer into, long remaining) {
        CompletableFuture<Integer> reading = new CompletableFuture<>();
        Thread.ofVirtual().name("bollard-read-ahead").start(() -> {
            try {
                reading.complete(readPiece(channel, into, remaining));
            } catch (Throwable t) {
                reading.completeExceptionally(t);
            }
        });
        return reading;
    }

    /** Fills {@code buffer} with the channel's next bytes, at most {@code remaining}; flipped, ready to write. */
    private static int readPiece(SeekableByteChannel channel, ByteBuffer buffer, long remaining) throws IOException {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), remaining));
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new IOException("blob ended " + (remaining - buffer.position()) + " bytes early");
            }
        }
        buffer.flip();
        return buffer.remaining();
    }

    private static int awaitPiece(CompletableFuture<Integer> piece) throws IOException {
        try {
            return piece.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    // ---- uploads ----

    private void startUpload(Exchange ex, RepositoryName repository) throws IOException {
        String mount = ex.query("mount");
        if (mount != null) {
            Digest digest = Digest.parse(mount);
            String from = ex.query("from");
            // Mounting reads the source repository: only when the caller may pull it, else a plain session.
            if (from != null && RepositoryName.isValid(from) && mayPull(ex, from)) {
                Optional<BlobInfo> mounted = registry.uploads().mount(repository, digest, new RepositoryName(from));
                if (mounted.isPresent()) {
                    sendBlobCreated(ex, repository, digest);
                    return;
                }
            }
        }
        String digestParam = ex.query("digest");
        if (digestParam != null) {
            Digest digest = Digest.parse(digestParam);
            registry.uploads().uploadWhole(repository, digest, uploadBody(ex), ex.contentLength());
            sendBlobCreated(ex, repository, digest);
            return;
        }
        sendUploadStatus(ex, registry.uploads().start(repository), 202);
    }

    /** The second access decision of a mount: may the caller read the repository it mounts from. */
    private boolean mayPull(Exchange ex, String repository) {
        return access.decide(new AccessRequest(repository, Action.PULL, ex.header("Authorization"),
                Request.getRemoteAddr(ex.request), baseUrl(ex), ex.header("User-Agent"))) instanceof AccessDecision.Allow;
    }

    private void patchUpload(Exchange ex, RepositoryName repository, String uploadId) {
        ContentRange range = ContentRange.of(ex.header("Content-Range"), ex.contentLength());
        UploadStatus status = registry.uploads().append(repository, uploadId, uploadBody(ex),
                range == null ? null : range.start(), range == null ? ex.contentLength() : Long.valueOf(range.length()));
        sendUploadStatus(ex, status, 202);
    }

    private void putUpload(Exchange ex, RepositoryName repository, String uploadId) {
        Digest digest;
        try {
            String digestParam = ex.query("digest");
            if (digestParam == null) {
                throw new InvalidDigestException("closing an upload needs the query parameter digest");
            }
            digest = Digest.parse(digestParam);
        } catch (InvalidDigestException e) {
            // A close that cannot succeed ends the session, as one with a mismatching digest does.
            registry.uploads().cancel(repository, uploadId);
            throw e;
        }
        ContentRange range = ContentRange.of(ex.header("Content-Range"), ex.contentLength());
        if (range != null) {
            // A final chunk with a range must continue where the upload stands.
            UploadStatus status = registry.uploads().status(repository, uploadId);
            if (range.start() != status.size()) {
                throw new OutOfOrderChunk(status, range.start());
            }
        }
        registry.uploads().complete(repository, uploadId, digest, uploadBody(ex),
                range == null ? ex.contentLength() : Long.valueOf(range.length()));
        sendBlobCreated(ex, repository, digest);
    }

    /** The request body of an upload, counted into the pushed-bytes metric as it is read. */
    private InputStream uploadBody(Exchange ex) {
        return new java.io.FilterInputStream(ex.body()) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    observability.pushed(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    observability.pushed(n);
                }
                return n;
            }
        };
    }

    private static void sendBlobCreated(Exchange ex, RepositoryName repository, Digest digest) {
        ex.setHeader("Location", "/v2/" + repository + "/blobs/" + digest);
        ex.setHeader("Docker-Content-Digest", digest.toString());
        ex.sendEmpty(201);
    }

    private static void sendUploadStatus(Exchange ex, UploadStatus status, int code) {
        setUploadHeaders(ex, status);
        ex.sendEmpty(code);
    }

    private static void setUploadHeaders(Exchange ex, UploadStatus status) {
        ex.setHeader("Location", "/v2/" + status.repository() + "/blobs/uploads/" + status.uploadId());
        ex.setHeader("Docker-Upload-UUID", status.uploadId());
        ex.setHeader("Range", "0-" + Math.max(0, status.size() - 1));
    }

    // ---- manifests ----

    private void getManifest(Exchange ex, RepositoryName repository, Reference reference) {
        StoredManifest manifest = registry.manifests().get(repository, reference);
        List<String> accept = ex.headerValues("Accept").stream().map(MediaTypes::essence).toList();
        if (!accept.isEmpty() && !accept.contains(manifest.mediaType()) && !accept.contains("*/*")
                && !accept.contains("application/*")) {
            throw new BollardException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is a "
                    + manifest.mediaType() + ", which the request's Accept header does not list",
                    Map.of("mediaType", manifest.mediaType()));
        }
        ex.setHeader("Docker-Content-Digest", manifest.digest().toString());
        ex.setHeader("ETag", "\"" + manifest.digest() + "\"");
        ex.sendBytes(200, manifest.mediaType(), manifest.content());
        if (!ex.isHead()) {
            // A pull changes nothing, so it is not a change for the outbox (docs/architecture.md, "Changes, audit and
            // events"): it is recorded here, where the response was sent, since only a GET that was answered is a
            // pull. One event per manifest fetched (an image pull fetches one or, through an index, a few), written
            // asynchronously in batches so that pulls do not wait for the audit log.
            audit.recordAsync(AuditEvent.onRepository(ex.actor(), AuditActions.PULL, repository.value(),
                    Map.of("reference", reference.toString(), "digest", manifest.digest().toString())));
        }
    }

    private void putManifest(Exchange ex, RepositoryName repository, Reference reference) throws IOException {
        byte[] body = readLimited(ex, maxManifestBytes);
        PushedManifest pushed = registry.manifests().put(repository, reference, ex.header("Content-Type"), body,
                ex.actor());
        ex.setHeader("Location", "/v2/" + repository + "/manifests/" + pushed.digest());
        ex.setHeader("Docker-Content-Digest", pushed.digest().toString());
        pushed.subject().ifPresent(s -> ex.setHeader("OCI-Subject", s.toString()));
        ex.sendEmpty(201);
    }

    private static byte[] readLimited(Exchange ex, long limit) throws IOException {
        Long declared = ex.contentLength();
        try (InputStream in = ex.body()) {
            if (declared != null && declared > limit) {
                throw tooLarge(limit); // the error encoder drains or closes
            }
            byte[] body;
            try {
                body = in.readNBytes((int) limit + 1);
            } catch (IOException | RuntimeException e) {
                throw BodyReading.incomplete(e);
            }
            if (body.length > limit) {
                throw tooLarge(limit);
            }
            if (declared != null && body.length != declared) {
                throw BodyReading.incomplete(null);
            }
            return body;
        }
    }



    /** The spec's SIZE_INVALID, but 413: the manifest exceeds the limit, whatever length it declares. */
    private static BollardException tooLarge(long limit) {
        return new BollardException(ErrorCode.SIZE_INVALID, ErrorCode.Kind.TOO_LARGE,
                "manifest is larger than the limit of " + limit + " bytes", null);
    }

    // ---- listings ----

    private void tags(Exchange ex, RepositoryName repository) throws IOException {
        Integer n = pageSize(ex);
        String last = ex.query("last");
        Page page = registry.listings().tags(repository, n, last);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", repository.value());
        body.put("tags", page.items());
        sendPage(ex, "/v2/" + repository + "/tags/list", page, n, body);
    }

    private void catalog(Exchange ex) throws IOException {
        Integer n = pageSize(ex);
        Page page = registry.listings().catalog(n, ex.query("last"), ex.visible);
        sendPage(ex, "/v2/_catalog", page, n, Map.of("repositories", page.items()));
    }

    private static void sendPage(Exchange ex, String path, Page page, @Nullable Integer n, Object body) throws IOException {
        if (page.more() && page.last() != null) {
            ex.setHeader("Link", "<" + path + "?n=" + n + "&last="
                    + URLEncoder.encode(page.last(), StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
        ex.sendJson(200, body);
    }

    private static @Nullable Integer pageSize(Exchange ex) {
        String n = ex.query("n");
        if (n == null) {
            return null;
        }
        try {
            int value = Integer.parseInt(n);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BollardException(ErrorCode.PAGINATION_NUMBER_INVALID,
                "n must be a whole number from 0 to " + Integer.MAX_VALUE + ", not '" + n + "'", Map.of("n", n));
    }

    private void referrers(Exchange ex, RepositoryName repository, Digest subject) throws IOException {
        String artifactType = ex.query("artifactType");
        List<Descriptor> found = registry.manifests().referrers(repository, subject, artifactType);
        ObjectNode index = Exchange.JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode manifests = index.putArray("manifests");
        for (Descriptor d : found) {
            ObjectNode entry = manifests.addObject();
            entry.put("mediaType", d.mediaType());
            entry.put("digest", d.digest().toString());
            entry.put("size", d.size());
            if (d.artifactType() != null) {
                entry.put("artifactType", d.artifactType());
            }
            if (!d.annotations().isEmpty()) {
                ObjectNode annotations = entry.putObject("annotations");
                d.annotations().forEach(annotations::put);
            }
        }
        if (artifactType != null) {
            ex.setHeader("OCI-Filters-Applied", "artifactType");
        }
        ex.sendBytes(200, MediaTypes.OCI_INDEX, Exchange.JSON.writeValueAsBytes(index));
    }
}
