package dev.bollard.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.ManifestDao;
import dev.bollard.metadata.ManifestRow;
import dev.bollard.metadata.RepositoryDao;
import dev.bollard.metadata.RepositoryFilter;
import dev.bollard.metadata.TagDao;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Digest;
import dev.bollard.oci.Manifest;
import dev.bollard.oci.ManifestInvalidException;
import dev.bollard.oci.ManifestParser;
import dev.bollard.oci.Platform;
import dev.bollard.oci.RepositoryName;
import dev.bollard.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * What people browse: repositories with their size and last push, tags with what they point at and who pushed them,
 * and an image's manifest, configuration, layers, build history and referrers. Read-only; the caller has checked
 * that the principal may read what it asks for.
 */
public final class RepositoryBrowser {
    /** An image configuration larger than this is not shown (they are a few KiB; a huge one is not a config). */
    private static final int MAX_CONFIG_BYTES = 4 * 1024 * 1024;

    private final Database db;
    private final BlobStore store;

    RepositoryBrowser(Database db, BlobStore store) {
        this.db = db;
        this.store = store;
    }

    /**
     * A tag and the manifest it points at. {@code platforms} lists an index's entries, or an image's own platform
     * from its configuration; empty for an artifact.
     */
    public record TagSummary(String name, String digest, String mediaType, long size, List<String> platforms,
                             Instant pushedAt, @Nullable String pushedBy) {
    }

    /** One assignment in a tag's history; {@code end} null while it is the tag's current one. */
    public record TagEvent(String tag, String digest, Instant start, @Nullable Instant end,
                           @Nullable String pushedBy) {
    }

    /** A layer (or the config) of an image. */
    public record Blob(String digest, String mediaType, long size) {
    }

    /** One step of the image's build history, from its configuration. */
    public record HistoryStep(String created, String createdBy, boolean emptyLayer, String comment) {
    }

    /** An entry of an index, or a manifest that refers to this one (signatures, SBOMs, attestations). */
    public record Entry(String digest, String mediaType, long size, String platformOrType) {
    }

    /**
     * A manifest with what it says: for an image its configuration, layers and history; for an index its entries.
     * {@code size} is the manifest's bytes plus those of the config and layers (of every entry, for an index).
     */
    public record Details(String digest, String mediaType, String manifestJson, long size, String platform,
                          @Nullable Blob config, String configJson, List<Blob> layers, List<HistoryStep> history,
                          List<Entry> entries, List<Entry> referrers) {
    }

    public List<RepositoryDao.Summary> repositories(RepositoryFilter visible, String search, int limit) {
        return db.read(h -> RepositoryDao.summaries(h, visible, search, limit));
    }

    /** One repository's summary, when it exists; the caller checked that the principal may see it. */
    public Optional<RepositoryDao.Summary> repository(String name) {
        return db.read(h -> RepositoryDao.summary(h, name));
    }

    /** The repository's tags by name, with size, platforms and the push that made each what it is. */
    public List<TagSummary> tags(RepositoryName repository) {
        return db.read(h -> {
            long id = Repositories.require(h, repository);
            List<TagSummary> tags = new ArrayList<>();
            for (TagDao.CurrentTag t : TagDao.currentTags(h, id)) {
                Optional<ManifestRow> row = ManifestDao.byDigest(h, id, t.digest());
                if (row.isEmpty()) {
                    continue;
                }
                Optional<Manifest> parsed = parse(row.get());
                List<String> platforms = new ArrayList<>();
                if (parsed.isPresent() && parsed.get() instanceof Manifest.Index index) {
                    for (Descriptor d : index.manifests()) {
                        if (d.platform() != null && !"unknown".equals(d.platform().os())) {
                            platforms.add(d.platform().toString());
                        }
                    }
                } else if (parsed.isPresent() && parsed.get() instanceof Manifest.Image image) {
                    // An image names its platform in its configuration (a few KiB): linux/amd64, linux/arm64/v8.
                    String platform = platformOf(readConfig(image.config()));
                    if (!platform.isEmpty()) {
                        platforms.add(platform);
                    }
                }
                tags.add(new TagSummary(t.name(), t.digest(), row.get().mediaType(), totalSize(h, id, row.get(), 0),
                        platforms, t.since(), t.pushedBy()));
            }
            return tags;
        });
    }

    /** Every assignment of the repository's tags, newest first, at most {@code limit}. */
    public List<TagEvent> history(RepositoryName repository, @Nullable String tag, int limit) {
        return db.read(h -> TagDao.history(h, Repositories.require(h, repository), tag, null, limit).stream()
                .map(e -> new TagEvent(e.tag(), e.digest(), e.start(), e.end(), e.pushedBy())).toList());
    }

