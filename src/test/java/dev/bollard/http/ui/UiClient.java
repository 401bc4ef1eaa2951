package dev.bollard.http.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A browser without JavaScript, at the HTTP level: keeps cookies by hand (to see their attributes), follows no
 * redirects, and sends forms with the CSRF token of the last page it read, as a browser on the site would.
 */
final class UiClient {
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    final Map<String, String> cookies = new LinkedHashMap<>();
    /** The Set-Cookie headers of the last response. */
    List<String> lastSetCookies = List.of();
    String csrf;

    UiClient(URI base) {
        this.base = base;
    }

    /**
     * The page at {@code path} once its body satisfies {@code ready} (what the page waits for runs in the background:
     * a scan on push, a rescan, a mirror's sync), read every 200 ms for 60 s at most.
     */
    String awaitPage(String path, java.util.function.Predicate<String> ready) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String body = "";
        while (System.nanoTime() < deadline) {
            body = get(path).body();
            if (ready.test(body)) {
                return body;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the page " + path + " never got there:\n" + body);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), null);
    }

    /** POSTs a form with this client's CSRF token (unless the form names its own {@code _csrf}) from this site. */
    HttpResponse<String> post(String path, String... nameValues) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        if (csrf != null) {
            form.put("_csrf", csrf);
        }
        for (int i = 0; i < nameValues.length; i += 2) {
            form.put(nameValues[i], nameValues[i + 1]);
        }
        return postRaw(path, form, base.getScheme() + "://" + base.getAuthority());
    }

    HttpResponse<String> postRaw(String path, Map<String, String> form, String origin)
            throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> {
            if (v != null) {
                body.append(body.isEmpty() ? "" : "&").append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        return send(b, origin);
    }

    private HttpResponse<String> send(HttpRequest.Builder b, String origin) throws IOException, InterruptedException {
        if (!cookies.isEmpty()) {
            StringBuilder c = new StringBuilder();
            cookies.forEach((k, v) -> c.append(c.isEmpty() ? "" : "; ").append(k).append('=').append(v));
            b.header("Cookie", c.toString());
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        lastSetCookies = r.headers().allValues("Set-Cookie");
        for (String set : lastSetCookies) {
            String pair = set.split(";", 2)[0];
            int eq = pair.indexOf('=');
            String name = pair.substring(0, eq);
            String value = pair.substring(eq + 1);
            if (value.isEmpty() || set.contains("Max-Age=0")) {
                cookies.remove(name);
            } else {
                cookies.put(name, value);
            }
        }
        Matcher m = CSRF.matcher(r.body());
        if (m.find()) {
            csrf = m.group(1);
        }
        return r;
    }

    /** Signs in through the form; asserts it worked. */
    UiClient signIn(String user, String password) throws IOException, InterruptedException {
        get("/signin");
        HttpResponse<String> r = post("/signin", "username", user, "password", password, "next", "/");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
        assertThat(cookies).containsKey(UiHandler.SESSION_COOKIE);
        get("/");
        return this;
    }
}
