package dev.bollard.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test class that must not share the machine with the rest of the suite. The suite runs its classes in two test
 * JVMs at once (surefire's {@code forkCount}, pom.xml); classes marked with this run afterwards, one at a time, in a
 * JVM of their own (surefire's second execution, {@code groups=alone}). Mark a class that loads the machine for
 * others (burns the CPUs, floods a server, fills gigabytes of disk) or that bounds latencies at a few seconds or less,
 * which a second JVM's work beside it could break. Give the reason in a comment where it is used.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(RunsAlone.TAG)
public @interface RunsAlone {
    /** The JUnit tag, as surefire's {@code groups}/{@code excludedGroups} in pom.xml name it. */
    String TAG = "alone";
}
