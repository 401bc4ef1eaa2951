package dev.bollard.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bollard.error.BollardException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Mirrors' cron schedules: five-field Unix expressions in UTC, their next times, and refusals in words. */
class CronScheduleTest {
    @Test
    void theNextTimeIsTheExpressionsNextInUtc() {
        Instant at = Instant.parse("2026-12-07T22:58:00Z"); // a Monday
        assertThat(CronSchedule.parse("0 3 * * *").next(at)).isEqualTo(Instant.parse("2026-12-08T03:00:00Z"));
        assertThat(CronSchedule.parse("*/15 * * * *").next(at)).isEqualTo(Instant.parse("2026-12-07T23:00:00Z"));
        assertThat(CronSchedule.parse("30 2 * * 0").next(at)).isEqualTo(Instant.parse("2026-12-13T02:30:00Z"));
        assertThat(CronSchedule.parse("0 0 1 */3 *").next(at)).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        // Exactly on a time: the next one, not the same.
        assertThat(CronSchedule.parse("0 3 * * *").next(Instant.parse("2026-12-08T03:00:00Z")))
                .isEqualTo(Instant.parse("2026-12-09T03:00:00Z"));
        assertThat(CronSchedule.parse("  0   3 * *  MON-FRI ").expression()).isEqualTo("0 3 * * MON-FRI");
    }

    @Test
    void whatIsNotAFiveFieldExpressionIsRefusedInWords() {
        for (String bad : new String[] {"", "every day", "61 * * * *", "0 3 * *", "0 0 3 * * *", "0 25 * * *",
                "0 0 31 2 *"}) {
            assertThatThrownBy(() -> CronSchedule.parse(bad)).as(bad).isInstanceOf(BollardException.class)
                    .hasMessageContaining("is not a cron expression of five fields");
        }
    }
}
