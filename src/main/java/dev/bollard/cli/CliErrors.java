package dev.bollard.cli;

/**
 * The error encoder of the command line: one line on standard error, {@code bollard: <message>}, and the exit code
 * (1 for a command refused with a {@code BollardException} or failed, 2 for a configuration that cannot be loaded). Never a class name: the line is
 * for the person at the terminal.
 */
final class CliErrors {
    private CliErrors() {
    }

    static int failed(String message, int exitCode) {
        System.err.println("bollard: " + message);
        return exitCode;
    }

    static int failed(Exception e, int exitCode) {
        String message = e.getMessage();
        return failed(message == null || message.isBlank() ? "failed unexpectedly" : message, exitCode);
    }
}