    /** The manifest {@code digest} of the repository, with what it says; empty when it is not there. */
    public Optional<Details> details(RepositoryName repository, Digest digest, List<Descriptor> referrers) {
        return db.read(h -> {
            long id = Repositories.require(h, repository);
            return ManifestDao.byDigest(h, id, digest.toString()).map(row -> details(h, id, row, referrers));
        });
    }

    /** The digest a tag points at, if the tag exists. */
    public Optional<Digest> resolve(RepositoryName repository, String tag) {
        return db.read(h -> TagDao.digestOf(h, Repositories.require(h, repository), tag)).map(Digest::parse);
    }

    private Details details(Handle h, long repositoryId, ManifestRow row, List<Descriptor> referrers) {
        String pretty = prettyJson(row.content());
        List<Entry> refs = referrers.stream().map(d -> new Entry(d.digest().toString(), d.mediaType(), d.size(),
                d.artifactType() == null ? "" : d.artifactType())).toList();
        Optional<Manifest> parsed = parse(row);
        long size = totalSize(h, repositoryId, row, 0);
        if (parsed.isEmpty()) {
            return new Details(row.digest(), row.mediaType(), pretty, size, "", null, "", List.of(), List.of(),
                    List.of(), refs);
        }
        return switch (parsed.get()) {
            case Manifest.Index index -> {
                List<Entry> entries = new ArrayList<>();
                for (Descriptor d : index.manifests()) {
                    Platform p = d.platform();
                    entries.add(new Entry(d.digest().toString(), d.mediaType(), d.size(),
                            p == null ? (d.artifactType() == null ? "" : d.artifactType()) : p.toString()));
                }
                yield new Details(row.digest(), row.mediaType(), pretty, size, "", null, "", List.of(), List.of(),
                        entries, refs);
            }
            case Manifest.Image image -> {
                Blob config = blob(image.config());
                JsonNode configJson = readConfig(image.config());
                List<HistoryStep> history = new ArrayList<>();
                String platform = "";
                if (configJson != null) {
                    for (JsonNode step : configJson.path("history")) {
                        history.add(new HistoryStep(step.path("created").asText(""), step.path("created_by").asText(""),
                                step.path("empty_layer").asBoolean(false), step.path("comment").asText("")));
                    }
                    platform = platformOf(configJson);
                }
                yield new Details(row.digest(), row.mediaType(), pretty, size, platform, config,
                        configJson == null ? "" : prettyJson(configJson), image.layers().stream().map(this::blob)
                        .toList(), history, List.of(), refs);
            }
        };
    }

    /** The manifest's bytes plus what it references: config and layers, or (for an index) each entry's total. */
    private long totalSize(Handle h, long repositoryId, ManifestRow row, int depth) {
        Optional<Manifest> parsed = parse(row);
        long size = row.size();
        if (parsed.isEmpty()) {
            return size;
        }
        switch (parsed.get()) {
            case Manifest.Image image -> {
                size += image.config().size();
                for (Descriptor l : image.layers()) {
                    size += l.size();
                }
            }
            case Manifest.Index index -> {
                if (depth < 2) {
                    for (Descriptor d : index.manifests()) {
                        size += ManifestDao.byDigest(h, repositoryId, d.digest().toString())
                                .map(child -> totalSize(h, repositoryId, child, depth + 1)).orElse(d.size());
                    }
                }
            }
        }
        return size;
    }

    private Blob blob(Descriptor d) {
        return new Blob(d.digest().toString(), d.mediaType(), d.size());
    }

    /** os/architecture[/variant] of an image's configuration; empty when it does not say (an artifact's). */
    private static String platformOf(@Nullable JsonNode config) {
        if (config == null || !config.hasNonNull("os") || !config.hasNonNull("architecture")) {
            return "";
        }
        return config.get("os").asText() + "/" + config.get("architecture").asText()
                + (config.hasNonNull("variant") ? "/" + config.get("variant").asText() : "");
    }

    /** The image configuration as JSON; null when it is missing, too large or not JSON. */
    private @Nullable JsonNode readConfig(Descriptor config) {
        if (config.size() > MAX_CONFIG_BYTES) {
            return null;
        }
        try (SeekableByteChannel channel = store.open(config.digest());
             InputStream in = Channels.newInputStream(channel)) {
            JsonNode node = Json.MAPPER.readTree(in.readNBytes(MAX_CONFIG_BYTES));
            return node != null && node.isObject() ? node : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Optional<Manifest> parse(ManifestRow row) {
        try {
            return Optional.of(ManifestParser.parse(row.content(), row.mediaType()));
        } catch (ManifestInvalidException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String prettyJson(byte[] content) {
        try {
            return prettyJson(Json.MAPPER.readTree(content));
        } catch (IOException e) {
            return new String(content, StandardCharsets.UTF_8);
        }
    }

    private static String prettyJson(JsonNode node) {
        try {
            return Json.PRETTY.writeValueAsString(node);
        } catch (IOException e) {
            return node.toString();
        }
    }
}
