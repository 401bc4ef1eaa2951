package dev.bollard.scan.index;

import com.github.packageurl.MalformedPackageURLException;
import dev.bollard.oci.Descriptor;
import dev.bollard.oci.Manifest;
import dev.bollard.scan.InstalledPackage;
import dev.bollard.scan.Inventory;
import dev.bollard.scan.OsRelease;
import dev.bollard.storage.BlobStore;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.jspecify.annotations.Nullable;

/**
 * Finds what is installed in one platform image: reads each layer's tar stream once, in order (gzip, zstd or
 * uncompressed, told apart by their first bytes rather than by the media type a client claimed), applies the
 * layers' whiteouts and replacements, and returns the {@link Inventory} of the file system that results. Nothing
 * is extracted to disk; memory stays bounded whatever the layer size, as only package databases and small metadata
 * files are kept, each under a cap of {@link IndexLimits} (a larger one is skipped with a note).
 * <p>
 * It detects the OS ({@code /etc/os-release}, {@code /usr/lib/os-release}), dpkg ({@code /var/lib/dpkg/status},
 * distroless {@code status.d/}), apk ({@code /lib/apk/db/installed}), Java archives (with nested ones), npm packages
 * under {@code node_modules}, Python distributions ({@code .dist-info}, {@code .egg-info}) and Go binaries' module
 * lists. An rpm database is reported in a note as not read.
 * <p>
 * Symbolic links are never followed while reading; only {@code /etc/os-release} is resolved, with a bounded number
 * of hops, so a link loop ends there. Stateless and thread-safe: one instance serves every scan.
 */
public final class ImageIndexer {
    private static final Set<String> OS_RELEASE = Set.of("/etc/os-release", "/usr/lib/os-release");
    private static final String DPKG_STATUS = "/var/lib/dpkg/status";
    private static final String DPKG_STATUS_D = "/var/lib/dpkg/status.d/";
    private static final String APK_INSTALLED = "/lib/apk/db/installed";
    private static final Set<String> RPM_DATABASES = Set.of("/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages");
    private static final int MAX_LINK_HOPS = 8;

    private final IndexLimits limits;

    public ImageIndexer() {
        this(IndexLimits.DEFAULTS);
    }

    public ImageIndexer(IndexLimits limits) {
        this.limits = limits;
    }

    /**
     * Indexes the image {@code manifest} whose layers are in {@code store} (a registry's blob store). A layer the
     * store does not hold fails the image.
     */
    public Inventory index(BlobStore store, Manifest.Image manifest) throws IndexFailedException {
        return index(manifest.layers(), layer -> {
            try {
                return Channels.newInputStream(store.open(layer.digest()));
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException("the registry does not hold the blob " + layer.digest());
            }
        });
    }

    /** Indexes the image made of {@code layers}, base first, whose bytes {@code opener} gives. */
    public Inventory index(List<Descriptor> layers, LayerOpener opener) throws IndexFailedException {
        Work work = new Work(limits);
        Overlay overlay = new Overlay();
        Notes notes = new Notes(limits.maxNotes());
        for (int i = 0; i < layers.size(); i++) {
            Descriptor layer = layers.get(i);
            String which = "layer " + (i + 1) + " of " + layers.size() + " (" + layer.digest() + ")";
            if (layer.isExternal()) {
                notes.add(which + " is a foreign layer the registry does not hold; not read");
                continue;
            }
            if (!isLayerMediaType(layer.mediaType())) {
                throw IndexFailedException.unsupported(which + " is of media type " + layer.mediaType()
                        + ", not a file system layer (an artifact, not a container image?)");
            }
            try (InputStream raw = opener.open(layer)) {
                readLayer(i, decompress(raw, work), overlay, notes, work);
            } catch (LimitExceeded e) {
                throw IndexFailedException.failed(which + ": " + e.getMessage());
            } catch (IOException | UncheckedIOException e) {
                throw IndexFailedException.failed(which + " is not readable: " + describe(e));
            } catch (RuntimeException e) {
                // A decoder's own exception (aircompressor's on corrupt zstd data) means corrupt input, not a bug of
                // ours to crash on: the image fails with what the decoder said.
                throw IndexFailedException.failed(which + " is not readable: " + describe(e));
            }
        }
        return inventory(overlay, notes);
    }

    private static boolean isLayerMediaType(String mediaType) {
        return mediaType.startsWith("application/vnd.oci.image.layer.")
                || mediaType.startsWith("application/vnd.docker.image.rootfs.");
    }

