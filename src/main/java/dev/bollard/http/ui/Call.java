package dev.bollard.http.ui;

import dev.bollard.auth.Principal;
import dev.bollard.auth.WebSessions;
import dev.bollard.http.Exchange;
import java.util.List;
import java.util.Map;
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
    dev.bollard.audit.Actor actor() {
        return user().actor(ex.remoteAddress(), userAgent());
    }

    String field(String name) {
        List<String> v = form == null ? null : form.get(name);
        return v == null || v.isEmpty() ? "" : v.getFirst().trim();
    }
}
