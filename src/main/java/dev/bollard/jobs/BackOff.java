package dev.bollard.jobs;

import java.time.Duration;

/** Exponential back-off: {@code first} after one failure, doubling with each further one, at most {@code max}. */
record BackOff(Duration first, Duration max) {

    /** The wait after {@code failures} failures in a row (at least one). */
    Duration after(int failures) {
        Duration wait = first.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 30));
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
