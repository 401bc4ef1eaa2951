package dev.bollard.http.api;

import static dev.bollard.auth.Permission.AUTHENTICATED;
import static dev.bollard.http.api.ManagementApi.PREFIX;

import dev.bollard.auth.AccessDecision;
import dev.bollard.auth.ApiAccessRequest;
import dev.bollard.auth.Permission;
import dev.bollard.auth.Principal;
import dev.bollard.error.BollardException;
import dev.bollard.error.ErrorCode;
import dev.bollard.events.EventFeed;
import dev.bollard.events.EventFilter;
import dev.bollard.events.RegistryEvent;
import dev.bollard.http.Exchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The events of the repositories a caller may read (docs/events.md, "Watching"): {@code GET /api/v1/events} lists them
 * after a cursor; with {@code watch=true} it streams them as Server-Sent Events, each with its number as the SSE
 * {@code id}, so a client that reconnects with {@code Last-Event-ID} (or {@code since}) resumes where it was. Filters:
 * {@code repository} and {@code tag} globs, {@code type} (a comma-separated list). Every event passes the caller's
 * read permission on its repository (asked of the access policy, remembered for a few seconds per stream), so a
 * caller learns nothing of repositories they may not pull; superusers see all.
 */
final class EventEndpoints implements ApiEndpoints {
    /** How long a stream trusts a permission it looked up (a revoked grant stops the events after this at most). */
    private static final Duration PERMISSION_TTL = Duration.ofSeconds(10);
    /** The most events a listing examines per call (it answers fewer, with the cursor, when the filter drops many). */
    private static final int SCAN_LIMIT = 5_000;

    private final ApiServices services;
    private final EventFeed feed;

    EventEndpoints(ApiServices services) {
        this.services = services;
        this.feed = services.events();
    }

    @Override
    public List<ApiRoute> routes() {
        return List.of(ApiRoute.get(PREFIX + "/events", AUTHENTICATED, "List the events of the repositories the caller "
                + "may read, oldest first, after ?since=<event id> (or Last-Event-ID); filters: repository and tag "
                + "(globs), type (comma-separated); with ?watch=true a text/event-stream that follows new events, "
                + "with heartbeats", this::events));
    }

    private void events(ApiCall call) throws IOException {
        EventFilter filter = EventFilter.of(types(call.query("type")), blankToNull(call.query("repository")),
                blankToNull(call.query("tag")));
        Predicate<RegistryEvent> visible = readable(call);
        Predicate<RegistryEvent> wanted = e -> filter.matches(e) && visible.test(e);
        String watch = call.query("watch");
        if (watch != null && !watch.equals("false")) {
            if (!watch.equals("true") && !watch.equals("1")) {
                throw BollardException.invalid("watch must be true or false, not '" + watch + "'");
            }
            stream(call, wanted);
        } else {
            list(call, wanted);
        }
    }

