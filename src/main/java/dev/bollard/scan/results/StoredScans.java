package dev.bollard.scan.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.bollard.audit.AuditActions;
import dev.bollard.audit.AuditEvent;
import dev.bollard.events.Outbox;
import dev.bollard.json.Json;
import dev.bollard.metadata.ScanDao;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.OsRelease;
import dev.bollard.scan.PackageType;
import dev.bollard.scan.vuln.Finding;
import dev.bollard.scan.vuln.Severity;
import dev.bollard.scan.vuln.VulnerabilityMatcher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jspecify.annotations.Nullable;

/** Converts between the scan's domain values (inventory, findings) and their rows ({@link ScanDao}). */
final class StoredScans {
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    private StoredScans() {
    }

    /** The rows of an inventory's packages, each with the key the matcher looks it up by. */
    static List<ScanDao.PackageRow> packageRows(Inventory inventory) {
        List<ScanDao.PackageRow> rows = new ArrayList<>();
        int ordinal = 0;
        for (InstalledPackage p : inventory.packages()) {
            VulnerabilityMatcher.LookupKey key = VulnerabilityMatcher.keyOf(p, inventory.os());
            rows.add(new ScanDao.PackageRow(ordinal++, p.type().name(), p.name(), p.version(), p.sourceName(),
                    p.sourceVersion(), p.purl(), p.path(), key == null ? null : key.ecosystem(),
                    key != null && key.prefix(), key == null ? null : key.name()));
        }
        return rows;
    }

    /** The inventory as stored: what the matcher and the SBOM writers take, without indexing the image again. */
    static Inventory inventory(ScanDao.ResultRow result, List<ScanDao.PackageRow> rows) {
        OsRelease os = result.osId() == null ? null : new OsRelease(result.osId(), result.osVersion(), result.osName());
        List<InstalledPackage> packages = rows.stream().map(StoredScans::installed).toList();
        return new Inventory(os, packages, strings(result.notes()));
    }

    static InstalledPackage installed(ScanDao.PackageRow r) {
        return new InstalledPackage(PackageType.valueOf(r.type()), r.name(), r.version(), r.sourceName(),
                r.sourceVersion(), r.purl(), r.path());
    }

    /** Where each package of {@code inventory} stands in it (its row's ordinal). */
    static Map<InstalledPackage, Integer> ordinals(Inventory inventory) {
        Map<InstalledPackage, Integer> out = new HashMap<>();
        for (int i = 0; i < inventory.packages().size(); i++) {
            out.putIfAbsent(inventory.packages().get(i), i);
        }
        return out;
    }

    /** The row of finding {@code f}, first found at {@code foundAt}. */
    static ScanDao.FindingRow findingRow(Finding f, int ordinal, Instant foundAt) {
        return new ScanDao.FindingRow(f.id(), ordinal, json(f.aliases()), f.ecosystem(), f.matchedName(),
                f.matchedVersion(), f.fixedVersion(), f.severity().name(), f.cvssScore(), f.cvssVector(), f.summary(),
                json(f.links()), f.published().toEpochMilli(), foundAt.toEpochMilli());
    }

    static Finding finding(ScanDao.FindingRow r, InstalledPackage pkg) {
        return new Finding(r.vulnId(), strings(r.aliases()), pkg, r.ecosystem(), r.matchedName(), r.matchedVersion(),
                r.fixedVersion(), Severity.valueOf(r.severity()), r.cvssScore(), r.cvssVector(), r.summary(),
                strings(r.links()), Instant.ofEpochMilli(r.published()));
    }

    /** What tells one finding from another across matches: the advisory and the package's place. */
    static String key(String vulnId, int ordinal) {
        return vulnId + "\u0000" + ordinal;
    }

    /** {@code value} (lists, maps, strings, numbers) as JSON. */
    static String json(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plain lists and maps always serialise", e);
        }
    }

    static List<String> strings(@Nullable String json) {
        if (json == null) {
            return List.of();
        }
        try {
            List<String> list = Json.MAPPER.readValue(json, STRINGS);
            return list == null ? List.of() : list;
        } catch (JsonProcessingException e) {
            return List.of();
        }
    }

    /**
     * Records {@code scan.finished} (docs/events.md) in the transaction that stores the outcome, so that the event is
     * published exactly when the result is visible. Only final outcomes: an attempt to be retried is not one.
     */
    static void recordFinished(Outbox outbox, Handle h, ScanDao.Target target, String state, @Nullable String reason,
                               @Nullable Map<String, Object> outcome) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("digest", target.digest());
        details.put("state", state);
        if (reason != null) {
            details.put("reason", reason);
        }
        if (outcome != null) {
            details.putAll(outcome);
        }
        outbox.record(h, AuditEvent.onRepository(SbomReferrers.SCANNER, AuditActions.SCAN_FINISHED,
                target.repository(), details));
    }
}
