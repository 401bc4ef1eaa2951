package dev.bollard.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ManifestDao;
import dev.bollard.metadata.ManifestRow;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.TagDao;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.Reference;
import dev.bollard.oci.RepositoryName;
import dev.bollard.oci.Tag;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/** Pushing, pulling and deleting manifests and tags; the referrers of a manifest. */
public final class Manifests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database db;
    private final boolean deleteEnabled;

    Manifests(Database db, boolean deleteEnabled) {
        this.db = db;
        this.deleteEnabled = deleteEnabled;
    }

    public StoredManifest get(RepositoryName repository, Reference reference) {
        return db.read(h -> {
            long repositoryId = Repositories.require(h, repository);
            Optional<ManifestRow> row = switch (reference) {
                case Reference.ByTag t -> ManifestDao.byTag(h, repositoryId, t.tag().value());
                case Reference.ByDigest d -> ManifestDao.byDigest(h, repositoryId, d.digest().toString());
            };
            ManifestRow m = row.orElseThrow(() -> unknown(repository, reference));
            return new StoredManifest(Digest.parse(m.digest()), m.mediaType(), m.content());
        });
    }

    /**
     * Validates and stores a manifest, and points the tag at it when the reference is a tag. In one transaction:
     * either the manifest, its references and the tag are all stored, or nothing is.
     */
    public PushedManifest put(RepositoryName repository, Reference reference, String contentType, byte[] body) {
        return put(repository, reference, contentType, body, null);
    }

    /** As {@link #put(RepositoryName, Reference, String, byte[])}, recording {@code pushedBy} in the tag's history. */
    public PushedManifest put(RepositoryName repository, Reference reference, String contentType, byte[] body,
                              String pushedBy) {
        Manifest manifest;
        try {
            manifest = ManifestParser.parse(body, contentType);
        } catch (ManifestInvalidException e) {
            throw new BollardException(ErrorCode.MANIFEST_INVALID, e.getMessage());
        }
        Digest digest;
        if (reference instanceof Reference.ByDigest byDigest) {
            digest = Digest.compute(byDigest.digest().algorithm(), body);
            if (!digest.equals(byDigest.digest())) {
                throw new BollardException(ErrorCode.DIGEST_INVALID, "the manifest's digest is " + digest
                        + ", not " + byDigest.digest() + " as the URL says");
            }
        } else {
            digest = Digest.sha256(body);
        }
        List<String> blobs = new ArrayList<>();
        List<String> children = new ArrayList<>();
        switch (manifest) {
            case Manifest.Image image -> image.requiredBlobs().forEach(d -> blobs.add(d.digest().toString()));
            case Manifest.Index index -> index.manifests().forEach(d -> children.add(d.digest().toString()));
        }
        Optional<Digest> subject = manifest.subject().map(Descriptor::digest);
        Optional<String> previous = db.inTransaction(h -> {
            long repositoryId = RepositoryDao.findOrCreate(h, repository.value());
            requireAll(blobs, BlobDao.linkedAmong(h, repositoryId, blobs), repository, "blob");
            requireAll(children, ManifestDao.presentAmong(h, repositoryId, children), repository, "manifest");
            ManifestDao.insertIfAbsent(h, repositoryId, digest.toString(), manifest.mediaType(),
                    manifest.effectiveArtifactType(), subject.map(Digest::toString).orElse(null), body, blobs, children);
            Optional<String> before = Optional.empty();
            if (reference instanceof Reference.ByTag t) {
                before = TagDao.digestOf(h, repositoryId, t.tag().value());
                Optional<TagPattern> rule = ImmutableTags.ruleFor(h, repositoryId, t.tag().value());
                if (!TagDao.set(h, repositoryId, t.tag().value(), digest.toString(), rule.isPresent())) {
                    throw ImmutableTags.refused(repository, t.tag().value(), rule.orElseThrow(), "moved");
                }
                if (pushedBy != null) {
                    TagDao.recordPusher(h, repositoryId, t.tag().value(), pushedBy);
                }
            }
            return before;
        });
        return new PushedManifest(digest, subject, previous);
    }

    private static void requireAll(List<String> wanted, Set<String> present, RepositoryName repository, String kind) {
        for (String d : wanted) {
            if (!present.contains(d)) {
                throw new BollardException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "the manifest references " + kind + " "
                        + d + ", which is not known in " + repository + "; push it first", Map.of("digest", d));
            }
        }
    }

    /** Deletes a manifest with every tag on it (by digest), or just the tag (by tag). */
    public void delete(RepositoryName repository, Reference reference) {
        if (!deleteEnabled) {
            throw new BollardException(ErrorCode.UNSUPPORTED, "deleting manifests and tags is disabled on this registry");
        }
        boolean deleted = db.inTransaction(h -> {
            long repositoryId = Repositories.require(h, repository);
            return switch (reference) {
                case Reference.ByTag t -> {
                    if (TagDao.digestOf(h, repositoryId, t.tag().value()).isPresent()) {
                        ImmutableTags.requireDeletable(h, repositoryId, repository, t.tag().value());
                    }
                    yield TagDao.delete(h, repositoryId, t.tag().value());
                }
                case Reference.ByDigest d -> {
                    // The manifest's row first: no tag can be set on it until this transaction ends.
                    if (!ManifestDao.presentAmong(h, repositoryId, List.of(d.digest().toString())).isEmpty()) {
                        for (String tag : ManifestDao.tagsOn(h, repositoryId, d.digest().toString())) {
                            ImmutableTags.requireDeletable(h, repositoryId, repository, tag);
                        }
                    }
                    yield ManifestDao.delete(h, repositoryId, d.digest().toString());
                }
            };
        });
        if (!deleted) {
            throw unknown(repository, reference);
        }
    }

    /**
     * The manifests whose subject is {@code subject}, as descriptors, optionally only those of
     * {@code artifactType}. Entries of an index under the referrers tag schema ({@code sha256-<hex>}),
     * maintained by clients that predate the referrers API, are merged in.
     */
    public List<Descriptor> referrers(RepositoryName repository, Digest subject, String artifactType) {
        Map<Digest, Descriptor> found = new LinkedHashMap<>();
        db.read(h -> {
            long repositoryId = Repositories.require(h, repository);
            for (ManifestRow row : ManifestDao.referrers(h, repositoryId, subject.toString())) {
                Digest d = Digest.parse(row.digest());
                found.put(d, new Descriptor(row.mediaType(), d, row.size(), row.artifactType(),
                        annotationsOf(row.content()), null, null));
            }
            mergeFallbackTag(h, repositoryId, subject, found);
            return null;
        });
        List<Descriptor> result = new ArrayList<>();
        for (Descriptor d : found.values()) {
            if (artifactType == null || artifactType.equals(d.artifactType())) {
                result.add(d);
            }
        }
        return result;
    }

    private static void mergeFallbackTag(Handle h, long repositoryId, Digest subject, Map<Digest, Descriptor> found) {
        Optional<ManifestRow> index = ManifestDao.byTag(h, repositoryId, Tag.referrersFallback(subject).value());
        if (index.isEmpty()) {
            return;
        }
        try {
            Manifest parsed = ManifestParser.parse(index.get().content(), index.get().mediaType());
            if (parsed instanceof Manifest.Index i) {
                for (Descriptor d : i.manifests()) {
                    found.putIfAbsent(d.digest(), d);
                }
            }
        } catch (ManifestInvalidException e) {
            // A tag of that name that is not an index is not a referrers list; leave it out.
        }
    }

    private static Map<String, String> annotationsOf(byte[] content) {
        try {
            JsonNode annotations = JSON.readTree(content).get("annotations");
            if (annotations == null || !annotations.isObject()) {
                return Map.of();
            }
            Map<String, String> map = new HashMap<>();
            annotations.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
            return map;
        } catch (IOException e) {
            return Map.of();
        }
    }

    private static BollardException unknown(RepositoryName repository, Reference reference) {
        return new BollardException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not known in "
                + repository, Map.of("reference", reference.toString()));
    }
}
