package dev.bollard.oci;

/** What follows {@code /manifests/} in a URL: a tag or a digest. */
public sealed interface Reference permits Reference.ByTag, Reference.ByDigest {

    record ByTag(Tag tag) implements Reference {
        @Override
        public String toString() {
            return tag.value();
        }
    }

    record ByDigest(Digest digest) implements Reference {
        @Override
        public String toString() {
            return digest.toString();
        }
    }

    /**
     * Parses a reference: anything with a colon must be a valid digest, anything else a valid tag.
     * Throws {@link InvalidDigestException} for a bad digest, {@link IllegalArgumentException} for a bad tag.
     */
    static Reference parse(String text) {
        if (text != null && text.indexOf(':') >= 0) {
            return new ByDigest(Digest.parse(text));
        }
        return new ByTag(new Tag(text));
    }
}
