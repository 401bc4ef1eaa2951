package dev.bollard.proxy;

import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.MediaTypes;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import dev.bollard.registry.Registry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The referrers of what the proxy cache fetched — signatures, SBOMs, attestations — fetched with it, so that they are
 * here when the upstream is not (docs/proxy-and-mirroring.md). Through the upstream's OCI referrers API when it offers
 * one: each listed manifest is stored with its subject, so Bollard's own referrers API lists it. Else (Distribution
 * 2.8, and registries that cosign writes tags into) through the tag schemas: {@code sha256-<hex>.sig}, {@code .att},
 * {@code .sbom} (cosign) and {@code sha256-<hex>} (the OCI fallback index), stored under the same tags.
 * <p>
 * It runs after the pull that stored the subject, on its own virtual thread: a pull never waits for it, and a failure
 * only means the referrers are fetched on demand when a client asks for them while the upstream is up.
 */
final class ProxyReferrers {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyReferrers.class);
    /** Referrers of referrers (a signature of an SBOM) are followed this deep. */
    private static final int DEPTH = 2;
    /** Cosign's tag suffixes, and none: the OCI referrers tag schema's index. */
    private static final List<String> TAG_SUFFIXES = List.of(".sig", ".att", ".sbom", "");

    private final Registry registry;
    private final Counter fetched;
    /** Records a referrer as pulled when it is fetched: eviction does not take it before the image it refers to. */
    private final BiConsumer<RepositoryName, Digest> pulled;
    /** Subjects whose referrers are being fetched: a second pull of the same image does not start another fetch. */
    private final Set<String> running = ConcurrentHashMap.newKeySet();

    ProxyReferrers(Registry registry, MeterRegistry meters, BiConsumer<RepositoryName, Digest> pulled) {
        this.registry = registry;
        this.pulled = pulled;
        this.fetched = Counter.builder("bollard.proxy.upstream.fetches").tag("kind", "referrer")
                .description("fetches from proxy organizations' upstreams").register(meters);
    }

    /** Fetches the referrers of {@code subject}, just stored in {@code repository}, in the background. */
    void fetchLater(List<UpstreamClient> clients, RepositoryName repository, String remote, Digest subject) {
        String key = repository.value() + "@" + subject;
        if (!running.add(key)) {
            return;
        }
        Thread.ofVirtual().name("bollard-proxy-referrers").start(() -> {
            try {
                fetch(clients, repository, remote, subject, 0);
            } catch (UpstreamFailure | RuntimeException e) {
                LOG.info("the referrers of {}@{} were not fetched from the upstream: {}", repository, subject,
                        e.getMessage());
            } finally {
                running.remove(key);
            }
        });
    }

    private void fetch(List<UpstreamClient> clients, RepositoryName repository, String remote, Digest subject,
                       int depth) throws UpstreamFailure {
        if (depth >= DEPTH) {
            return;
        }
        Optional<byte[]> listed = ProxyCache.first(clients, c -> c.referrers(remote, subject));
        if (listed.isPresent()) {
            if (parse(listed.get(), MediaTypes.OCI_INDEX) instanceof Manifest.Index index) {
                for (Descriptor d : index.manifests()) {
                    if (!stored(repository, new Reference.ByDigest(d.digest()))) {
                        store(clients, repository, remote, new Reference.ByDigest(d.digest()), d.digest());
                    }
                    fetch(clients, repository, remote, d.digest(), depth + 1);
                }
            }
            return;
        }
        for (String suffix : TAG_SUFFIXES) {
            Reference tag = new Reference.ByTag(new Tag(Tag.referrersFallback(subject).value() + suffix));
            UpstreamClient.ManifestHead head;
            try {
                head = ProxyCache.first(clients, c -> c.headManifest(remote, tag.toString()));
            } catch (UpstreamFailure e) {
                if (e.reason() == UpstreamFailure.Reason.NOT_FOUND) {
                    continue;
                }
                throw e;
            }
            Optional<Digest> local = registry.manifests().find(repository, tag).map(m -> m.digest());
            if (local.isEmpty() || !local.get().equals(head.digest())) {
                store(clients, repository, remote, tag, head.digest());
            }
        }
    }

    /** Fetches one referrer manifest (verified against {@code digest}) and its blobs, and stores it. */
    private void store(List<UpstreamClient> clients, RepositoryName repository, String remote, Reference reference,
                       Digest digest) throws UpstreamFailure {
        UpstreamClient.FetchedManifest m = ProxyCache.first(clients, c -> c.getManifest(remote, digest.toString()));
        Digest actual = Digest.compute(digest.algorithm(), m.body());
        if (!actual.equals(digest)) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "the referrer " + remote + "@" + digest
                    + " from the upstream has digest " + actual);
        }
        if (parse(m.body(), m.mediaType()) instanceof Manifest.Image image) {
            for (Descriptor blob : image.requiredBlobs()) {
                if (!blob.isExternal() && registry.blobs().find(repository, blob.digest()).isEmpty()) {
                    storeBlob(clients, repository, remote, blob.digest());
                }
            }
        }
        registry.manifests().putFetched(repository, reference, m.mediaType(), m.body(), ProxyCache.ACTOR);
        pulled.accept(repository, digest);
        fetched.increment();
        LOG.debug("stored referrer {} of {} as {}", digest, repository, reference);
    }

    private void storeBlob(List<UpstreamClient> clients, RepositoryName repository, String remote, Digest digest)
            throws UpstreamFailure {
        UpstreamClient.BlobBody body = ProxyCache.first(clients, c -> c.getBlob(remote, digest));
        try (InputStream in = body.body()) {
            registry.uploads().uploadWhole(repository, digest, in, body.size() < 0 ? null : body.size());
        } catch (IOException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.UNREACHABLE, "the blob " + digest + " of a referrer "
                    + "broke off (nothing was stored): " + e.getMessage(), null, e);
        }
        registry.manifests().recordFetchedBlob(repository, digest);
    }

    private boolean stored(RepositoryName repository, Reference reference) {
        return registry.manifests().find(repository, reference).isPresent();
    }

    private static Manifest parse(byte[] body, String mediaType) throws UpstreamFailure {
        try {
            return ManifestParser.parse(body, mediaType);
        } catch (ManifestInvalidException e) {
            throw new UpstreamFailure(UpstreamFailure.Reason.INVALID, "a referrer from the upstream is not valid: "
                    + e.getMessage());
        }
    }
}
