package dev.bollard.proxy;

import dev.bollard.oci.RepositoryName;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The upstream of a proxy organization as the API shows it (the password never: only whether there is one).
 * {@code prefix}: a namespace on the upstream that the organization's repositories are under ({@code org/x} is
 * {@code prefix/x} upstream), empty for none; {@code libraryNames}: a single-segment name is Docker Hub's official
 * image, {@code library/<name>} (on by default for Docker Hub); {@code fallbacks}: further URLs of the same content,
 * tried in order when the first fails.
 */
public record Upstream(String namespace, URI url, String prefix, boolean libraryNames, @Nullable String username,
                       boolean hasPassword, @Nullable String caBundle, Duration tagCheckInterval, List<URI> fallbacks,
                       String createdBy, Instant createdAt, Instant updatedAt, ProxyLimits limits) {
    /** Hosts of Docker Hub, whose official images are under {@code library/}. */
    static final Set<String> DOCKER_HUB = Set.of("docker.io", "registry-1.docker.io", "index.docker.io",
            "registry.hub.docker.com");

    public Upstream {
        fallbacks = List.copyOf(fallbacks);
    }

    /** The name upstream of a repository of this organization ({@code hub/alpine} → {@code library/alpine}). */
    public String upstreamRepository(RepositoryName local) {
        String rest = local.value().substring(namespace.length() + 1);
        if (!prefix.isEmpty()) {
            return prefix + "/" + rest;
        }
        if (libraryNames && rest.indexOf('/') < 0) {
            return "library/" + rest;
        }
        return rest;
    }

    /** Every URL to try, the primary first. */
    public List<URI> urls() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(url), fallbacks.stream()).toList();
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("organization", namespace);
        m.put("url", url.toString());
        m.put("prefix", prefix);
        m.put("library_names", libraryNames);
        m.put("username", username);
        m.put("has_password", hasPassword);
        m.put("ca_bundle", caBundle);
        m.put("tag_check_seconds", tagCheckInterval.toSeconds());
        m.put("fallback_urls", fallbacks.stream().map(URI::toString).toList());
        limits.describeInto(m);
        m.put("created_by", createdBy);
        m.put("created_at", createdAt.toString());
        m.put("updated_at", updatedAt.toString());
        return m;
    }
}
