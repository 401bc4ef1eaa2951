package dev.bollard.backup;

import dev.bollard.error.BollardException;
import dev.bollard.oci.Digest;
import dev.bollard.secrets.KeyEncryption;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A snapshot of the embedded database as H2's {@code BACKUP TO} wrote it: a zip holding the database file. It is read
 * in place (H2 opens a database inside a zip read-only), so that what a backup copies and what a restore checks come
 * from the snapshot itself, not from the live database that went on changing.
 */
final class Snapshot {
    private static final String SUFFIX = ".mv.db";

    record Blob(Digest digest, long size) {
    }

    /** The blobs the snapshot names (each stored blob row that is not being deleted) and the keys that sealed it. */
    record Contents(List<Blob> blobs, List<String> sealedWith) {
        long bytes() {
            return blobs.stream().mapToLong(Blob::size).sum();
        }
    }

    private Snapshot() {
    }

    static Contents read(Path zip) throws IOException {
        String url = "jdbc:h2:zip:" + zip.toAbsolutePath() + "!/" + databaseName(zip)
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
        List<Blob> blobs = new ArrayList<>();
        TreeSet<String> sealedWith = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(url, "", ""); Statement s = c.createStatement()) {
            // A row being deleted names bytes the collector was removing when the snapshot was taken: nothing
            // references it, and a restored registry's collector finishes the deletion.
            try (ResultSet rows = s.executeQuery("SELECT digest, size FROM blob WHERE state = 'live' ORDER BY digest")) {
                while (rows.next()) {
                    blobs.add(new Blob(Digest.parse(rows.getString(1)), rows.getLong(2)));
                }
            }
            try (ResultSet rows = s.executeQuery("SELECT jwk FROM signing_key")) {
                while (rows.next()) {
                    String keyId = KeyEncryption.sealedWith(rows.getString(1));
                    if (keyId != null) {
                        sealedWith.add(keyId);
                    }
                }
            }
        } catch (SQLException e) {
            throw BollardException.invalid(zip + " is not a readable snapshot of Bollard's database: " + e.getMessage());
        }
        return new Contents(blobs, List.copyOf(sealedWith));
    }

    /** Writes the snapshot's database file to {@code databaseFile} ({@code ….mv.db}), whole or not at all. */
    static void extract(Path zip, Path databaseFile) throws IOException {
        Path partial = databaseFile.resolveSibling(databaseFile.getFileName() + ".partial");
        try (ZipFile file = new ZipFile(zip.toFile()); InputStream in = file.getInputStream(entry(file, zip))) {
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(partial, databaseFile, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The database's name in the zip: its file name without {@code .mv.db}. */
    private static String databaseName(Path zip) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            String name = entry(file, zip).getName();
            return name.substring(0, name.length() - SUFFIX.length());
        }
    }

    private static ZipEntry entry(ZipFile file, Path zip) {
        for (Enumeration<? extends ZipEntry> entries = file.entries(); entries.hasMoreElements(); ) {
            ZipEntry entry = entries.nextElement();
            if (entry.getName().endsWith(SUFFIX) && !entry.getName().contains("/")) {
                return entry;
            }
        }
        throw BollardException.invalid(zip + " holds no H2 database file (*" + SUFFIX + "): not a Bollard backup");
    }
}
