package dev.bollard.http;

import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.oci.RepositoryName;
import dev.bollard.registry.Listings;
import dev.bollard.registry.Page;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The listing endpoints of the distribution API: a repository's tags ({@code GET /v2/<name>/tags/list}) and the
 * catalog of the repositories the caller may see ({@code GET /v2/_catalog}), page by page ({@code n}, {@code last}).
 */
final class ListingEndpoints {
    private final Listings listings;

    ListingEndpoints(Listings listings) {
        this.listings = listings;
    }

    void tags(Exchange ex, RepositoryName repository) throws IOException {
        Integer n = pageSize(ex);
        String last = ex.query("last");
        Page page = listings.tags(repository, n, last);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", repository.value());
        body.put("tags", page.items());
        sendPage(ex, "/v2/" + repository + "/tags/list", page, n, body);
    }

    void catalog(Exchange ex) throws IOException {
        Integer n = pageSize(ex);
        Page page = listings.catalog(n, ex.query("last"), ex.visible);
        sendPage(ex, "/v2/_catalog", page, n, Map.of("repositories", page.items()));
    }

    private static void sendPage(Exchange ex, String path, Page page, @Nullable Integer n, Object body) throws IOException {
        if (page.more() && page.last() != null) {
            ex.setHeader("Link", "<" + path + "?n=" + n + "&last="
                    + URLEncoder.encode(page.last(), StandardCharsets.UTF_8) + ">; rel=\"next\"");
        }
        ex.sendJson(200, body);
    }

    private static @Nullable Integer pageSize(Exchange ex) {
        String n = ex.query("n");
        if (n == null) {
            return null;
        }
        try {
            int value = Integer.parseInt(n);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BollardException(ErrorCode.PAGINATION_NUMBER_INVALID,
                "n must be a whole number from 0 to " + Integer.MAX_VALUE + ", not '" + n + "'", Map.of("n", n));
    }
}
