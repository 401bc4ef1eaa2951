package dev.bollard.events;

import java.util.List;

/**
 * The types of the registry's events, {@code <subject>.<past participle>} (docs/events.md). Each is derived from one
 * kind of change recorded in the outbox ({@link RegistryEvent#fromChange}); a feature that publishes a new kind of
 * event adds its type here and its mapping there.
 */
public final class EventTypes {
    private EventTypes() {
    }

    public static final String REPOSITORY_CREATED = "repository.created";
    public static final String REPOSITORY_DELETED = "repository.deleted";
    public static final String MANIFEST_PUSHED = "manifest.pushed";
    public static final String MANIFEST_DELETED = "manifest.deleted";
    public static final String TAG_CREATED = "tag.created";
    public static final String TAG_MOVED = "tag.moved";
    public static final String TAG_DELETED = "tag.deleted";
    public static final String TAG_RESTORED = "tag.restored";
    public static final String TAG_EXPIRED = "tag.expired";
    public static final String MIRROR_SYNC_SUCCEEDED = "mirror.sync.succeeded";
    public static final String MIRROR_SYNC_FAILED = "mirror.sync.failed";
    /** A scan of an image manifest reached a final state: done (with its grade and counts), failed or unsupported. */
    public static final String SCAN_FINISHED = "scan.finished";
    /** New vulnerability data affects a stored image: findings its last match did not have (docs/scanning.md). */
    public static final String VULNERABILITY_FOUND = "vulnerability.found";

    /** Sent only by a webhook's test ping, never published. */
    public static final String WEBHOOK_PING = "webhook.ping";

    /** Every type a webhook may subscribe to, in the order docs/events.md lists them. */
    public static final List<String> ALL = List.of(REPOSITORY_CREATED, REPOSITORY_DELETED, MANIFEST_PUSHED,
            MANIFEST_DELETED, TAG_CREATED, TAG_MOVED, TAG_DELETED, TAG_RESTORED, TAG_EXPIRED, MIRROR_SYNC_SUCCEEDED,
            MIRROR_SYNC_FAILED, SCAN_FINISHED, VULNERABILITY_FOUND);
}
