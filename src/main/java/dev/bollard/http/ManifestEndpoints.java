package dev.bollard.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bollard.audit.Audit;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.json.Json;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.MediaTypes;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.proxy.ProxyCache;
import dev.bollard.registry.BodyReading;
import dev.bollard.registry.Manifests;
import dev.bollard.registry.PullStats;
import dev.bollard.registry.PushedManifest;
import dev.bollard.registry.StoredManifest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The manifest endpoints of the distribution API: {@code GET}, {@code HEAD}, {@code PUT} and {@code DELETE
 * /v2/<name>/manifests/<reference>}, and the manifests that refer to one, {@code GET /v2/<name>/referrers/<digest>}.
 * A manifest fetched is a pull, which goes to the audit log from here.
 */
final class ManifestEndpoints {
    /** Says that a proxy organization served what it cached without the upstream's confirmation, and why. */
    static final String STALE = "Bollard-Proxy-Stale";
    private final Manifests manifests;
    private final PullStats pulls;
    private final ProxyCache proxy;
    private final long maxManifestBytes;
    private final Audit audit;

    ManifestEndpoints(Manifests manifests, PullStats pulls, ProxyCache proxy, long maxManifestBytes, Audit audit) {
        this.manifests = manifests;
        this.pulls = pulls;
        this.proxy = proxy;
        this.maxManifestBytes = maxManifestBytes;
        this.audit = audit;
    }

    /** {@code GET} and {@code HEAD}. */
    void get(Exchange ex, RepositoryName repository, Reference reference) {
        ProxyCache.Pulled pulled = proxy.manifest(repository, reference);
        StoredManifest manifest = pulled.manifest();
        // The vulnerability pull policy: after access control, before anything is sent (HEAD too: a client that
        // resolves a tag with HEAD is told at once).
        manifests.checkPull(repository, manifest, ex.actor());
        if (pulled.stale() != null) {
            ex.setHeader(STALE, pulled.stale());
        }
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
            // Counted in memory, added to the database's pull counts in batches (PullStats): no write per pull.
            pulls.record(repository, reference instanceof Reference.ByTag t ? t.tag().value() : null,
                    manifest.digest().toString(), Instant.now());
        }
    }

    void put(Exchange ex, RepositoryName repository, Reference reference) throws IOException {
        proxy.requireWritable(repository);
        byte[] body = readLimited(ex, maxManifestBytes);
        PushedManifest pushed = manifests.put(repository, reference, ex.header("Content-Type"), body, ex.actor());
        ex.setHeader("Location", "/v2/" + repository + "/manifests/" + pushed.digest());
        ex.setHeader("Docker-Content-Digest", pushed.digest().toString());
        pushed.subject().ifPresent(s -> ex.setHeader("OCI-Subject", s.toString()));
        ex.sendEmpty(201);
    }

    void delete(Exchange ex, RepositoryName repository, Reference reference) {
        manifests.delete(repository, reference, ex.actor());
        ex.sendEmpty(202);
    }

    /** {@code GET /v2/<name>/referrers/<digest>}: an image index of the manifests whose subject is the digest. */
    void referrers(Exchange ex, RepositoryName repository, Digest subject) throws IOException {
        String artifactType = ex.query("artifactType");
        List<Descriptor> found = manifests.referrers(repository, subject, artifactType);
        ObjectNode index = Json.MAPPER.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode entries = index.putArray("manifests");
        for (Descriptor d : found) {
            ObjectNode entry = entries.addObject();
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
        ex.sendBytes(200, MediaTypes.OCI_INDEX, Json.MAPPER.writeValueAsBytes(index));
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
}
