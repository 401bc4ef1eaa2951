package dev.bollard.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.Outbox;
import dev.bollard.json.Json;
import dev.bollard.metadata.BlobDao;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ManifestDao;
import dev.bollard.metadata.ManifestRow;
import dev.bollard.metadata.ProxyDao;
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
import org.jspecify.annotations.Nullable;

/** Pushing, pulling and deleting manifests and tags; the referrers of a manifest. */
public final class Manifests {
    private static final ObjectMapper JSON = Json.MAPPER;

    private final Database db;
    private final boolean deleteEnabled;
    private final Outbox outbox;
    private volatile PushListener listener = PushListener.NONE;
    private volatile PullGate gate = PullGate.OPEN;

    Manifests(Database db, boolean deleteEnabled, Outbox outbox) {
        this.db = db;
        this.deleteEnabled = deleteEnabled;
        this.outbox = outbox;
    }

    /** Tells {@code listener} of each manifest stored from now on, in the push's transaction (scan on push). */
    public void listen(PushListener listener) {
        this.listener = listener;
    }

    /** Asks {@code gate} before each manifest pull from now on (the vulnerability pull policy). */
    public void gatePulls(PullGate gate) {
        this.gate = gate;
    }

    /** Throws {@code DENIED} when the pull gate refuses {@code actor} the pull of {@code manifest}. */
    public void checkPull(RepositoryName repository, StoredManifest manifest, Actor actor) {
        gate.check(repository, manifest, actor);
    }

    public StoredManifest get(RepositoryName repository, Reference reference) {
        return db.read(h -> find(h, Repositories.require(h, repository), reference))
                .orElseThrow(() -> unknown(repository, reference));
    }

    /** The manifest the reference names, or empty when the repository or the manifest is not stored. */
    public Optional<StoredManifest> find(RepositoryName repository, Reference reference) {
        return db.read(h -> {
            Optional<Long> repositoryId = RepositoryDao.findId(h, repository.value());
            return repositoryId.isEmpty() ? Optional.<StoredManifest>empty() : find(h, repositoryId.get(), reference);
        });
    }

    private static Optional<StoredManifest> find(Handle h, long repositoryId, Reference reference) {
        Optional<ManifestRow> row = switch (reference) {
            case Reference.ByTag t -> ManifestDao.byTag(h, repositoryId, t.tag().value());
            case Reference.ByDigest d -> ManifestDao.byDigest(h, repositoryId, d.digest().toString());
        };
        return row.map(m -> new StoredManifest(Digest.parse(m.digest()), m.mediaType(), m.content()));
    }

    /**
     * Validates and stores a manifest pushed by {@code actor}, and points the tag at it when the reference is a tag.
     * In one transaction: either the manifest, its references, the tag and the changes recorded (the push, and the
     * tag created or moved) are all stored, or nothing is. A user or robot is recorded as the tag's pusher.
     */
    public PushedManifest put(RepositoryName repository, Reference reference, @Nullable String contentType,
                              byte[] body, Actor actor) {
        return store(repository, reference, contentType, body, actor, false);
    }

    /**
     * As {@link #put}, for a manifest the proxy cache fetched from its upstream (docs/proxy-and-mirroring.md): what it
     * references need not be stored yet. An index is stored without its children (a "sparse" index: a child is fetched
     * when a client pulls it); an image's blobs that are not stored are recorded as pending and become references of
     * the manifest when the proxy stores them ({@link #recordFetchedBlob}).
     */
    public PushedManifest putFetched(RepositoryName repository, Reference reference, @Nullable String contentType,
                                     byte[] body, Actor actor) {
        return store(repository, reference, contentType, body, actor, true);
    }

    /** The proxy stored and linked blob {@code digest} in the repository: its manifests that wait for it reference it. */
    public void recordFetchedBlob(RepositoryName repository, Digest digest) {
        db.inTransaction(h -> {
            ProxyDao.resolvePending(h, Repositories.require(h, repository), digest.toString());
            return null;
        });
    }

    private PushedManifest store(RepositoryName repository, Reference reference, @Nullable String contentType,
                                 byte[] body, Actor actor, boolean fetched) {
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
        db.inTransaction(h -> {
            long repositoryId = RepositoryDao.findOrCreate(h, repository.value());
            Set<String> linked = BlobDao.linkedAmong(h, repositoryId, blobs);
            List<String> referenced = blobs;
            List<String> pending = List.of();
            if (fetched) {
                referenced = blobs.stream().filter(linked::contains).toList();
                pending = blobs.stream().filter(b -> !linked.contains(b)).toList();
            } else {
                requireAll(blobs, linked, repository, "blob");
                requireAll(children, ManifestDao.presentAmong(h, repositoryId, children), repository, "manifest");
            }
            long manifestId = ManifestDao.insertIfAbsent(h, repositoryId, digest.toString(), manifest.mediaType(),
                    manifest.effectiveArtifactType(), subject.map(Digest::toString).orElse(null), body, referenced,
                    children);
            ProxyDao.addPending(h, manifestId, pending);
            listener.stored(h, new PushListener.Pushed(manifestId, repository, digest, manifest, pending.isEmpty()));
            outbox.record(h, AuditEvent.onRepository(actor, AuditActions.PUSH, repository.value(),
                    Map.of("reference", reference.toString(), "digest", digest.toString(),
                            "mediaType", manifest.mediaType(), "size", body.length)));
            if (reference instanceof Reference.ByTag t) {
                String tag = t.tag().value();
                Optional<String> before = TagDao.digestOf(h, repositoryId, tag);
                Optional<TagPattern> rule = ImmutableTags.ruleFor(h, repositoryId, tag);
                if (!TagDao.set(h, repositoryId, tag, digest.toString(), rule.isPresent())) {
                    throw ImmutableTags.refused(repository, tag, rule.orElseThrow(), "moved");
                }
                if (actor.kind() == Actor.Kind.USER || actor.kind() == Actor.Kind.ROBOT) {
                    TagDao.recordPusher(h, repositoryId, tag, actor.name());
                }
                if (before.isEmpty()) {
                    outbox.record(h, AuditEvent.onRepository(actor, AuditActions.TAG_CREATE, repository.value(),
                            Map.of("tag", tag, "to", digest.toString())));
                } else if (!before.get().equals(digest.toString())) {
                    outbox.record(h, AuditEvent.onRepository(actor, AuditActions.TAG_MOVE, repository.value(),
                            Map.of("tag", tag, "from", before.get(), "to", digest.toString())));
                }
            }
            return null;
        });
        return new PushedManifest(digest, subject);
    }

