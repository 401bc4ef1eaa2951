package dev.bollard.http.ui;

import dev.bollard.audit.Actor;
import dev.bollard.auth.Principal;
import dev.bollard.auth.WebSessions;
import dev.bollard.http.Exchange;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** One request as the pages see it: who is signed in, the form of a POST, the frame pages render into. */
record Call(Exchange ex, String path, WebSessions.Active session, @Nullable Map<String, List<String>> form,
                    Frame frame) {
    Principal.User user() {
        return session.user();
    }

    boolean isPost() {
        return ex.method().equals("POST");
    }

    @Nullable String userAgent() {
        return ex.header("User-Agent");
    }

    /** The signed-in user as the audit log names them, with this request's address and client. */
    Actor actor() {
        return user().actor(ex.remoteAddress(), userAgent());
    }

    /** The same request, shown in another frame (with a notice or an error, say). */
    Call withFrame(Frame other) {
        return new Call(ex, path, session, form, other);
    }

    /** The form's field {@code name}, trimmed; empty when the form lacks it. */
    String field(String name) {
        return first(form, name).trim();
    }

    /** The first value of a form's field as it was sent (passwords keep their spaces); empty when there is none. */
    static String first(@Nullable Map<String, List<String>> form, String name) {
        return Objects.requireNonNullElse(Exchange.first(form, name), "");
    }
}
