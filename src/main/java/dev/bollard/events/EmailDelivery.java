package dev.bollard.events;

import dev.bollard.config.BollardConfig;
import dev.bollard.error.BollardException;
import dev.bollard.proxy.UpstreamClient;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocketFactory;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.jspecify.annotations.Nullable;

/**
 * The {@code email} delivery method: a webhook whose URL is {@code mailto:} one or more addresses gets its events by
 * e-mail through the SMTP server of {@code notifications.smtp.*} — with STARTTLS (required) or TLS from the start,
 * the server's certificate and name checked, and SMTP AUTH when a user is set. Events are batched: those of one
 * webhook within {@code notifications.smtp.batch-window} of the first go in one message, its subject and text made
 * from the templates of the settings. The delivery queue retries a failed message like any delivery, and the log
 * records the message sent (From, To, Subject and text) with the server's last reply code as its status.
 */
public final class EmailDelivery implements DeliveryMethod {
    public static final String NAME = "email";
    private static final int MAX_RECIPIENTS = 20;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_-]*)}");

    private final BollardConfig.Smtp smtp;
    private final @Nullable SSLSocketFactory tls;

    public EmailDelivery(BollardConfig.Smtp smtp) {
        this.smtp = smtp;
        SSLSocketFactory factory = null;
        if (smtp.enabled() && smtp.caFile() != null) {
            try {
                factory = UpstreamClient.trusting(Files.readString(smtp.caFile())).getSocketFactory();
            } catch (IOException e) {
                throw new IllegalStateException("notifications.smtp.ca-file cannot be read: " + e, e);
            }
        }
        this.tls = factory;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Duration batchWindow() {
        return smtp.batchWindow();
    }

    @Override
    public void checkTarget(String target) {
        if (!smtp.enabled()) {
            throw BollardException.invalid("e-mail notifications are off: the administrator sets notifications.smtp.host "
                    + "(docs/configuration.md)");
        }
        recipients(target);
    }

    /** The addresses of a {@code mailto:a@example.com,b@example.com} target, checked. */
    static List<InternetAddress> recipients(String target) {
        if (!target.regionMatches(true, 0, "mailto:", 0, 7)) {
            throw BollardException.invalid("an e-mail webhook's url is mailto: and one or more addresses, separated by "
                    + "commas (mailto:ops@example.com,dev@example.com), not '" + target + "'");
        }
        String list = target.substring(7);
        if (list.contains("?") || list.contains("%") || list.isBlank()) {
            throw BollardException.invalid("an e-mail webhook's url is mailto: and plain addresses (no ?headers, no "
                    + "%-escapes): '" + target + "'");
        }
        InternetAddress[] addresses;
        try {
            addresses = InternetAddress.parse(list, true);
        } catch (AddressException e) {
            throw BollardException.invalid("'" + list + "' is not a list of e-mail addresses: " + e.getMessage());
        }
        if (addresses.length == 0 || addresses.length > MAX_RECIPIENTS) {
            throw BollardException.invalid("an e-mail webhook has 1 to " + MAX_RECIPIENTS + " addresses");
        }
        for (InternetAddress a : addresses) {
            if (a.getAddress() == null || !a.getAddress().contains("@") || a.isGroup()) {
                throw BollardException.invalid("'" + a + "' is not an e-mail address (user@domain)");
            }
        }
        return List.of(addresses);
    }

    @Override
    public Attempt deliver(Webhook hook, RegistryEvent event, int attempt) {
        return deliverAll(hook, List.of(event), attempt);
    }

    @Override
    public Attempt deliverAll(Webhook hook, List<RegistryEvent> events, int attempt) {
        SortedMap<String, String> headers = new TreeMap<>();
        long start = System.nanoTime();
        String subject = fill(smtp.subjectTemplate(), hook, events).replaceAll("[\\r\\n]+", " ");
        String text = fill(smtp.bodyTemplate(), hook, events);
        try {
            List<InternetAddress> to = recipients(hook.url());
            InternetAddress from = new InternetAddress(smtp.from(), true);
            headers.put("From", from.toUnicodeString());
            headers.put("To", String.join(", ", to.stream().map(InternetAddress::toUnicodeString).toList()));
            headers.put("Subject", subject);
            headers.put("Bollard-Event-Ids", String.join(",", events.stream().map(RegistryEvent::id).toList()));
            return send(to, from, subject, text, headers, start);
        } catch (MessagingException | RuntimeException e) {
            return failed(headers, text, e, start);
        }
    }

    /** True when an SMTP server is configured ({@code notifications.smtp.host}). */
    public boolean enabled() {
        return smtp.enabled();
    }

    /**
     * Sends the registry's own message {@code text} to {@code address} (a notice to a person, not an event delivery:
     * a webhook's owner told that it was disabled); what happened, as for a delivery.
     */
    public Attempt notice(String address, String subject, String text) {
        SortedMap<String, String> headers = new TreeMap<>();
        long start = System.nanoTime();
        try {
            InternetAddress to = new InternetAddress(address, true);
            InternetAddress from = new InternetAddress(smtp.from(), true);
            headers.put("From", from.toUnicodeString());
            headers.put("To", to.toUnicodeString());
            headers.put("Subject", subject);
            return send(List.of(to), from, subject, text, headers, start);
        } catch (MessagingException | RuntimeException e) {
            return failed(headers, text, e, start);
        }
    }

    private Attempt send(List<InternetAddress> to, InternetAddress from, String subject, String text,
                         SortedMap<String, String> headers, long start) throws MessagingException {
        Session session = Session.getInstance(properties());
        MimeMessage message = new MimeMessage(session);
        message.setFrom(from);
        message.setRecipients(Message.RecipientType.TO, to.toArray(new Address[0]));
        message.setSubject(subject, "UTF-8");
        message.setSentDate(Date.from(Instant.now()));
        if (headers.containsKey("Bollard-Event-Ids")) {
            message.setHeader("Bollard-Event-Ids", headers.get("Bollard-Event-Ids"));
        }
        message.setHeader("Auto-Submitted", "auto-generated"); // RFC 3834: no auto-replies to a robot
        message.setText(text, "UTF-8");
        try (Transport transport = session.getTransport("smtp")) {
            if (smtp.username().isEmpty()) {
                transport.connect();
            } else {
                transport.connect(smtp.username(), smtp.password());
            }
            transport.sendMessage(message, message.getAllRecipients());
            int code = transport instanceof SMTPTransport t ? t.getLastReturnCode() : 250;
            String reply = transport instanceof SMTPTransport t ? t.getLastServerResponse() : null;
            return new Attempt(headers, text, code, reply, null, millisSince(start), true, false);
        }
    }

    /** MessagingException: refused AUTH, a refused recipient, the server away or slow, a failed TLS handshake. */
    private Attempt failed(SortedMap<String, String> headers, String text, Exception e, long start) {
        return new Attempt(headers, text, null, null, "the SMTP server " + smtp.host() + ":" + smtp.port()
                + " did not take the message: " + describe(e), millisSince(start), false, false);
    }

    private Properties properties() {
        Properties p = new Properties();
        String timeout = Long.toString(smtp.timeout().toMillis());
        p.put("mail.smtp.host", smtp.host());
        p.put("mail.smtp.port", Integer.toString(smtp.port()));
        p.put("mail.smtp.connectiontimeout", timeout);
        p.put("mail.smtp.timeout", timeout);
        p.put("mail.smtp.writetimeout", timeout);
        p.put("mail.smtp.from", envelopeSender());
        p.put("mail.smtp.auth", Boolean.toString(!smtp.username().isEmpty()));
        switch (smtp.security()) {
            case "starttls" -> {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true"); // never fall back to plain text
            }
            case "tls" -> p.put("mail.smtp.ssl.enable", "true");
            default -> { }
        }
        if (!smtp.security().equals("none")) {
            p.put("mail.smtp.ssl.checkserveridentity", "true");
            p.put("mail.smtp.ssl.protocols", "TLSv1.3 TLSv1.2");
            if (tls != null) {
                p.put("mail.smtp.ssl.socketFactory", tls);
            }
        }
        return p;
    }

    private String envelopeSender() {
        try {
            return new InternetAddress(smtp.from(), true).getAddress();
        } catch (AddressException e) {
            throw BollardException.invalid("notifications.smtp.from is not an e-mail address: " + e.getMessage());
        }
    }

    /** A template with its placeholders filled ({@code notifications.smtp.subject-template}, {@code …body-template}). */
    static String fill(String template, Webhook hook, List<RegistryEvent> events) {
        TreeSet<String> repositories = new TreeSet<>();
        events.forEach(e -> repositories.add(e.repository() == null ? "the registry" : e.repository()));
        StringBuilder lines = new StringBuilder();
        for (RegistryEvent e : events) {
            lines.append("- ").append(e.time()).append("  ").append(EventText.sentence(e, false)).append("  (")
                    .append(e.type()).append(", event ").append(e.id()).append(")\n");
        }
        Map<String, String> values = Map.of(
                "summary", events.size() == 1 ? EventText.sentence(events.getFirst(), false)
                        : events.size() + " events in " + String.join(", ", repositories),
                "count", Integer.toString(events.size()),
                "repositories", String.join(", ", repositories),
                "webhook", Long.toString(hook.id()),
                "scope", hook.scope().kindName() + (hook.scope().name().isEmpty() ? "" : " " + hook.scope().name()),
                "events", lines.toString().stripTrailing());
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1).toLowerCase(Locale.ROOT));
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String describe(Exception e) {
        StringBuilder s = new StringBuilder(e.getMessage() == null ? e.toString() : e.getMessage().strip());
        Throwable c = e.getCause();
        for (int depth = 0; c != null && depth < 5; depth++, c = c.getCause()) {
            s.append("; ").append(c.getMessage() == null ? c.toString() : c.getMessage().strip());
        }
        return s.toString();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
