package dev.bollard.metadata;

import java.sql.SQLException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The metadata database could not be opened: its embedded file is in use by another process, or the database server
 * cannot be reached or refused the credentials. The message says which, in words, without the driver's class names
 * and error numbers; the cause keeps them.
 */
public final class DatabaseUnavailableException extends RuntimeException {

    /** H2's DATABASE_ALREADY_OPEN_1: another process has the file open. */
    private static final int H2_IN_USE = 90020;
    /** H2's error numbers at the end of its messages, e.g. {@code [90020-252]}. */
    private static final Pattern H2_CODE = Pattern.compile("\\s*\\[\\d+-\\d+]\\s*$");

    private final boolean inUse;

    private DatabaseUnavailableException(String message, boolean inUse, Throwable cause) {
        super(message, cause);
        this.inUse = inUse;
    }

    /** True when the embedded database is open in another process (a registry running on the same data directory). */
    public boolean inUse() {
        return inUse;
    }

    /**
     * {@code failure} of opening the database at {@code url} as this exception, when it is one of connecting (the
     * file in use, the server unreachable, the login refused, the database missing); null when it is another failure
     * (a migration that failed, say), which is reported as it is.
     */
    static @Nullable DatabaseUnavailableException of(String url, RuntimeException failure) {
        SQLException sql = null;
        for (Throwable t = failure; t != null && sql == null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                sql = s;
            }
        }
        if (sql == null) {
            return null;
        }
        String message = H2_CODE.matcher(String.valueOf(sql.getMessage())).replaceFirst("");
        if (sql.getErrorCode() == H2_IN_USE && url.startsWith("jdbc:h2:")) {
            return new DatabaseUnavailableException("the embedded database " + withoutSettings(url).substring(
                    "jdbc:h2:".length()).replaceFirst("^file:", "") + " is in use by another process", true, failure);
        }
        String state = sql.getSQLState() == null ? "" : sql.getSQLState();
        // 08: the connection failed; 28: the login was refused; 3D: no such database.
        if (state.startsWith("08") || state.startsWith("28") || state.startsWith("3D")) {
            return new DatabaseUnavailableException("cannot connect to the database " + withoutSettings(url) + ": "
                    + message, false, failure);
        }
        return null;
    }

    /** The URL without its parameters, which may hold a password. */
    private static String withoutSettings(String url) {
        int end = url.length();
        for (char c : new char[] {'?', ';'}) {
            int i = url.indexOf(c);
            if (i >= 0) {
                end = Math.min(end, i);
            }
        }
        return url.substring(0, end);
    }
}
