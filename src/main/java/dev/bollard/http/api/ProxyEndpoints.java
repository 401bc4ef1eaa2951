package dev.bollard.http.api;

import static dev.bollard.auth.Permission.ORG_ADMIN;
import static dev.bollard.auth.Permission.SUPERUSER;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.error.BollardException;
import dev.bollard.proxy.ProxyLimits;
import dev.bollard.proxy.ProxyOrganizations;
import dev.bollard.proxy.Upstream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Proxy organizations (docs/proxy-and-mirroring.md): an organization's upstream registry. Its administrators may see
 * it; setting it is for superusers, since the upstream URL is where the registry itself connects to (a way into the
 * registry's network). The password is write-only: answers say whether there is one.
 */
final class ProxyEndpoints implements ApiEndpoints {
    private final ApiServices services;

    ProxyEndpoints(ApiServices services) {
        this.services = services;
    }

    @Override
    public List<ApiRoute> routes() {
        String one = PREFIX + "/organizations/{org}/proxy";
        return List.of(
                ApiRoute.get(PREFIX + "/proxies", SUPERUSER, "List the proxy organizations and their upstreams",
                        this::list),
                ApiRoute.get(one, ORG_ADMIN, "Describe an organization's upstream (the password never)", this::get),
                ApiRoute.put(one, SUPERUSER, "Make an organization a proxy of an upstream registry, or replace its "
                        + "upstream: {url, prefix?, library_names?, username?, password?, ca_bundle?, "
                        + "tag_check_seconds?, fallback_urls?, cache_max_bytes?, cache_expiry_days?, rate_limit_per_second?, "
                        + "rate_limit_per_minute?}", this::put),
                ApiRoute.patch(one, SUPERUSER, "Change an organization's upstream: the fields of PUT, an absent one "
                        + "kept (credentials: username null for anonymous pulls)", this::patch),
                ApiRoute.delete(one, SUPERUSER, "Make a proxy organization an ordinary one (what it cached stays)",
                        this::delete));
    }

    private ProxyOrganizations proxies() {
        return services.proxies();
    }

    private void list(ApiCall call) throws IOException {
        call.sendAll(proxies().list(), Upstream::namespace, Upstream::describe);
    }

    private void get(ApiCall call) throws IOException {
        call.send(200, proxies().get(call.param("org")).describe());
    }

    private void put(ApiCall call) throws IOException {
        ProxyOrganizations.Spec spec = new ProxyOrganizations.Spec(call.text("url"), orEmpty(call.optionalText("prefix")),
                call.optionalBoolean("library_names"), call.optionalText("username"), call.optionalText("password"),
                call.optionalText("ca_bundle"), interval(call.body(), ProxyOrganizations.DEFAULT_TAG_CHECK),
                call.optionalStrings("fallback_urls"), limits(call.body(), ProxyLimits.NONE));
        call.send(200, proxies().set(call.actor(), call.param("org"), spec).describe());
    }

    private void patch(ApiCall call) throws IOException {
        Upstream was = proxies().get(call.param("org"));
        JsonNode body = call.body();
        String username = body.has("username") ? call.optionalText("username") : was.username();
        ProxyOrganizations.Spec spec = new ProxyOrganizations.Spec(
                body.has("url") ? call.text("url") : was.url().toString(),
                body.has("prefix") ? orEmpty(call.optionalText("prefix")) : was.prefix(),
                body.has("library_names") ? call.optionalBoolean("library_names") : Boolean.valueOf(was.libraryNames()),
                username, call.optionalText("password"),
                body.has("ca_bundle") ? call.optionalText("ca_bundle") : was.caBundle(),
                interval(body, was.tagCheckInterval()),
                body.has("fallback_urls") ? call.optionalStrings("fallback_urls")
                        : was.fallbacks().stream().map(URI::toString).toList(),
                limits(body, was.limits()));
        call.send(200, proxies().set(call.actor(), call.param("org"), spec).describe());
    }

    private void delete(ApiCall call) {
        proxies().delete(call.actor(), call.param("org"));
        call.noContent();
    }

    private static String orEmpty(@Nullable String s) {
        return s == null ? "" : s;
    }

    /** The limits in the body; a field that is absent keeps {@code was}'s, null removes it. */
    private static ProxyLimits limits(JsonNode body, ProxyLimits was) {
        Long maxBytes = whole(body, "cache_max_bytes", was.cacheMaxBytes());
        Long expiry = whole(body, "cache_expiry_days", toLong(was.cacheExpiryDays()));
        Long perSecond = whole(body, "rate_limit_per_second", toLong(was.ratePerSecond()));
        Long perMinute = whole(body, "rate_limit_per_minute", toLong(was.ratePerMinute()));
        return new ProxyLimits(maxBytes, toInt(expiry, "cache_expiry_days"), toInt(perSecond, "rate_limit_per_second"),
                toInt(perMinute, "rate_limit_per_minute"));
    }

    private static @Nullable Long whole(JsonNode body, String field, @Nullable Long otherwise) {
        if (!body.has(field)) {
            return otherwise;
        }
        JsonNode n = body.get(field);
        if (n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw BollardException.invalid("the field \"" + field + "\" must be a whole number or null");
        }
        return n.asLong();
    }

    private static @Nullable Long toLong(@Nullable Integer i) {
        return i == null ? null : Long.valueOf(i);
    }

    private static @Nullable Integer toInt(@Nullable Long l, String field) {
        if (l == null) {
            return null;
        }
        if (l > Integer.MAX_VALUE || l < Integer.MIN_VALUE) {
            throw BollardException.invalid("the field \"" + field + "\" is too large");
        }
        return l.intValue();
    }

    private static Duration interval(JsonNode body, Duration otherwise) {
        JsonNode n = body.get("tag_check_seconds");
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.canConvertToLong() || !n.isIntegralNumber()) {
            throw BollardException.invalid("the field \"tag_check_seconds\" must be a whole number of seconds");
        }
        return Duration.ofSeconds(n.asLong());
    }
}
