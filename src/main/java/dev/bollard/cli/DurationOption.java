package dev.bollard.cli;

import dev.bollard.config.ConfigLoader;
import java.time.Duration;
import picocli.CommandLine;

/** A command-line duration written as in the configuration ({@code 90s}, {@code 5m}, {@code 6h}, {@code 7d}). */
final class DurationOption implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return ConfigLoader.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(String.valueOf(e.getMessage()));
        }
    }
}
