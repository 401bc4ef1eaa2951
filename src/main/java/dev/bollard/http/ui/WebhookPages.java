package dev.bollard.http.ui;

import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.events.DeliveryMethod;
import dev.bollard.events.EventTypes;
import dev.bollard.events.HttpDelivery;
import dev.bollard.events.Webhook;
import dev.bollard.events.WebhookScope;
import dev.bollard.events.Webhooks;
import dev.bollard.json.Json;
import dev.bollard.metadata.WebhookDao;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The webhooks of a scope — an organization's (its Webhooks tab), a repository's (its Webhooks tab) and the
 * registry's (the administration's) — each webhook's settings, its delivery log and each delivery in full. Everything goes through {@link Webhooks}, the
 * service the {@code /api/v1} webhook routes use, as the signed-in user; the caller (the organization or repository
 * page, or {@link #registry}) has checked the permission those routes require for the scope.
 */
final class WebhookPages {
    /** Deliveries per page of a delivery log. */
    static final int DELIVERIES_PER_PAGE = 25;
    /** As the API: an attempt waits at most this long unless the webhook says otherwise. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Ui ui;
    private final Webhooks webhooks;

    WebhookPages(Ui ui, Webhooks webhooks) {
        this.ui = ui;
        this.webhooks = webhooks;
    }

    /** Where the scope's pages are and what surrounds them: the page's heading and tabs, and the list's URL. */
    record Place(WebhookScope scope, String heading, List<Pages.Tab> tabs, String base, String nav) {
    }

    /** {@code /admin/webhooks[/ID]}: the registry-wide webhooks, for superusers (as {@code /api/v1/webhooks}). */
    void registry(Call call, String rest) {
        if (!ui.permits(call, Permission.SUPERUSER, null)) {
            ui.problem(call, 403, "Only superusers may see the registry's webhooks.");
            return;
        }
        page(call, new Place(WebhookScope.REGISTRY, "Administration", List.of(
                new Pages.Tab("Users and organizations", "/admin", false),
                new Pages.Tab("Webhooks", "/admin/webhooks", true)), "/admin/webhooks", "admin"), rest);
    }

    /**
     * {@code rest}: empty (the list, where forms are sent), {@code /ID} (that webhook's delivery log), {@code /ID/edit}
     * (its settings) or {@code /ID/deliveries/DELIVERY} (one attempt in full).
     */
    void page(Call call, Place place, String rest) {
        String r = Ui.stripSlash(rest);
        if (r.isEmpty()) {
            list(call, place);
            return;
        }
        String[] parts = r.substring(1).split("/", -1);
        try {
            long id = Long.parseLong(parts[0]);
            if (parts.length == 1) {
                deliveries(call, place, id);
                return;
            }
            if (parts.length == 2 && parts[1].equals("edit")) {
                edit(call, place, id);
                return;
            }
            if (parts.length == 3 && parts[1].equals("deliveries")) {
                delivery(call, place, id, Long.parseLong(parts[2]));
                return;
            }
        } catch (NumberFormatException e) {
            // not a page: answered below
        }
        ui.problem(call, 404, "There is no page at " + call.path() + ".");
    }

    private void list(Call call, Place place) {
        Frame frame = call.frame().titled("Webhooks of " + place.heading(), place.nav());
        int status = 200;
        String secret = null;
        Long secretFor = null;
        Pages.WebhookForm form = Pages.WebhookForm.BLANK;
        if (call.isPost()) {
            try {
                long id = call.field("action").equals("create") ? 0 : id(call.field("id"));
                switch (call.field("action")) {
                    case "create" -> {
                        form = filledIn(call);
                        Webhooks.Created created = webhooks.create(call.actor(), place.scope(),
                                spec(call, HttpDelivery.NAME, Map.of()));
                        form = Pages.WebhookForm.BLANK;
                        secret = created.secret();
                        secretFor = created.webhook().id();
                        frame = frame.withNotice("Webhook " + secretFor + " was created.");
                    }
                    case "delete" -> {
                        webhooks.delete(call.actor(), place.scope(), id);
                        frame = frame.withNotice("Webhook " + id + " was deleted.");
                    }
                    case "enable", "disable" -> {
                        boolean enable = call.field("action").equals("enable");
                        Webhook current = webhooks.get(place.scope(), id);
                        webhooks.update(call.actor(), place.scope(), id, Webhooks.specOf(current), enable);
                        frame = frame.withNotice("Webhook " + id + " is " + (enable ? "enabled." : "disabled."));
                    }
                    case "rotate" -> {
                        secret = webhooks.rotateSecret(call.actor(), place.scope(), id);
                        secretFor = id;
                        frame = frame.withNotice("Webhook " + id + " has a new secret; the old one no longer signs.");
                    }
                    case "ping" -> {
                        DeliveryMethod.Attempt a = webhooks.ping(call.actor(), place.scope(), id);
                        String outcome = (a.status() == null ? "" : "HTTP " + a.status())
                                + (a.error() == null ? "" : (a.status() == null ? "" : ", ") + a.error());
                        String text = "The test event to webhook " + id + (a.success() ? " was delivered" : " failed")
                                + (outcome.isEmpty() ? "" : " (" + outcome + ")") + " in " + a.latencyMillis() + " ms.";
                        frame = a.success() ? frame.withNotice(text) : frame.withError(text);
                    }
                    default -> throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                }
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        List<Pages.WebhookRow> rows = new ArrayList<>();
        for (Webhook w : webhooks.list(place.scope())) {
            List<WebhookDao.Delivery> last = webhooks.deliveries(place.scope(), w.id(), Long.MAX_VALUE, 1);
            rows.add(new Pages.WebhookRow(w, last.isEmpty() ? null : Pages.DeliveryRow.of(last.getFirst())));
        }
        ui.render(call, status, "webhooks.jte", frame, new Pages.WebhookList(place.heading(), place.tabs(),
                place.base(), place.scope().kind() != WebhookScope.Kind.REPOSITORY, rows, EventTypes.ALL, secret,
                secretFor, form));
    }

    private void deliveries(Call call, Place place, long id) {
        Frame frame = call.frame().titled("Deliveries of webhook " + id, place.nav());
        int status = 200;
        Webhook hook = found(call, place, id);
        if (hook == null) {
            return;
        }
        if (call.isPost()) {
            try {
                if (!call.field("action").equals("redeliver")) {
                    throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                }
                long delivery = id(call.field("delivery"));
                boolean queued = webhooks.redeliver(call.actor(), place.scope(), id, delivery);
                frame = frame.withNotice(queued ? "The event of delivery " + delivery + " is sent again; its attempt "
                        + "appears here in a moment." : "A delivery of that event to this webhook is waiting already.");
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        long before = Long.MAX_VALUE;
        String cursor = call.ex().query("before");
        if (cursor != null) {
            try {
                before = Long.parseLong(cursor);
            } catch (NumberFormatException e) {
                ui.problem(call, 400, "The page of the delivery log to show is not one this page linked to.");
                return;
            }
        }
        List<WebhookDao.Delivery> found = webhooks.deliveries(place.scope(), id, before, DELIVERIES_PER_PAGE + 1);
        boolean more = found.size() > DELIVERIES_PER_PAGE;
        List<Pages.DeliveryRow> rows = found.subList(0, Math.min(found.size(), DELIVERIES_PER_PAGE)).stream()
                .map(Pages.DeliveryRow::of).toList();
        String self = place.base() + "/" + id;
        ui.render(call, status, "webhook_deliveries.jte", frame, new Pages.WebhookDeliveries(place.heading(),
                place.tabs(), place.base(), hook, rows, cursor == null ? null : self,
                more ? self + "?before=" + rows.getLast().id() : null));
    }

    /**
     * {@code /…/ID/edit}: webhook {@code id}'s settings — URL, format, filters, custom headers and timeout — changed
     * through {@link Webhooks#update} as {@code PATCH /api/v1/…/webhooks/ID} does, and its method between http and
     * slack; its secret and state stay.
     */
    private void edit(Call call, Place place, long id) {
        Frame frame = call.frame().titled("Edit webhook " + id, place.nav());
        int status = 200;
        Webhook hook = found(call, place, id);
        if (hook == null) {
            return;
        }
        Pages.WebhookForm form = Pages.WebhookForm.of(hook);
        if (call.isPost()) {
            form = filledIn(call);
            try {
                if (!call.field("action").equals("save")) {
                    throw BollardException.invalid("unknown action '" + call.field("action") + "'");
                }
                hook = webhooks.update(call.actor(), place.scope(), id, spec(call, hook.method(), hook.headers()),
                        hook.enabled());
                form = Pages.WebhookForm.of(hook);
                frame = frame.withNotice("Webhook " + id + " was saved.");
            } catch (BollardException e) {
                frame = Ui.refused(frame, e, call.form());
                status = 400;
            }
        }
        ui.render(call, status, "webhook_edit.jte", frame, new Pages.WebhookEdit(place.heading(), place.tabs(),
                place.base(), hook, place.scope().kind() != WebhookScope.Kind.REPOSITORY, EventTypes.ALL, form));
    }

    /**
     * {@code /…/ID/deliveries/DELIVERY}: one attempt in full, as {@code GET /api/v1/…/deliveries/DELIVERY} answers
     * it — the request's headers as the log keeps them (the values of custom headers hidden) and its body, the
     * response's status, latency and the start of its body.
     */
    private void delivery(Call call, Place place, long id, long deliveryId) {
        Webhook hook = found(call, place, id);
        if (hook == null) {
            return;
        }
        WebhookDao.Delivery d;
        try {
            d = webhooks.delivery(place.scope(), id, deliveryId);
        } catch (BollardException e) {
            ui.problem(call, 404, Ui.sentence(e.getMessage()));
            return;
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        try {
            Json.MAPPER.readTree(d.requestHeaders()).properties()
                    .forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
        } catch (IOException e) {
            // a log entry whose headers cannot be read shows none (the API shows an empty object)
        }
        Frame frame = call.frame().titled("Delivery " + deliveryId + " of webhook " + id, place.nav());
        ui.render(call, 200, "webhook_delivery.jte", frame, new Pages.WebhookDelivery(place.heading(), place.tabs(),
                place.base(), hook, Pages.DeliveryRow.of(d), List.copyOf(headers.entrySet()), d.requestBody(),
                d.responseBody()));
    }

    /** Webhook {@code id} of the scope, or null when there is none (then the 404 page has been sent). */
    private @Nullable Webhook found(Call call, Place place, long id) {
        try {
            return webhooks.get(place.scope(), id);
        } catch (BollardException e) {
            ui.problem(call, 404, Ui.sentence(e.getMessage()));
            return null;
        }
    }

    /** The webhook form as it was sent, to show again (with the error) when the service refuses it. */
    private static Pages.WebhookForm filledIn(Call call) {
        Map<String, List<String>> form = call.form();
        List<String> types = form == null ? List.of() : form.getOrDefault("event_types", List.of());
        return new Pages.WebhookForm(call.field("url"), call.field("format"), Set.copyOf(types),
                call.field("repository_glob"), call.field("tag_glob"), Call.first(form, "headers"),
                call.field("timeout_seconds"));
    }

    /**
     * The webhook form as the service's spec, the fields of the API's creation: {@code method} when the form has
     * none (an edit keeps the webhook's); {@code kept}: the current custom headers, whose values a line
     * {@code Name: (hidden)} keeps.
     */
    private static Webhooks.Spec spec(Call call, String method, Map<String, String> kept) {
        String m = call.field("method").isEmpty() ? method : call.field("method");
        String format = call.field("format").isEmpty() ? "bollard" : call.field("format");
        Map<String, List<String>> form = call.form();
        List<String> types = form == null ? List.of() : form.getOrDefault("event_types", List.of());
        return new Webhooks.Spec(m, call.field("url"), format, List.copyOf(types),
                blankToNull(call.field("repository_glob")), blankToNull(call.field("tag_glob")),
                headers(Call.first(form, "headers"), kept), timeout(call.field("timeout_seconds")));
    }

    /**
     * The headers of the form's text, one {@code Name: value} a line (blank lines ignored); a value of
     * {@link Webhook#HIDDEN} keeps the stored value of that header. The service checks names, values and count.
     */
    static Map<String, String> headers(String text, Map<String, String> kept) {
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) { // the line is not repeated: it may hold a credential
                throw BollardException.invalid("each custom header is one line 'Name: value'; line " + (i + 1)
                        + " is not");
            }
            String name = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (value.equals(Webhook.HIDDEN)) {
                String stored = kept.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                        .map(Map.Entry::getValue).findFirst().orElse(null);
                if (stored == null) {
                    throw BollardException.invalid("the header " + name + " has no stored value to keep; give its "
                            + "value");
                }
                value = stored;
            }
            if (headers.putIfAbsent(name, value) != null) {
                throw BollardException.invalid("the header " + name + " is given twice");
            }
        }
        return headers;
    }

    /** The form's timeout in seconds (empty: the API's default); the service checks its range. */
    private static Duration timeout(String seconds) {
        if (seconds.isEmpty()) {
            return TIMEOUT;
        }
        try {
            double s = Double.parseDouble(seconds);
            if (!Double.isFinite(s)) {
                throw new NumberFormatException(seconds);
            }
            return Duration.ofMillis(Math.round(s * 1000));
        } catch (NumberFormatException e) {
            throw BollardException.invalid("the timeout is a number of seconds, more than 0 and at most 30, not '"
                    + seconds + "'");
        }
    }

    private static @Nullable String blankToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    private static long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw BollardException.notFound("no webhook or delivery '" + text + "'");
        }
    }
}
