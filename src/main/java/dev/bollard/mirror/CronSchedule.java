package dev.bollard.mirror;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.bollard.error.BollardException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * A mirror's cron schedule: a Unix cron expression of five fields (minute, hour, day of month, month, day of week;
 * {@code 0 3 * * *} is every day at 03:00), in UTC, parsed by cron-utils. A sync runs at the expression's next time
 * after the last one ended.
 */
public record CronSchedule(String expression, Cron cron) {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final int MAX_LENGTH = 256;

    /** INVALID, in words, for what is not a five-field cron expression. */
    public static CronSchedule parse(String expression) {
        String e = expression.strip().replaceAll("\\s+", " ");
        if (e.length() > MAX_LENGTH) {
            throw BollardException.invalid("cron must be at most " + MAX_LENGTH + " characters");
        }
        try {
            Cron cron = PARSER.parse(e);
            cron.validate();
            if (ExecutionTime.forCron(cron).nextExecution(ZonedDateTime.now(ZoneOffset.UTC)).isEmpty()) {
                throw new IllegalArgumentException("it never comes");
            }
            return new CronSchedule(e, cron);
        } catch (IllegalArgumentException ex) {
            throw BollardException.invalid("cron '" + expression.strip() + "' is not a cron expression of five fields "
                    + "(minute hour day-of-month month day-of-week, in UTC, such as '0 3 * * *'): " + ex.getMessage());
        }
    }

    /** The first time of the schedule after {@code after}. */
    public Instant next(Instant after) {
        return ExecutionTime.forCron(cron).nextExecution(after.atZone(ZoneOffset.UTC))
                .orElseThrow(() -> new IllegalStateException("cron " + expression + " has no next time"))
                .toInstant();
    }
}