    /** The tar stream of a layer, whichever compression its first bytes show. */
    private static InputStream decompress(InputStream raw, Work work) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 128 * 1024);
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        InputStream tar;
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            tar = new GZIPInputStream(in, 64 * 1024);
        } else if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            tar = new io.airlift.compress.zstd.ZstdInputStream(in);
        } else if (magic.length >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            throw new IOException("bzip2-compressed layers are not supported");
        } else if (magic.length == 4 && (magic[0] & 0xff) == 0xfd && magic[1] == '7' && magic[2] == 'z'
                && magic[3] == 'X') {
            throw new IOException("xz-compressed layers are not supported");
        } else {
            tar = in; // uncompressed tar (its header checksums tell if it is not)
        }
        return new BufferedInputStream(work.charged(tar), 64 * 1024);
    }

    private void readLayer(int layer, InputStream tarStream, Overlay overlay, Notes notes, Work work)
            throws IOException {
        TarReader tar = new TarReader(tarStream);
        TarReader.Entry entry;
        while ((entry = tar.next()) != null) {
            work.entry();
            String path = normalize(entry.name());
            if (path == null) {
                notes.add("skipped an entry whose path leaves the image's root: " + abbreviate(entry.name()));
                continue;
            }
            if (path.length() > limits.maxPathLength() || depth(path) > limits.maxPathDepth()) {
                notes.add("skipped an entry whose path is longer than " + limits.maxPathLength() + " characters or "
                        + limits.maxPathDepth() + " directories: " + abbreviate(path));
                continue;
            }
            int slash = path.lastIndexOf('/');
            String base = path.substring(slash + 1);
            String dir = slash == 0 ? "/" : path.substring(0, slash);
            if (base.startsWith(".wh.")) {
                if (base.equals(".wh..wh..opq")) {
                    overlay.opaque(dir, layer);
                } else {
                    overlay.whiteout((dir.equals("/") ? "" : dir) + "/" + base.substring(4), layer);
                }
                continue;
            }
            if (entry.isDirectory()) {
                overlay.directory(path, layer);
                continue;
            }
            overlay.replace(path, layer);
            if (entry.isHardLink()) {
                String target = normalize(entry.linkName());
                Found linked = target == null ? null : overlay.get(target);
                if (linked != null) {
                    overlay.put(path, layer, linked);
                }
                continue;
            }
            if (entry.isSymlink()) {
                if (OS_RELEASE.contains(path)) {
                    overlay.put(path, layer, new Found(layer, List.of(), List.of(), null, entry.linkName()));
                }
                continue;
            }
            if (!entry.isRegular()) {
                continue;
            }
            Found found = detect(path, entry, tar.content(), work);
            if (found != null) {
                overlay.put(path, layer, found);
            }
        }
    }

    /** What the file at {@code path} tells, or null when it is none of the files the indexer reads. */
    private @Nullable Found detect(String path, TarReader.Entry entry, InputStream content, Work work)
            throws IOException {
        int db = limits.maxDatabaseBytes();
        int meta = limits.maxMetadataBytes();
        if (OS_RELEASE.contains(path)) {
            byte[] data = Reads.capped(content, entry.size(), meta);
            if (data == null) {
                return Found.note(Reads.tooLarge(path, meta));
            }
            OsRelease os = OsReleaseParser.parse(new String(data, StandardCharsets.UTF_8));
            return new Found(-1, List.of(), os == null ? List.of(path + " names no ID") : List.of(), os, null);
        }
        if (path.equals(DPKG_STATUS) || path.equals(APK_INSTALLED)) {
            byte[] data = Reads.capped(content, entry.size(), db);
            if (data == null) {
                return Found.note(Reads.tooLarge(path, db));
            }
            String text = new String(data, StandardCharsets.UTF_8);
            return path.equals(DPKG_STATUS) ? DpkgStatus.parse(text, path) : ApkInstalled.parse(text, path);
        }
        if (path.startsWith(DPKG_STATUS_D) && path.indexOf('/', DPKG_STATUS_D.length()) < 0
                && !path.endsWith(".md5sums")) {
            byte[] data = Reads.capped(content, entry.size(), meta);
            if (data == null) {
                return Found.note(Reads.tooLarge(path, meta));
            }
            return DpkgStatus.parse(new String(data, StandardCharsets.UTF_8), path);
        }
        if (RPM_DATABASES.contains(path)) {
            return Found.note("an rpm database (" + path + ") is not read yet: rpm packages are not listed");
        }
        if (NpmPackage.matches(path)) {
            byte[] data = Reads.capped(content, entry.size(), meta);
            return data == null ? Found.note(Reads.tooLarge(path, meta)) : NpmPackage.parse(data, path);
        }
        if (PythonMetadata.matches(path)) {
            byte[] data = Reads.capped(content, entry.size(), meta);
            return data == null ? Found.note(Reads.tooLarge(path, meta))
                    : PythonMetadata.parse(new String(data, StandardCharsets.UTF_8), path);
        }
        if (JarScanner.matches(path)) {
            Found found = JarScanner.scan(content, path, work);
            return found.packages().isEmpty() && found.notes().isEmpty() ? null : found;
        }
        if ((entry.mode() & 0111) != 0 && entry.size() >= 64) {
            byte[] head = new byte[4];
            int n = content.readNBytes(head, 0, 4);
            if (GoBuildInfo.isElf(head, n)) {
                return GoBuildInfo.scan(head, n, content, path, meta);
            }
        }
        return null;
    }

    private static Inventory inventory(Overlay overlay, Notes notes) {
        OsRelease os = osRelease(overlay);
        List<InstalledPackage> packages = new ArrayList<>();
        for (Map.Entry<String, Found> file : overlay.files().entrySet()) {
            file.getValue().notes().forEach(notes::add);
            for (Candidate c : file.getValue().packages()) {
                try {
                    packages.add(new InstalledPackage(c.type(), c.name(), c.version(), c.sourceName(),
                            c.sourceVersion(), Purls.of(c, os), c.path()));
                } catch (MalformedPackageURLException | RuntimeException e) {
                    notes.add("skipped " + c.type() + " package " + abbreviate(c.name()) + " in " + c.path()
                            + ": no valid package URL (" + e.getMessage() + ")");
                }
            }
        }
        packages.sort(Comparator.comparing(InstalledPackage::type).thenComparing(InstalledPackage::name)
                .thenComparing(InstalledPackage::version).thenComparing(InstalledPackage::path));
        return new Inventory(os, packages, notes.list());
    }

    /** {@code /etc/os-release}, following links among the os-release files (bounded), else {@code /usr/lib}'s. */
    private static @Nullable OsRelease osRelease(Overlay overlay) {
        String path = "/etc/os-release";
        for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
            Found f = overlay.get(path);
            if (f == null) {
                break;
            }
            if (f.os() != null) {
                return f.os();
            }
            if (f.linkTarget() == null) {
                break;
            }
            String target = f.linkTarget().startsWith("/") ? f.linkTarget()
                    : path.substring(0, path.lastIndexOf('/') + 1) + f.linkTarget();
            String next = normalize(target);
            if (next == null) {
                break;
            }
            path = next;
        }
        Found usr = overlay.get("/usr/lib/os-release");
        return usr == null ? null : usr.os();
    }

    /** {@code ./a//b/} as {@code /a/b}; null when {@code ..} would leave the root. */
    static @Nullable String normalize(String name) {
        StringBuilder out = new StringBuilder(name.length() + 1);
        ArrayList<Integer> starts = new ArrayList<>();
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (starts.isEmpty()) {
                    return null;
                }
                out.setLength(starts.removeLast());
                continue;
            }
            starts.add(out.length());
            out.append('/').append(part);
        }
        return out.isEmpty() ? "/" : out.toString();
    }

    private static int depth(String path) {
        int d = 0;
        for (int i = 0; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                d++;
            }
        }
        return d;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static String describe(Exception e) {
        if (e instanceof EOFException) {
            return e.getMessage() == null ? "the stream ends early (truncated layer)" : e.getMessage();
        }
        if (e instanceof ZipException) {
            return "corrupt gzip data (" + e.getMessage() + ")";
        }
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return describe(u.getCause());
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** Notes kept in order, at most a limit of them; the rest counted in a last note. */
    private static final class Notes {
        private final int max;
        private final List<String> kept = new ArrayList<>();
        private long dropped;

        Notes(int max) {
            this.max = max;
        }

        void add(String note) {
            if (kept.size() < max) {
                kept.add(note);
            } else {
                dropped++;
            }
        }

        List<String> list() {
            if (dropped == 0) {
                return kept;
            }
            List<String> all = new ArrayList<>(kept);
            all.add(dropped + " more notes not shown");
            return all;
        }
    }
}