    private static void requireAll(List<String> wanted, Set<String> present, RepositoryName repository, String kind) {
        for (String d : wanted) {
            if (!present.contains(d)) {
                throw new BollardException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "the manifest references " + kind + " "
                        + d + ", which is not known in " + repository + "; push it first", Map.of("digest", d));
            }
        }
    }

    /**
     * What a deletion took: the manifest's digest (by tag: the manifest the tag pointed at, which stays) and the tags
     * that went (by tag: that one; by digest: every tag that pointed at the manifest, in byte order).
     */
    public record Deleted(Digest digest, List<String> tags) {
        public Deleted {
            tags = List.copyOf(tags);
        }
    }

    /**
     * Deletes just the tag (by tag: the manifest stays, and the time machine can point the tag at it again), or the
     * manifest with every tag on it (by digest: final), as {@code actor}. Refused (DENIED) when an immutable-tag rule
     * protects the tag, or one of the manifest's tags. The change is recorded in the same transaction.
     */
    public Deleted delete(RepositoryName repository, Reference reference, Actor actor) {
        return delete(repository, reference, actor, List.of());
    }

    /**
     * {@link #delete(RepositoryName, Reference, Actor)}, recording {@code alsoRecorded} too, in the same transaction
     * and only when something was deleted: why a system actor deleted it (a proxy cache's eviction), never apart from
     * the deletion itself, whatever a crash interrupts.
     */
    public Deleted delete(RepositoryName repository, Reference reference, Actor actor, List<AuditEvent> alsoRecorded) {
        if (!deleteEnabled) {
            throw new BollardException(ErrorCode.UNSUPPORTED, "deleting manifests and tags is disabled on this registry");
        }
        Optional<Deleted> deleted = db.inTransaction(h -> {
            long repositoryId = Repositories.require(h, repository);
            return switch (reference) {
                case Reference.ByTag t -> {
                    String tag = t.tag().value();
                    if (TagDao.digestOf(h, repositoryId, tag).isPresent()) {
                        ImmutableTags.requireDeletable(h, repositoryId, repository, tag);
                    }
                    Optional<String> pointedAt = TagDao.delete(h, repositoryId, tag);
                    pointedAt.ifPresent(d -> {
                        outbox.record(h, AuditEvent.onRepository(actor, AuditActions.TAG_DELETE, repository.value(),
                                Map.of("tag", tag, "digest", d)));
                        alsoRecorded.forEach(e -> outbox.record(h, e));
                    });
                    yield pointedAt.map(d -> new Deleted(Digest.parse(d), List.of(tag)));
                }
                case Reference.ByDigest d -> {
                    String digest = d.digest().toString();
                    // The manifest's row first: no tag can be set on it until this transaction ends.
                    List<String> tags = List.of();
                    if (!ManifestDao.presentAmong(h, repositoryId, List.of(digest)).isEmpty()) {
                        tags = ManifestDao.tagsOn(h, repositoryId, digest);
                        for (String tag : tags) {
                            ImmutableTags.requireDeletable(h, repositoryId, repository, tag);
                        }
                    }
                    if (!ManifestDao.delete(h, repositoryId, digest)) {
                        yield Optional.<Deleted>empty();
                    }
                    outbox.record(h, AuditEvent.onRepository(actor, AuditActions.MANIFEST_DELETE, repository.value(),
                            Map.of("digest", digest, "tags", tags)));
                    alsoRecorded.forEach(e -> outbox.record(h, e));
                    yield Optional.of(new Deleted(d.digest(), tags));
                }
            };
        });
        return deleted.orElseThrow(() -> unknown(repository, reference));
    }

    /**
     * The tags that point at the manifest now, in byte order: those a deletion by digest would take with it (what
     * the UI and the API show before one). MANIFEST_UNKNOWN when the manifest is not stored.
     */
    public List<String> tagsOn(RepositoryName repository, Digest digest) {
        return db.read(h -> {
            long repositoryId = Repositories.require(h, repository);
            if (ManifestDao.storedAmong(h, repositoryId, Set.of(digest.toString())).isEmpty()) {
                throw unknown(repository, new Reference.ByDigest(digest));
            }
            return ManifestDao.tagsOn(h, repositoryId, digest.toString());
        });
    }

    /**
     * The manifests whose subject is {@code subject}, as descriptors, optionally only those of
     * {@code artifactType}. Entries of an index under the referrers tag schema ({@code sha256-<hex>}),
     * maintained by clients that predate the referrers API, are merged in.
     */
    public List<Descriptor> referrers(RepositoryName repository, Digest subject, @Nullable String artifactType) {
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
