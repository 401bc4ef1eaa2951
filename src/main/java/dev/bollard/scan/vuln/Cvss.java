package dev.bollard.scan.vuln;

import java.util.HashMap;
import java.util.Map;

/**
 * CVSS v3.0 and v3.1 base scores from their vectors, by the specification's formulas (CVSS v3.1 specification §7.1
 * and Appendix A's Roundup). Only the base metrics count; temporal and environmental ones in the vector are ignored.
 */
public final class Cvss {
    private Cvss() {
    }

    /**
     * The base score of a {@code CVSS:3.x/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_} vector.
     *
     * @throws IllegalArgumentException when the vector is not a CVSS v3 vector with all eight base metrics
     */
    public static double v3BaseScore(String vector) {
        String[] parts = vector.strip().split("/", -1);
        if (parts.length < 9 || !(parts[0].equals("CVSS:3.0") || parts[0].equals("CVSS:3.1"))) {
            throw new IllegalArgumentException("not a CVSS v3 vector: " + vector);
        }
        Map<String, String> m = new HashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split(":", -1);
            if (kv.length != 2 || m.putIfAbsent(kv[0], kv[1]) != null) {
                throw new IllegalArgumentException("malformed CVSS v3 vector (at '" + parts[i] + "'): " + vector);
            }
        }
        boolean changed = switch (metric(m, "S", vector)) {
            case "U" -> false;
            case "C" -> true;
            default -> throw bad("S", vector);
        };
        double av = switch (metric(m, "AV", vector)) {
            case "N" -> 0.85;
            case "A" -> 0.62;
            case "L" -> 0.55;
            case "P" -> 0.2;
            default -> throw bad("AV", vector);
        };
        double ac = switch (metric(m, "AC", vector)) {
            case "L" -> 0.77;
            case "H" -> 0.44;
            default -> throw bad("AC", vector);
        };
        double pr = switch (metric(m, "PR", vector)) {
            case "N" -> 0.85;
            case "L" -> changed ? 0.68 : 0.62;
            case "H" -> changed ? 0.5 : 0.27;
            default -> throw bad("PR", vector);
        };
        double ui = switch (metric(m, "UI", vector)) {
            case "N" -> 0.85;
            case "R" -> 0.62;
            default -> throw bad("UI", vector);
        };
        double c = cia(metric(m, "C", vector), "C", vector);
        double i = cia(metric(m, "I", vector), "I", vector);
        double a = cia(metric(m, "A", vector), "A", vector);
        double iss = 1 - (1 - c) * (1 - i) * (1 - a);
        double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
        double exploitability = 8.22 * av * ac * pr * ui;
        if (impact <= 0) {
            return 0.0;
        }
        return roundUp(Math.min((changed ? 1.08 : 1.0) * (impact + exploitability), 10));
    }

    private static String metric(Map<String, String> m, String name, String vector) {
        String v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("CVSS v3 vector without the base metric " + name + ": " + vector);
        }
        return v;
    }

    private static double cia(String value, String name, String vector) {
        return switch (value) {
            case "H" -> 0.56;
            case "L" -> 0.22;
            case "N" -> 0.0;
            default -> throw bad(name, vector);
        };
    }

    private static IllegalArgumentException bad(String metric, String vector) {
        return new IllegalArgumentException("CVSS v3 vector with an invalid value of " + metric + ": " + vector);
    }

    /** The smallest number with one decimal not below {@code x}, free of floating-point artefacts (v3.1 Appendix A). */
    static double roundUp(double x) {
        long scaled = Math.round(x * 100_000);
        if (scaled % 10_000 == 0) {
            return scaled / 100_000.0;
        }
        return (Math.floorDiv(scaled, 10_000) + 1) / 10.0;
    }
}
