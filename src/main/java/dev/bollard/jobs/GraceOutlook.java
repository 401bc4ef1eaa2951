package dev.bollard.jobs;

import dev.bollard.metadata.GcDao;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/**
 * For a dry run: what only the grace period keeps now, and when each of it becomes collectible if nothing references
 * it meanwhile. Nothing that a tag (or a tag's lifetime in the time machine's window) keeps counts here.
 * <p>Each item's moment is the latest grace that protects it, followed down what keeps what: a manifest's own push,
 * or that of an index listing it or of a subject it refers to; a link's own linking, or a protected manifest that
 * references its blob; a blob's own upload, or a protected link to it. Plus the grace period.
 * <p>Beside it, what only the time machine keeps: manifests no tag names now but one named within the window, each
 * collectible once the window has passed the end of that naming (and its grace period is over).
 */
final class GraceOutlook {
    private final Instant now;
    private final Duration grace;
    /** Blobs a tag keeps (in any repository): never counted. */
    private final Set<String> keptBlobs = new HashSet<>();
    /** For each blob a protected link keeps, when the last such link lapses. */
    private final Map<String, Instant> blobUntil = new HashMap<>();
    private int manifests;
    private int links;
    private @Nullable Instant first;
    private @Nullable Instant last;
    private int remembered;
    private @Nullable Instant rememberedFirst;
    private @Nullable Instant rememberedLast;

    GraceOutlook(Instant now, Duration grace) {
        this.now = now;
        this.grace = grace;
    }

    /** Adds one repository, whose time machine's window starts at {@code windowStart}. */
    void repository(Handle h, GcDao.RepositoryRef repository, Instant windowStart) {
        List<GcDao.ManifestNode> nodes = GcDao.manifestsOf(h, repository.id());
        Map<String, List<String>> children = GcDao.childrenOf(h, repository.id());
        Map<String, List<String>> keeps = new HashMap<>(); // a manifest → what it keeps: its children and referrers
        children.forEach((index, listed) -> keeps.computeIfAbsent(index, k -> new ArrayList<>()).addAll(listed));
        Set<String> stored = new HashSet<>();
        for (GcDao.ManifestNode node : nodes) {
            stored.add(node.digest());
            if (node.subjectDigest() != null) {
                keeps.computeIfAbsent(node.subjectDigest(), k -> new ArrayList<>()).add(node.digest());
            }
        }
        Set<String> tagged = GcDao.taggedSince(h, repository.id(), windowStart);
        Map<String, Instant> untagged = GcDao.untaggedSince(h, repository.id(), windowStart);
        Set<String> taggedNow = new HashSet<>(tagged);
        taggedNow.removeAll(untagged.keySet());
        Set<String> keptNow = closure(taggedNow, stored, keeps);
        Duration window = Duration.between(windowStart, now);
        Map<String, Instant> pushedAt = new HashMap<>();
        nodes.forEach(node -> pushedAt.put(node.digest(), node.pushedAt()));
        untagged.forEach((digest, end) -> {
            Instant pushed = pushedAt.get(digest);
            if (pushed != null && !keptNow.contains(digest)) {
                remembered(later(end.plus(window), pushed.plus(grace)));
            }
        });
        Set<String> kept = closure(tagged, stored, keeps);
        Deque<String> queue = new ArrayDeque<>();
        Map<String, Instant> until = new HashMap<>();
        for (GcDao.ManifestNode node : nodes) {
            if (!kept.contains(node.digest())) {
                until.put(node.digest(), node.pushedAt().plus(grace));
                queue.add(node.digest());
            }
        }
        while (!queue.isEmpty()) { // each change moves a moment later, to one of finitely many: this ends
            String digest = queue.poll();
            Instant from = until.get(digest);
            for (String next : keeps.getOrDefault(digest, List.of())) {
                Instant to = until.get(next);
                if (to != null && from != null && from.isAfter(to)) {
                    until.put(next, from);
                    queue.add(next);
                }
            }
        }
        Map<String, List<String>> blobs = GcDao.blobsOf(h, repository.id());
        Set<String> keptHere = new HashSet<>();
        Map<String, Instant> referencedUntil = new HashMap<>();
        for (GcDao.ManifestNode node : nodes) {
            List<String> referenced = blobs.getOrDefault(node.digest(), List.of());
            Instant u = until.get(node.digest());
            if (u == null) {
                keptHere.addAll(referenced);
            } else if (u.isAfter(now)) {
                manifests++;
                moment(u);
                referenced.forEach(b -> referencedUntil.merge(b, u, GraceOutlook::later));
            }
        }
        keptBlobs.addAll(keptHere);
        GcDao.linksOf(h, repository.id()).forEach((digest, linkedAt) -> {
            if (keptHere.contains(digest)) {
                return;
            }
            Instant u = later(linkedAt.plus(grace), referencedUntil.getOrDefault(digest, Instant.MIN));
            if (u.isAfter(now)) {
                links++;
                moment(u);
                blobUntil.merge(digest, u, GraceOutlook::later);
            }
        });
    }

    /** The stored manifests among {@code roots} and everything they keep, followed down {@code keeps}. */
    private static Set<String> closure(Set<String> roots, Set<String> stored, Map<String, List<String>> keeps) {
        Set<String> kept = new HashSet<>();
        Deque<String> queue = new ArrayDeque<>();
        roots.stream().filter(stored::contains).forEach(d -> {
            if (kept.add(d)) {
                queue.add(d);
            }
        });
        while (!queue.isEmpty()) {
            for (String next : keeps.getOrDefault(queue.poll(), List.of())) {
                if (stored.contains(next) && kept.add(next)) {
                    queue.add(next);
                }
            }
        }
        return kept;
    }

    /** What only the time machine's window keeps: untagged manifests once named by a tag within it. */
    GarbageCollector.WindowKept windowKept() {
        return new GarbageCollector.WindowKept(remembered, rememberedFirst, rememberedLast);
    }

    private void remembered(Instant u) {
        if (!u.isAfter(now)) {
            return;
        }
        remembered++;
        rememberedFirst = rememberedFirst == null || u.isBefore(rememberedFirst) ? u : rememberedFirst;
        rememberedLast = rememberedLast == null || u.isAfter(rememberedLast) ? u : rememberedLast;
    }

    /** What the grace period keeps, given every stored blob. */
    GarbageCollector.GraceKept result(List<GcDao.BlobRow> stored) {
        int blobs = 0;
        long bytes = 0;
        for (GcDao.BlobRow blob : stored) {
            if (!blob.state().equals("live") || keptBlobs.contains(blob.digest())) {
                continue;
            }
            Instant u = later(blob.touchedAt().plus(grace), blobUntil.getOrDefault(blob.digest(), Instant.MIN));
            if (u.isAfter(now)) {
                blobs++;
                bytes += blob.size();
                moment(u);
            }
        }
        return new GarbageCollector.GraceKept(grace, manifests, links, blobs, bytes, first, last);
    }

    private void moment(Instant u) {
        first = first == null || u.isBefore(first) ? u : first;
        last = last == null || u.isAfter(last) ? u : last;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