    /** The cursor: {@code since}, else the {@code Last-Event-ID} header, else null. */
    private static @Nullable Long cursor(ApiCall call) {
        String since = blankToNull(call.query("since"));
        String header = blankToNull(call.exchange().header("Last-Event-ID"));
        String given = since != null ? since : header;
        if (given == null) {
            return null;
        }
        try {
            long seq = Long.parseLong(given.trim());
            if (seq >= 0) {
                return seq;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BollardException(ErrorCode.INVALID_PAGINATION, (since != null ? "since" : "Last-Event-ID")
                + " must be an event id (a whole number, 0 for the oldest kept), not '" + given + "'");
    }

    /**
     * At most {@code limit} matching events after the cursor (0: the oldest kept); {@code last_event_id} is the last
     * event examined, matching or not — the {@code since} of the next call.
     */
    private void list(ApiCall call, Predicate<RegistryEvent> wanted) throws IOException {
        Long since = cursor(call);
        long cursor = since == null ? 0 : since;
        int limit = call.limit();
        List<Map<String, Object>> items = new ArrayList<>();
        int examined = 0;
        boolean end = false;
        while (items.size() < limit && examined < SCAN_LIMIT && !end) {
            int n = Math.min(500, SCAN_LIMIT - examined);
            List<RegistryEvent> page = feed.after(cursor, n);
            end = page.size() < n;
            for (RegistryEvent e : page) {
                examined++;
                cursor = e.seq();
                if (wanted.test(e)) {
                    items.add(e.toMap());
                    if (items.size() == limit) {
                        break;
                    }
                }
            }
        }
        boolean more = items.size() == limit || !end;
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("items", items);
        answer.put("last_event_id", Long.toString(cursor));
        if (more) {
            call.exchange().setHeader("Link", "<" + PREFIX + "/events?since=" + cursor + "&limit=" + limit
                    + ">; rel=\"next\"");
        }
        call.send(200, answer);
    }

    /**
     * The stream: events after the cursor (none given: from now on), each as {@code id}, {@code event} (its type) and
     * {@code data} (its JSON), and a comment line every {@code events.watch.heartbeat} while none comes. It ends when the
     * client goes (a write fails) or the registry stops.
     */
    private void stream(ApiCall call, Predicate<RegistryEvent> wanted) throws IOException {
        Long since = cursor(call);
        long cursor = since == null ? feed.latest() : since;
        Duration heartbeat = services.config().events().watchHeartbeat();
        Exchange ex = call.exchange();
        ex.setHeader("Content-Type", "text/event-stream; charset=utf-8");
        ex.setHeader("Cache-Control", "no-store");
        ex.setHeader("X-Accel-Buffering", "no"); // nginx: pass each event on at once
        try (AutoCloseable registration = feed.watch()) {
            write(ex, "retry: 2000\n: watching events after " + cursor + "\n\n");
            while (true) {
                List<RegistryEvent> events = feed.next(cursor, heartbeat);
                if (events == null) {
                    break; // the registry is stopping: the client reconnects with its cursor
                }
                StringBuilder out = new StringBuilder();
                for (RegistryEvent e : events) {
                    cursor = e.seq();
                    if (wanted.test(e)) {
                        out.append("id: ").append(e.id()).append("\nevent: ").append(e.type()).append("\ndata: ")
                                .append(e.toJson()).append("\n\n");
                    }
                }
                // nothing for this client (none came, or none it may see): a heartbeat keeps proxies from closing
                write(ex, out.isEmpty() ? ": heartbeat " + cursor + "\n\n" : out.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw e;
        } catch (Exception e) { // closing the registration throws nothing; the signature says Exception
            throw new IllegalStateException(e);
        }
        ex.finish();
    }

    private static void write(Exchange ex, String text) throws IOException {
        ex.writeBlocking(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether the caller may read each event's repository, looked up once per repository per few seconds. */
    private Predicate<RegistryEvent> readable(ApiCall call) {
        Principal caller = call.caller();
        if (services.auth() == null || (caller instanceof Principal.User u && u.superuser())) {
            return e -> true;
        }
        var policy = services.auth().policy();
        String address = call.exchange().remoteAddress();
        String agent = call.exchange().header("User-Agent");
        record Known(boolean allowed, long until) {
        }
        Map<String, Known> known = new HashMap<>();
        return e -> {
            String repository = e.repository();
            if (repository == null) {
                return false;
            }
            long now = System.nanoTime();
            Known k = known.get(repository);
            if (k == null || now - k.until() > 0) {
                if (known.size() > 10_000) {
                    known.clear();
                }
                boolean allowed = policy.decide(new ApiAccessRequest(Permission.REPO_READ, repository, null, caller,
                        address, agent)) instanceof AccessDecision.Allow;
                k = new Known(allowed, now + PERMISSION_TTL.toNanos());
                known.put(repository, k);
            }
            return k.allowed();
        };
    }

    private static List<String> types(@Nullable String given) {
        List<String> types = new ArrayList<>();
        if (given != null) {
            for (String t : given.split(",", -1)) {
                if (!t.isBlank()) {
                    types.add(t.strip());
                }
            }
        }
        return types;
    }

    private static @Nullable String blankToNull(@Nullable String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
