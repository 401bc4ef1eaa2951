package dev.bollard.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.bollard.audit.Actor;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.error.BollardException;
import dev.bollard.jobs.WorkQueue;
import dev.bollard.json.Json;
import dev.bollard.metadata.Database;
import dev.bollard.metadata.DirectoryDao;
import dev.bollard.metadata.EventDao;
import dev.bollard.metadata.WebhookDao;
import dev.bollard.secrets.KeyEncryption;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks, per repository, per namespace and registry-wide: their administration (each change recorded in the
 * outbox, so audited), their delivery log, redelivery and test pings, and the outcome of every attempt — logged,
 * counted, and, after {@code disableAfterFailures} failed attempts in a row, the webhook disabled with an audit entry
 * and a warning in the log. Callers are authorized for the scope they name (the API's routes decide that); a webhook
 * of another scope is "not found" here.
 */
public final class Webhooks {
    private static final Logger LOG = LoggerFactory.getLogger(Webhooks.class);

    /** Headers a webhook may not set: the ones the delivery sets or the HTTP client owns. */
    private static final Set<String> RESERVED_HEADERS = Set.of("content-type", "content-length", "host", "user-agent",
            "connection", "transfer-encoding", "expect", "upgrade", "te", "trailer", "keep-alive", "date");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");
    private static final int MAX_HEADERS = 20;
    /** The contexts the sealed values are bound to: a secret cannot pass for headers, or the other way round. */
    private static final String SECRET = "webhook secret";
    private static final String HEADERS = "webhook headers";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MAX_TIMEOUT = Duration.ofSeconds(30);
    /** What follows the webhook's id in a batch delivery's work item ({@code <id>:batch}). */
    private static final String BATCH = "batch";
    /** The most events one batch delivery sends. */
    static final int MAX_BATCH = 200;

    /**
     * What a webhook is to be: the delivery {@code method} and its {@code url}, the payload {@code format}, the
     * event types it hears (empty for all), its globs (null for any), extra headers and the timeout of an attempt.
     */
    public record Spec(String method, String url, String format, List<String> eventTypes,
                       @Nullable String repositoryGlob, @Nullable String tagGlob, Map<String, String> headers,
                       Duration timeout) {
    }

    /** A new webhook and its secret: the only time the secret is shown. */
    public record Created(Webhook webhook, String secret) {
    }

    private final Database db;
    private final Outbox outbox;
    private final Map<String, DeliveryMethod> methods;
    private final WorkQueue queue;
    private final int disableAfterFailures;
    private final MeterRegistry meters;
    private final Counter disabled;
    private final KeyEncryption sealing;

    /**
     * {@code sealing} keeps each webhook's secret and custom headers (often credentials of the receiver) encrypted in
     * the database, as the token signing keys are.
     */
    public Webhooks(Database db, Outbox outbox, List<DeliveryMethod> methods, WorkQueue queue,
                    int disableAfterFailures, MeterRegistry meters, KeyEncryption sealing) {
        this.db = db;
        this.sealing = sealing;
        this.outbox = outbox;
        Map<String, DeliveryMethod> byName = new LinkedHashMap<>();
        methods.forEach(m -> byName.put(m.name(), m));
        this.methods = Map.copyOf(byName);
        this.queue = queue;
        this.disableAfterFailures = disableAfterFailures;
        this.meters = meters;
        this.disabled = Counter.builder("bollard.webhook.disabled")
                .description("webhooks disabled after failed deliveries in a row").register(meters);
    }

    // ---- administration ----

    public Created create(Actor actor, WebhookScope scope, Spec spec) {
        String secret = Signatures.newSecret();
        WebhookDao.Row checked = row(0, scope, spec, secret, true, null, 0, actor.name(), Instant.now());
        long id = db.inTransaction(h -> {
            long created = WebhookDao.insert(h, checked);
            record(h, actor, scope, AuditActions.WEBHOOK_CREATE, created, Map.of("url", spec.url()));
            return created;
        });
        return new Created(get(scope, id), secret);
    }

    /**
     * Replaces webhook {@code id}'s settings with {@code spec}; {@code enabled} switches it on or off (switching it on
     * forgets its failures and why it was disabled). The method changes between those that deliver each event alone
     * (an HTTP webhook becomes a Slack one and back: its queued deliveries go out the new way); one that collects
     * events in batches (e-mail) is refused, either way, saying why.
     */
    public Webhook update(Actor actor, WebhookScope scope, long id, Spec spec, boolean enabled) {
        db.inTransaction(h -> {
            Webhook current = find(h, scope, id);
            checkMethodChange(current, spec.method());
            boolean same = current.enabled() == enabled;
            WebhookDao.update(h, row(id, scope, spec, current.secret(), enabled,
                    same ? current.disabledReason() : enabled ? null : "disabled by " + actor.name(),
                    enabled && !current.enabled() ? 0 : current.consecutiveFailures(), current.createdBy(),
                    current.createdAt()));
            record(h, actor, scope, AuditActions.WEBHOOK_UPDATE, id, Map.of("url", spec.url(), "enabled", enabled));
            return null;
        });
        return get(scope, id);
    }

    /**
     * Refuses changing {@code current}'s method to {@code method} when the queued deliveries could not follow: a
     * batching method (e-mail) keeps its events in a batch that a per-event method cannot send, and a per-event
     * method's queued deliveries would each become a message of their own, and its target is an address, not a URL.
     */
    private void checkMethodChange(Webhook current, String method) {
        DeliveryMethod to = methods.get(method);
        if (method.equals(current.method()) || to == null) { // an unknown method: refused by row() as on creation
            return;
        }
        if (method(current).batchWindow().isPositive() || to.batchWindow().isPositive()) {
            throw BollardException.invalid("webhook " + current.id() + " cannot change its method from "
                    + current.method() + " to " + method + ": e-mail webhooks collect events into batched messages "
                    + "to an address, the others send each event to a URL, and the queued deliveries cannot be "
                    + "carried over; create a new webhook with method " + method + " and delete this one");
        }
    }

    /** Gives webhook {@code id} a new secret and returns it (the only time it is shown). */
    public String rotateSecret(Actor actor, WebhookScope scope, long id) {
        String secret = Signatures.newSecret();
        db.inTransaction(h -> {
            Webhook current = find(h, scope, id);
            WebhookDao.update(h, row(current, current.enabled(), current.disabledReason(),
                    current.consecutiveFailures(), secret));
            record(h, actor, scope, AuditActions.WEBHOOK_UPDATE, id, Map.of("secret", "rotated"));
            return null;
        });
        return secret;
    }

    public void delete(Actor actor, WebhookScope scope, long id) {
        db.inTransaction(h -> {
            find(h, scope, id);
            WebhookDao.delete(h, id);
            // Its queued deliveries go with it: 10 webhooks of every event deleted after a burst of pushes left tens of
            // thousands, each claimed only to find the webhook gone, before anyone else's (bench's webhooks group).
            queue.dropWaiting(h, item(id, ""));
            record(h, actor, scope, AuditActions.WEBHOOK_DELETE, id, Map.of());
            return null;
        });
    }

    public List<Webhook> list(WebhookScope scope) {
        return db.read(h -> WebhookDao.ofScope(h, scope.kindName(), scope.name()).stream().map(this::webhook)
                .toList());
    }

    public Webhook get(WebhookScope scope, long id) {
        return db.read(h -> find(h, scope, id));
    }

    /** Webhook {@code id}'s delivery attempts with an id below {@code beforeId}, newest first. */
    public List<WebhookDao.Delivery> deliveries(WebhookScope scope, long id, long beforeId, int limit) {
        return db.read(h -> {
            find(h, scope, id);
            return WebhookDao.deliveries(h, id, beforeId, limit);
        });
    }

    public WebhookDao.Delivery delivery(WebhookScope scope, long id, long deliveryId) {
        return db.read(h -> {
            find(h, scope, id);
            return WebhookDao.delivery(h, deliveryId).filter(d -> d.webhookId() == id)
                    .orElseThrow(() -> BollardException.notFound("webhook " + id + " has no delivery " + deliveryId));
        });
    }

    /**
     * Sends the event of delivery {@code deliveryId} again, as a new delivery with its own attempts (the event keeps
     * its id, so a receiver recognizes it). False when a delivery of that event to this webhook waits already.
     */
    public boolean redeliver(Actor actor, WebhookScope scope, long id, long deliveryId) {
        WebhookDao.Delivery d = delivery(scope, id, deliveryId);
        if (d.eventSeq() == 0) {
            throw BollardException.invalid("delivery " + deliveryId + " was a test ping; send a new one instead");
        }
        return db.inTransaction(h -> {
            if (EventDao.find(h, d.eventSeq()).isEmpty()) {
                throw BollardException.notFound("event " + d.eventSeq() + " is older than events.retention and gone");
            }
            boolean queued = enqueue(h, id, d.eventSeq());
            record(h, actor, scope, AuditActions.WEBHOOK_REDELIVER, id, Map.of("event", d.eventSeq(),
                    "delivery", deliveryId));
            return queued;
        });
    }

    /** Sends a {@value EventTypes#WEBHOOK_PING} event now and returns the attempt (logged; not counted as a failure). */
    public DeliveryMethod.Attempt ping(Actor actor, WebhookScope scope, long id) {
        Webhook hook = get(scope, id);
        SortedMap<String, Object> data = new TreeMap<>();
        data.put("webhook", id);
        data.put("message", "a test delivery requested by " + actor.name());
        RegistryEvent ping = new RegistryEvent(0, EventTypes.WEBHOOK_PING, Instant.now(), actor.kindName(),
                actor.name(), scope.kind() == WebhookScope.Kind.NAMESPACE ? scope.name() : null,
                scope.kind() == WebhookScope.Kind.REPOSITORY ? scope.name() : null, data);
        DeliveryMethod.Attempt attempt = method(hook).deliver(hook, ping, 1);
        db.inTransaction(h -> WebhookDao.insertDelivery(h, logEntry(hook, ping, 1, attempt)));
        return attempt;
    }

    // ---- delivery ----

    /**
     * A delivery's work item (its key and payload alike): {@code <webhook id>:<event seq>}, or {@code <webhook
     * id>:batch}; every item of a webhook starts with {@code <webhook id>:}.
     */
    private static String item(long webhookId, String what) {
        return webhookId + ":" + what;
    }

    /** The webhook a delivery's work item is for, as its id's text (the item's order key: one webhook's in order). */
    static String webhookOf(String item) {
        int colon = item.indexOf(':');
        return colon < 0 ? item : item.substring(0, colon); // no colon: not ours, refused by deliver as it comes
    }

    /** Queues the delivery of event {@code seq} to webhook {@code webhookId}, in the transaction of {@code h}. */
    boolean enqueue(Handle h, long webhookId, long seq) {
        String item = item(webhookId, Long.toString(seq));
        return queue.enqueue(h, item, item);
    }

    /**
     * Queues the delivery of event {@code seq} to {@code hook} as its method wants it: alone, or (a method with a
     * batch window: e-mail) added to the webhook's next batch, whose one delivery is due a window after the batch's
     * first event.
     */
    void enqueue(Handle h, Webhook hook, long seq) {
        Duration window = method(hook).batchWindow();
        if (!window.isPositive()) {
            enqueue(h, hook.id(), seq);
            return;
        }
        WebhookDao.addPending(h, hook.id(), seq);
        queue.enqueue(h, item(hook.id(), BATCH), item(hook.id(), BATCH), window);
    }

    /**
     * Makes the {@code attempt}-th attempt of the delivery queued as {@code payload}. Returns normally when it is done
     * (delivered, or nothing left to do: the webhook is gone or disabled, the event pruned); throws when the attempt
     * failed and should be retried. A delivery made runs {@code done} in the transaction that logs it (the work
     * item's completion) and returns true; false when {@code done} did not run.
     */
    boolean deliver(String payload, int attempt, java.util.function.Consumer<Handle> done)
            throws DeliveryFailedException {
        String webhook = webhookOf(payload);
        long webhookId = Long.parseLong(webhook);
        String what = payload.substring(webhook.length() + 1);
        if (what.equals(BATCH)) {
            return deliverBatch(webhookId, attempt, done);
        }
        long seq = Long.parseLong(what);
        // One read for both: a delivery's transactions were a fifth of a busy node's time (bench's webhooks group).
        record Found(Optional<WebhookDao.Row> hook, Optional<EventDao.Row> event) {
        }
        Found found = db.read(h -> new Found(WebhookDao.find(h, webhookId), EventDao.find(h, seq)));
        Optional<Webhook> hook = found.hook().map(this::webhook);
        Optional<RegistryEvent> event = found.event().map(r -> RegistryEvent.fromJson(r.body()));
        if (hook.isEmpty() || !hook.get().enabled() || event.isEmpty()) {
            return false;
        }
        return settle(hook.get(), event.get(), attempt, method(hook.get()).deliver(hook.get(), event.get(), attempt),
                done);
    }

    /**
     * Makes the {@code attempt}-th attempt to send webhook {@code webhookId}'s batch: every event waiting in it (up to
     * {@value #MAX_BATCH}; the rest in a further batch at once) in one delivery. A sent batch leaves it with the log
     * entry, in one transaction; a failed one stays for the retry, joined by what came meanwhile.
     */
    private boolean deliverBatch(long webhookId, int attempt, java.util.function.Consumer<Handle> done)
            throws DeliveryFailedException {
        Optional<Webhook> hook = db.read(h -> WebhookDao.find(h, webhookId)).map(this::webhook);
        List<Long> seqs = db.read(h -> WebhookDao.pending(h, webhookId, MAX_BATCH));
        if (hook.isEmpty() || !hook.get().enabled()) { // deleted (its rows went with it) or disabled: dropped
            db.inTransaction(h -> WebhookDao.deletePending(h, webhookId, seqs));
            return false;
        }
        List<RegistryEvent> events = db.read(h -> seqs.stream().map(seq -> EventDao.find(h, seq)).flatMap(Optional::stream)
                .map(r -> RegistryEvent.fromJson(r.body())).toList());
        if (events.isEmpty()) { // pruned by events.retention meanwhile
            db.inTransaction(h -> WebhookDao.deletePending(h, webhookId, seqs));
            return false;
        }
        return settle(hook.get(), events.getFirst(), attempt,
                method(hook.get()).deliverAll(hook.get(), events, attempt), h -> {
                    WebhookDao.deletePending(h, webhookId, seqs);
                    if (seqs.size() == MAX_BATCH) {
                        queue.enqueue(h, item(webhookId, BATCH), item(webhookId, BATCH));
                    }
                    done.accept(h);
                });
    }

    /**
     * Records attempt {@code a} of {@code hook} (logged under {@code event}, a batch's first): counted, logged, and
     * on success {@code delivered} runs in the logging transaction (and true is returned); after too many failures in
     * a row the webhook is disabled. Throws when the attempt failed and should be retried.
     */
    private boolean settle(Webhook hook, RegistryEvent event, int attempt, DeliveryMethod.Attempt a,
                        java.util.function.Consumer<Handle> delivered) throws DeliveryFailedException {
        long webhookId = hook.id();
        String outcome = a.skipped() ? "skipped" : a.success() ? "success" : "failure";
        Counter.builder("bollard.webhook.deliveries").tag("outcome", outcome)
                .description("webhook delivery attempts by outcome").register(meters).increment();
        Timer.builder("bollard.webhook.delivery.duration").description("time of a webhook delivery attempt")
                .register(meters).record(a.latencyMillis(), TimeUnit.MILLISECONDS);
        if (a.skipped()) {
            return false;
        }
        if (a.success()) {
            Timer.builder("bollard.event.delivery.lag")
                    .description("time from a change to its event's successful delivery (a batch: its first event)")
                    .publishPercentileHistogram().register(meters)
                    .record(Duration.between(event.time(), Instant.now()).toMillis(), TimeUnit.MILLISECONDS);
            // A success needs no lock of the webhook (nothing to decide): the log entry, the end of a run of
            // failures if there was one, and what was delivered, in one transaction.
            db.inTransaction(h -> {
                WebhookDao.insertDelivery(h, logEntry(hook, event, attempt, a));
                WebhookDao.resetFailures(h, webhookId);
                delivered.accept(h);
                return null;
            });
            return true;
        }
        boolean nowDisabled = db.inTransaction(h -> {
            WebhookDao.insertDelivery(h, logEntry(hook, event, attempt, a));
            Optional<WebhookDao.Row> locked = WebhookDao.lock(h, webhookId);
            if (locked.isEmpty() || !locked.get().enabled()) {
                return false;
            }
            int failures = WebhookDao.countFailure(h, webhookId);
            if (failures < disableAfterFailures) {
                return false;
            }
            String reason = "disabled after " + failures + " failed delivery attempts in a row; last: " + a.error();
            WebhookDao.disable(h, webhookId, reason);
            record(h, Actor.system("webhooks"), hook.scope(), AuditActions.WEBHOOK_DISABLE, webhookId,
                    Map.of("failures", failures, "url", hook.url()));
            return true;
        });
        if (nowDisabled) {
            disabled.increment();
            LOG.warn("webhook {} ({} {}) disabled after {} failed delivery attempts in a row; last: {}", webhookId,
                    hook.scope().kindName(), hook.scope().name(), disableAfterFailures, a.error());
            noticeToOwner(hook, a.error());
            return false;
        }
        throw new DeliveryFailedException(a.error() == null ? "delivery failed" : a.error());
    }

    /**
     * Tells the owner of {@code hook} (the user who created it) by e-mail that it was disabled, when the registry has
     * an SMTP server ({@code notifications.smtp.*}) and knows the owner's address (from the directory); otherwise
     * the audit entry and the log's warning are the notice. A message the server does not take is logged, not retried:
     * the webhook stays disabled either way.
     */
    private void noticeToOwner(Webhook hook, @Nullable String lastError) {
        if (!(methods.get(EmailDelivery.NAME) instanceof EmailDelivery mail) || !mail.enabled()) {
            return;
        }
        Optional<String> address = db.read(h -> DirectoryDao.email(h, hook.createdBy()));
        if (address.isEmpty()) {
            LOG.info("webhook {} was disabled; its owner {} has no e-mail address to tell", hook.id(),
                    hook.createdBy());
            return;
        }
        String where = switch (hook.scope().kind()) {
            case REGISTRY -> "the registry";
            case NAMESPACE -> "namespace " + hook.scope().name();
            case REPOSITORY -> "repository " + hook.scope().name();
        };
        String text = "Hello " + hook.createdBy() + ",\n\nthe webhook " + hook.id() + " of " + where + " that you created, "
                + "sending to " + hook.url() + ", was disabled after " + disableAfterFailures + " failed delivery attempts "
                + "in a row.\nThe last one: " + (lastError == null ? "(no error given)" : lastError) + "\n\n"
                + "Its delivery log shows every attempt. Once the receiver works again, enable the webhook (the web UI's "
                + "webhook list, or PATCH with \"enabled\": true); events that came meanwhile are not sent.\n\n"
                + "-- \nSent by Bollard.\n";
        DeliveryMethod.Attempt sent = mail.notice(address.get(), "[Bollard] webhook " + hook.id() + " of " + where
                + " was disabled", text);
        if (sent.success()) {
            LOG.info("webhook {} was disabled; its owner {} was told by e-mail", hook.id(), hook.createdBy());
        } else {
            LOG.warn("webhook {} was disabled; telling its owner {} by e-mail failed: {}", hook.id(), hook.createdBy(),
                    sent.error());
        }
    }

    /** A failed attempt, to be retried by the work queue. */
    static final class DeliveryFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        DeliveryFailedException(String message) {
            super(message, null, false, false);
        }
    }

    // ---- helpers ----

    private DeliveryMethod method(Webhook hook) {
        DeliveryMethod m = methods.get(hook.method());
        if (m == null) {
            throw new IllegalStateException("webhook " + hook.id() + " uses the unknown delivery method " + hook.method());
        }
        return m;
    }

    private static WebhookDao.Delivery logEntry(Webhook hook, RegistryEvent event, int attempt,
                                                DeliveryMethod.Attempt a) {
        return new WebhookDao.Delivery(0, hook.id(), event.seq(), event.type(), attempt, Instant.now().toEpochMilli(),
                RegistryEvent.write(hook.hidden(a.requestHeaders())), a.requestBody(), a.status(), a.responseBody(),
                a.error() == null ? null : truncate(a.error(), 1024), a.latencyMillis(), a.success());
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    /** The webhook {@code id} of {@code scope}, or "not found" (also when it belongs to another scope). */
    private Webhook find(Handle h, WebhookScope scope, long id) {
        return WebhookDao.find(h, id).map(this::webhook).filter(w -> w.scope().equals(scope))
                .orElseThrow(() -> BollardException.notFound("no webhook " + id + " in " + describe(scope)));
    }

    private static String describe(WebhookScope scope) {
        return switch (scope.kind()) {
            case REGISTRY -> "the registry's webhooks";
            case NAMESPACE -> "namespace " + scope.name();
            case REPOSITORY -> "repository " + scope.name();
        };
    }

    private void record(Handle h, Actor actor, WebhookScope scope, String action, long id, Map<String, ?> details) {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("id", id);
        all.putAll(details);
        outbox.record(h, scope.kind() == WebhookScope.Kind.REPOSITORY
                ? AuditEvent.onRepository(actor, action, scope.name(), all)
                : AuditEvent.onNamespace(actor, action, scope.name().isEmpty() ? null : scope.name(), all));
    }

    /** The stored form of a webhook made from {@code spec}, checked: a refusal says what is wrong. */
    private WebhookDao.Row row(long id, WebhookScope scope, Spec spec, String secret, boolean enabled,
                               @Nullable String disabledReason, int failures, String createdBy, Instant createdAt) {
        DeliveryMethod method = methods.get(spec.method());
        if (method == null) {
            throw BollardException.invalid("unknown delivery method '" + spec.method() + "'; one of "
                    + methods.keySet());
        }
        if (spec.url().length() > 2048) {
            throw BollardException.invalid("the webhook URL is longer than 2048 characters");
        }
        method.checkTarget(spec.url());
        WebhookFormat format = WebhookFormat.of(spec.format());
        EventFilter filter = EventFilter.of(spec.eventTypes(), spec.repositoryGlob(), spec.tagGlob());
        Set<String> types = new TreeSet<>(filter.types());
        Glob repositoryGlob = filter.repositoryGlob();
        Glob tagGlob = filter.tagGlob();
        SortedMap<String, String> headers = checkedHeaders(spec.headers());
        if (spec.timeout().isNegative() || spec.timeout().isZero() || spec.timeout().compareTo(MAX_TIMEOUT) > 0) {
            throw BollardException.invalid("a webhook's timeout is more than 0 and at most " + MAX_TIMEOUT.toSeconds()
                    + " seconds");
        }
        // Sealed: "kek1:" + key id + base64 of nonce, the 49-character secret and the tag is 122 of the column's 128.
        return new WebhookDao.Row(id, scope.kindName(), scope.name(), method.name(), spec.url(), format.id(),
                sealing.seal(SECRET, secret), String.join(",", types),
                repositoryGlob == null ? null : repositoryGlob.glob(), tagGlob == null ? null : tagGlob.glob(),
                sealing.seal(HEADERS, RegistryEvent.write(headers)), (int) spec.timeout().toMillis(),
                enabled, disabledReason, failures, createdBy, createdAt.toEpochMilli());
    }

    private WebhookDao.Row row(Webhook w, boolean enabled, @Nullable String reason, int failures, String secret) {
        return row(w.id(), w.scope(), specOf(w), secret, enabled, reason, failures, w.createdBy(), w.createdAt());
    }

    /** The spec {@code w} was made from (what an update starts from). */
    public static Spec specOf(Webhook w) {
        return new Spec(w.method(), w.url(), w.format().id(), List.copyOf(w.eventTypes()),
                w.repositoryGlob() == null ? null : w.repositoryGlob().glob(),
                w.tagGlob() == null ? null : w.tagGlob().glob(), w.headers(), w.timeout());
    }

    private static SortedMap<String, String> checkedHeaders(Map<String, String> headers) {
        if (headers.size() > MAX_HEADERS) {
            throw BollardException.invalid("a webhook has at most " + MAX_HEADERS + " custom headers");
        }
        SortedMap<String, String> checked = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HEADER_NAME.matcher(name).matches()) {
                throw BollardException.invalid("'" + name + "' is not a header name");
            }
            if (RESERVED_HEADERS.contains(lower) || lower.startsWith("bollard-")) {
                throw BollardException.invalid("the header " + name + " is set by the delivery itself");
            }
            if (value.length() > 1024 || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
                throw BollardException.invalid("the value of header " + name + " must be one line of at most 1024 "
                        + "characters");
            }
            if (checked.put(name, value) != null) {
                throw BollardException.invalid("the header " + name + " is given twice");
            }
        });
        return new TreeMap<>(checked);
    }

    /** Seals the secrets and headers of webhooks stored in the clear or under an earlier key-encryption key. */
    public void sealAtRest() {
        for (WebhookDao.Row r : db.read(WebhookDao::all)) {
            if (sealing.isCurrent(r.secret()) && sealing.isCurrent(r.headers())) {
                continue;
            }
            String secret = sealing.resealed(SECRET, r.secret(), "the secret of webhook " + r.id());
            String headers = sealing.resealed(HEADERS, r.headers(), "the headers of webhook " + r.id());
            db.inTransaction(h -> WebhookDao.replaceSealed(h, r.id(), r.secret(), secret, r.headers(), headers));
        }
    }

    /** A stored webhook as the domain sees it (its secret and headers opened). */
    Webhook webhook(WebhookDao.Row r) {
        Map<String, String> headers;
        try {
            headers = Json.MAPPER.readValue(sealing.open(HEADERS, r.headers(), "the headers of webhook " + r.id()),
                    new TypeReference<TreeMap<String, String>>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("webhook " + r.id() + " has unreadable headers", e);
        }
        Set<String> types = new LinkedHashSet<>();
        for (String t : r.eventTypes().split(",", -1)) {
            if (!t.isBlank()) {
                types.add(t);
            }
        }
        return new Webhook(r.id(), WebhookScope.of(r.scopeKind(), r.scope()), r.method(), r.url(),
                WebhookFormat.of(r.format()), sealing.open(SECRET, r.secret(), "the secret of webhook " + r.id()),
                Set.copyOf(types),
                r.repositoryGlob() == null ? null : Glob.of("repository", r.repositoryGlob()),
                r.tagGlob() == null ? null : Glob.of("tag", r.tagGlob()), new TreeMap<>(headers),
                Duration.ofMillis(r.timeoutMillis()), r.enabled(), r.disabledReason(), r.consecutiveFailures(),
                r.createdBy(), Instant.ofEpochMilli(r.createdAt()));
    }
}
