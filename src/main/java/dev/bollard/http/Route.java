package dev.bollard.http;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.RepositoryName;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A request path under {@code /v2/}, resolved to what it addresses. The repository name may itself contain
 * {@code /}, so the fixed suffix ({@code /manifests/<ref>}, {@code /blobs/<digest>}, ...) is matched at the end.
 */
record Route(Kind kind, @Nullable RepositoryName repository, @Nullable String param) {

    enum Kind { BASE, CATALOG, TAGS, MANIFEST, BLOB, UPLOADS, UPLOAD, REFERRERS, NOT_FOUND }

    private static final Pattern UPLOADS = Pattern.compile("(.+)/blobs/uploads/?");
    private static final Pattern UPLOAD = Pattern.compile("(.+)/blobs/uploads/([^/]+)");
    private static final Pattern BLOB = Pattern.compile("(.+)/blobs/([^/]+)");
    private static final Pattern MANIFEST = Pattern.compile("(.+)/manifests/([^/]+)");
    private static final Pattern TAGS = Pattern.compile("(.+)/tags/list");
    private static final Pattern REFERRERS = Pattern.compile("(.+)/referrers/([^/]+)");

    /** Resolves the raw (still percent-encoded) path; throws NAME_INVALID for a route with an invalid name. */
    static Route parse(String rawPath) {
        if (!rawPath.startsWith("/v2")) {
            return notFound();
        }
        String path = Exchange.percentDecode(rawPath.substring(3));
        if (path.isEmpty() || path.equals("/")) {
            return new Route(Kind.BASE, null, null);
        }
        path = path.substring(1);
        if (path.equals("_catalog")) {
            return new Route(Kind.CATALOG, null, null);
        }
        Matcher m = UPLOADS.matcher(path);
        if (m.matches()) {
            return new Route(Kind.UPLOADS, name(m.group(1)), null);
        }
        m = UPLOAD.matcher(path);
        if (m.matches()) {
            return new Route(Kind.UPLOAD, name(m.group(1)), m.group(2));
        }
        m = BLOB.matcher(path);
        if (m.matches()) {
            return new Route(Kind.BLOB, name(m.group(1)), m.group(2));
        }
        m = MANIFEST.matcher(path);
        if (m.matches()) {
            return new Route(Kind.MANIFEST, name(m.group(1)), m.group(2));
        }
        m = TAGS.matcher(path);
        if (m.matches()) {
            return new Route(Kind.TAGS, name(m.group(1)), null);
        }
        m = REFERRERS.matcher(path);
        if (m.matches()) {
            return new Route(Kind.REFERRERS, name(m.group(1)), m.group(2));
        }
        return notFound();
    }

    /** The repository of a route that names one (all but BASE, CATALOG and NOT_FOUND). */
    RepositoryName requireRepository() {
        return Objects.requireNonNull(repository, () -> kind + " has no repository");
    }

    /** The reference, digest or upload id of a route that has one (BLOB, UPLOAD, MANIFEST, REFERRERS). */
    String requireParam() {
        return Objects.requireNonNull(param, () -> kind + " has no parameter");
    }

    private static Route notFound() {
        return new Route(Kind.NOT_FOUND, null, null);
    }

    private static RepositoryName name(String value) {
        String problem = RepositoryName.problemWith(value);
        if (problem != null) {
            throw new BollardException(ErrorCode.NAME_INVALID, problem, Map.of("name", value));
        }
        return new RepositoryName(value);
    }

}
