package dev.bollard.http.ui;

import org.jspecify.annotations.Nullable;

/**
 * What every page shows around its content: its title, who is signed in (null on the sign-in page), the CSRF token
 * its forms carry, the navigation entry to mark, and a notice or an error in words from the last action.
 */
public record Frame(String title, @Nullable String user, boolean superuser, String csrf, String nav,
                    @Nullable String notice, @Nullable String error) {

    Frame withNotice(@Nullable String text) {
        return new Frame(title, user, superuser, csrf, nav, text, error);
    }

    Frame withError(@Nullable String text) {
        return new Frame(title, user, superuser, csrf, nav, notice, text);
    }

    Frame titled(String newTitle, String newNav) {
        return new Frame(newTitle, user, superuser, csrf, newNav, notice, error);
    }
}
