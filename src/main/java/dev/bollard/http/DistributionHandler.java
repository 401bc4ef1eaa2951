package dev.bollard.http;

import dev.bollard.audit.Audit;
import dev.bollard.auth.AccessPolicy;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.Database;
import dev.bollard.oci.Digest;
import dev.bollard.oci.InvalidDigestException;
import dev.bollard.oci.Reference;
import dev.bollard.mirror.Mirrors;
import dev.bollard.proxy.ProxyCache;
import dev.bollard.registry.OutOfOrderChunk;
import dev.bollard.registry.Registry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution API ({@code /v2}): the frame of every request (route, one access decision, errors and failures
 * mapped to answers) and the dispatch of each route and method to the endpoint class that answers it: {@link
 * UploadEndpoints}, {@link BlobEndpoints}, {@link ManifestEndpoints}, {@link ListingEndpoints}. The access decision is
 * {@link DistributionAccess}'s.
 */
final class DistributionHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(DistributionHandler.class);

    private final DistributionAccess access;
    private final ProxyCache proxy;
    private final Mirrors mirrors;
    private final UploadEndpoints uploads;
    private final BlobEndpoints blobs;
    private final ManifestEndpoints manifests;
    private final ListingEndpoints listings;

    DistributionHandler(Registry registry, ProxyCache proxy, Mirrors mirrors, AccessPolicy policy,
                        long maxManifestBytes, Observability observability, Audit audit) {
        this.access = new DistributionAccess(policy);
        this.proxy = proxy;
        this.mirrors = mirrors;
        this.uploads = new UploadEndpoints(registry.uploads(), access, observability);
        this.blobs = new BlobEndpoints(registry.blobs(), proxy, new BlobDownload(observability));
        this.manifests = new ManifestEndpoints(registry.manifests(), registry.pulls(), proxy, maxManifestBytes, audit);
        this.listings = new ListingEndpoints(registry.listings());
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback);
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        try {
            request.setAttribute(Observability.ROUTE, "invalid");
            Route route = Route.parse(request.getHttpURI().getPath());
            request.setAttribute(Observability.ROUTE, route.kind().name().toLowerCase(Locale.ROOT));
            if (route.kind() == Route.Kind.NOT_FOUND) {
                // The spec's UNSUPPORTED, as Distribution answers an unknown endpoint, but 404: nothing is here to
                // be switched off (a disabled operation, or a method not allowed, is 405).
                throw new BollardException(ErrorCode.UNSUPPORTED, ErrorCode.Kind.NOT_FOUND, "no such endpoint: "
                        + request.getMethod() + " " + request.getHttpURI().getPath(), null);
            }
            if (!access.authorize(ex, route)) {
                return true;
            }
            dispatch(ex, route);
        } catch (BollardException e) {
            if (e instanceof OutOfOrderChunk o) {
                // The spec answers an out-of-order chunk with where the upload stands, so that the client continues.
                UploadEndpoints.setUploadHeaders(ex, o.status());
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
            if (Database.isUnavailable(e)) {
                // An outage, not a defect: a line without a stack trace, and 503 so that clients retry later.
                LOG.warn("{} {}: the database is unavailable: {}", request.getMethod(), request.getHttpURI().getPath(),
                        e.toString());
                DistributionErrors.send(ex, new BollardException(ErrorCode.UNAVAILABLE,
                        "the registry's database is unavailable; try again later"));
                return true;
            }
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
        if (Exchange.isClientGone(e)) {
            LOG.debug("client went away during {} {}: {}", ex.method(), ex.request.getHttpURI().getPath(), e.toString());
            ex.callback.failed(e);
            return;
        }
        LOG.error("{} {} failed", ex.method(), ex.request.getHttpURI().getPath(), e);
        // The blob store failed (S3 unreachable, a full or broken disk): before the answer began, the client gets
        // the spec's error body with 503, not a bare 500 page or a connection cut off without an answer.
        DistributionErrors.send(ex, new BollardException(ErrorCode.UNAVAILABLE, storageProblem(e)));
    }

    /** What the client is told of a storage failure: whether the disk is full, never paths or hosts. */
    static String storageProblem(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return "the registry's storage is full; try again later";
            }
        }
        return "the registry's storage is unavailable; try again later";
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
                listings.catalog(ex);
            }
            case TAGS -> {
                only(method, "GET");
                listings.tags(ex, route.requireRepository());
            }
            case REFERRERS -> {
                only(method, "GET");
                manifests.referrers(ex, route.requireRepository(), Digest.parse(route.requireParam()));
            }
            case BLOB -> {
                Digest digest = Digest.parse(route.requireParam());
                switch (method) {
                    case "GET", "HEAD" -> blobs.get(ex, route.requireRepository(), digest);
                    case "DELETE" -> {
                        mirrors.requireWritable(route.requireRepository());
                        blobs.delete(ex, route.requireRepository(), digest);
                    }
                    default -> throw notAllowed(method);
                }
            }
            case UPLOADS -> {
                only(method, "POST");
                proxy.requireWritable(route.requireRepository());
                mirrors.requireWritable(route.requireRepository());
                uploads.start(ex, route.requireRepository());
            }
            case UPLOAD -> {
                switch (method) {
                    case "GET" -> uploads.status(ex, route.requireRepository(), route.requireParam());
                    case "PATCH" -> uploads.append(ex, route.requireRepository(), route.requireParam());
                    case "PUT" -> uploads.complete(ex, route.requireRepository(), route.requireParam());
                    case "DELETE" -> uploads.cancel(ex, route.requireRepository(), route.requireParam());
                    default -> throw notAllowed(method);
                }
            }
            case MANIFEST -> {
                String reference = route.requireParam();
                switch (method) {
                    case "GET", "HEAD" -> manifests.get(ex, route.requireRepository(), storedReference(reference));
                    case "PUT" -> {
                        // A mirror's content comes from its upstream only: no push, no deletion but the mirror's.
                        mirrors.requireWritable(route.requireRepository());
                        manifests.put(ex, route.requireRepository(), reference(reference));
                    }
                    case "DELETE" -> {
                        mirrors.requireWritable(route.requireRepository());
                        manifests.delete(ex, route.requireRepository(), storedReference(reference));
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

    /**
     * A reference to something stored (a read or a delete). A name that is neither a tag nor a digest can name nothing
     * stored, so it is unknown, as the spec's conformance suite and Distribution answer, rather than a bad request; a
     * digest that is malformed or of an unsupported algorithm is still DIGEST_INVALID, which tells the client more.
     */
    private static Reference storedReference(String text) {
        try {
            return reference(text);
        } catch (BollardException e) {
            if (e.code() != ErrorCode.TAG_INVALID) {
                throw e;
            }
            throw new BollardException(ErrorCode.MANIFEST_UNKNOWN,
                    "manifest unknown: '" + text + "' is neither a valid tag nor a digest");
        }
    }

    /** A reference to push to: an invalid tag is the client's mistake to fix, TAG_INVALID. */
    private static Reference reference(String text) {
        try {
            return Reference.parse(text);
        } catch (InvalidDigestException e) {
            throw new BollardException(ErrorCode.DIGEST_INVALID, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new BollardException(ErrorCode.TAG_INVALID, e.getMessage(), Map.of("tag", text));
        }
    }
}
