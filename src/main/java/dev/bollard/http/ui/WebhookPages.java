package dev.bollard.http.ui;

import dev.bollard.auth.Permission;
import dev.bollard.error.BollardException;
import dev.bollard.events.DeliveryMethod;
import dev.bollard.events.EventTypes;
import dev.bollard.events.HttpDelivery;
import dev.bollard.events.Webhook;
import dev.bollard.events.WebhookScope;
import dev.bollard.events.Webhooks;
import dev.bollard.metadata.WebhookDao;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The webhooks of a scope — an organization's (its Webhooks tab), a repository's (its Webhooks tab) and the
 * registry's (the administration's) — and each webhook's delivery log. Everything goes through {@link Webhooks}, the
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

    /** {@code rest}: empty (the list, where forms are sent) or {@code /ID} (that webhook's delivery log). */
    void page(Call call, Place place, String rest) {
        String r = Ui.stripSlash(rest);
        if (r.isEmpty()) {
            list(call, place);
            return;
        }
        long id;
        try {
            id = Long.parseLong(r.substring(1));
        } catch (NumberFormatException e) {
            ui.problem(call, 404, "There is no page at " + call.path() + ".");
            return;
        }
        deliveries(call, place, id);
    }

    private void list(Call call, Place place) {
        Frame frame = call.frame().titled("Webhooks of " + place.heading(), place.nav());
        int status = 200;
        String secret = null;
        Long secretFor = null;
        if (call.isPost()) {
            try {
                long id = call.field("action").equals("create") ? 0 : id(call.field("id"));
                switch (call.field("action")) {
                    case "create" -> {
                        Webhooks.Created created = webhooks.create(call.actor(), place.scope(), spec(call));
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
                secretFor));
    }

    private void deliveries(Call call, Place place, long id) {
        Frame frame = call.frame().titled("Deliveries of webhook " + id, place.nav());
        int status = 200;
        Webhook hook;
        try {
            hook = webhooks.get(place.scope(), id);
        } catch (BollardException e) {
            ui.problem(call, 404, Ui.sentence(e.getMessage()));
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

    /** The creation form as the service's spec: the fields of the API's creation, without custom headers. */
    private static Webhooks.Spec spec(Call call) {
        String method = call.field("method").isEmpty() ? HttpDelivery.NAME : call.field("method");
        String format = call.field("format").isEmpty() ? "bollard" : call.field("format");
        Map<String, List<String>> form = call.form();
        List<String> types = form == null ? List.of() : form.getOrDefault("event_types", List.of());
        return new Webhooks.Spec(method, call.field("url"), format, List.copyOf(types),
                blankToNull(call.field("repository_glob")), blankToNull(call.field("tag_glob")), Map.of(), TIMEOUT);
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
