package dev.bollard.events;

import java.util.Locale;

/**
 * An event in words, for people (Slack messages, e-mail): one sentence saying who did what to which repository, with
 * the digests shortened. {@code code} wraps names and digests as code (Slack's mrkdwn, {@code `…`}); plain text
 * leaves them bare.
 */
final class EventText {
    private EventText() {
    }

    /** One sentence, e.g. "alice moved tag v1 of acme/app to sha256:9f2c1e0a7b3d (was sha256:41c…)". */
    static String sentence(RegistryEvent e, boolean code) {
        String repo = quote(e.repository() == null ? "the registry" : e.repository(), code);
        String tag = e.tag() == null ? "" : quote(e.tag(), code);
        String digest = e.digest() == null ? "" : quote(shortDigest(e.digest()), code);
        String previous = e.data().get("previous") instanceof String p ? quote(shortDigest(p), code) : null;
        String who = e.actor().isEmpty() ? e.actorKind() : e.actor();
        return who + " " + switch (e.type()) {
            case EventTypes.REPOSITORY_CREATED -> "created repository " + repo;
            case EventTypes.REPOSITORY_DELETED -> "deleted repository " + repo;
            case EventTypes.MANIFEST_PUSHED -> "pushed " + digest + " to " + repo + (tag.isEmpty() ? "" : " as " + tag);
            case EventTypes.MANIFEST_DELETED -> "deleted " + digest + " from " + repo;
            case EventTypes.TAG_CREATED -> "created tag " + tag + " of " + repo + " at " + digest;
            case EventTypes.TAG_MOVED -> "moved tag " + tag + " of " + repo + " to " + digest
                    + (previous == null ? "" : " (was " + previous + ")");
            case EventTypes.TAG_DELETED -> "deleted tag " + tag + " of " + repo;
            case EventTypes.TAG_RESTORED -> "restored tag " + tag + " of " + repo + " to " + digest;
            case EventTypes.TAG_EXPIRED -> "expired tag " + tag + " of " + repo + " (retention policy)";
            case EventTypes.WEBHOOK_PING -> "sent a test notification"
                    + (e.data().get("message") instanceof String m ? ": " + m : "");
            default -> e.type().replace('.', ' ').toLowerCase(Locale.ROOT) + " in " + repo;
        };
    }

    /** {@code sha256:} and the first 12 hex digits: enough to tell images apart in a sentence. */
    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return colon >= 0 && digest.length() > colon + 13 ? digest.substring(0, colon + 13) : digest;
    }

    private static String quote(String s, boolean code) {
        return code ? "`" + s + "`" : s;
    }
}
