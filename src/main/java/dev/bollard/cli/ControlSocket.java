package dev.bollard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bollard.json.Json;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Administration commands while the registry runs. The embedded H2 database admits one process, so a command typed
 * while the registry holds it is sent here instead, through a Unix domain socket in the data directory
 * ({@code <data-dir>/run/control.sock}), and runs inside the registry on its database, exactly as it would have
 * run on its own. Only the OS user who may read the data directory may connect: the socket sits in a directory
 * only its owner may enter, the same trust as opening the database file directly.
 *
 * <p>The protocol is the client's request (a length, then JSON: the arguments, the input the command reads, the
 * OS user) and the registry's answer as frames (a kind byte, a length, bytes): standard output, standard error,
 * and last the exit code. Output streams as the command prints it (an audit export may be long).
 */
final class ControlSocket implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlSocket.class);

    private static final byte EXIT = 0;
    private static final byte OUT = 1;
    private static final byte ERR = 2;
    /** A request is a command line and perhaps a password: far below this. */
    private static final int MAX_REQUEST = 1 << 20;

    private final @Nullable ServerSocketChannel server;
    private final Path path;

    private ControlSocket(@Nullable ServerSocketChannel server, Path path) {
        this.server = server;
        this.path = path;
    }

    /** Where the registry on {@code dataDir} listens for administration commands. */
    static Path pathIn(Path dataDir) {
        return dataDir.resolve("run").resolve("control.sock");
    }

    /**
     * Listens on the data directory's control socket and runs what arrives in {@code registry}. A socket that
     * cannot be made (a path too long for a Unix socket, a file system without them) is logged, not fatal:
     * administration commands then need the registry stopped, as they say.
     */
    static ControlSocket open(Path dataDir, Invocation.Hosted registry) {
        Path path = pathIn(dataDir);
        try {
            Path dir = Files.createDirectories(path.getParent());
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            if (posix) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            // A socket file left by a registry that was killed; the database lock makes this the only registry here.
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            if (posix) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            }
            ControlSocket control = new ControlSocket(server, path);
            Thread.ofPlatform().daemon().name("bollard-control").start(() -> control.accept(registry));
            LOG.info("administration commands (bollard user, gc, ...) run in this registry while it runs, through {}",
                    path);
            return control;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot listen for administration commands on {}: {}; they need the registry stopped while they "
                    + "run", path, e.getMessage());
            return new ControlSocket(null, path);
        }
    }

    private void accept(Invocation.Hosted registry) {
        ServerSocketChannel listening = server;
        while (listening != null && listening.isOpen()) {
            try {
                SocketChannel client = listening.accept();
                Thread.ofVirtual().name("bollard-control-command").start(() -> serve(client, registry));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("control socket {}: {}", path, e.getMessage());
            }
        }
    }

    private static void serve(SocketChannel client, Invocation.Hosted registry) {
        try (client) {
            DataInputStream in = new DataInputStream(Channels.newInputStream(client));
            int length = in.readInt();
            if (length < 0 || length > MAX_REQUEST) {
                return;
            }
            JsonNode request = Json.MAPPER.readTree(in.readNBytes(length));
            List<String> args = new ArrayList<>();
            request.path("args").forEach(a -> args.add(a.asText()));
            byte[] input = request.path("input").asText("").getBytes(StandardCharsets.UTF_8);
            String user = request.path("user").asText("");
            Path workingDirectory = Path.of(request.path("cwd").asText("/"));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(client)));
            int exit = run(args.toArray(String[]::new), Invocation.hosted(input, user, workingDirectory, registry),
                    new PrintWriter(new FrameWriter(out, OUT), true), new PrintWriter(new FrameWriter(out, ERR), true));
            synchronized (out) {
                out.writeByte(EXIT);
                out.writeInt(4);
                out.writeInt(exit);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("control socket: a command could not be run or answered: {}", e.toString());
        }
    }

    /** Runs an administration command of {@code args} in the registry; other commands are refused. */
    private static int run(String[] args, Invocation invocation, PrintWriter out, PrintWriter err) {
        CommandLine cli = Main.commandLine(invocation);
        cli.setOut(out);
        cli.setErr(err);
        String name = "bollard";
        try {
            List<CommandLine> parsed = Main.commandLine(invocation).parseArgs(args).asCommandLineList();
            CommandLine last = parsed.getLast();
            name = last.getCommandSpec().qualifiedName();
            if (!(last.getCommand() instanceof AdminCommands.DbCommand)) {
                err.println("bollard: '" + name + "' does not run inside the registry; only administration commands "
                        + "(user, org, robot, repo, keys, audit, gc, history, immutable, retention, quota, tag, backup, …) do");
                return CliErrors.FAILED;
            }
        } catch (CommandLine.ParameterException e) {
            // execute() below reports it as it would at the terminal
        }
        LOG.info("running '{}' for {} (sent through the control socket)", name, invocation.user());
        int exit = cli.execute(args);
        out.flush();
        err.flush();
        return exit;
    }

    /**
     * Sends a command to the registry listening on {@code socket} and copies its output to {@code out} and
     * {@code err}; the command's exit code, or empty when no registry listens there. The command's {@code input}
     * is read only once a registry answers (it may prompt for a password).
     */
    static OptionalInt send(Path socket, List<String> args, Input input, Invocation invocation, PrintWriter out,
                            PrintWriter err) throws IOException {
        if (!Files.exists(socket)) {
            return OptionalInt.empty();
        }
        SocketChannel channel;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return OptionalInt.empty(); // a socket file left by a registry that was killed
        }
        try (channel) {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("args", args);
            request.put("input", new String(input.read(), StandardCharsets.UTF_8));
            request.put("user", invocation.user());
            request.put("cwd", invocation.workingDirectory().toString());
            byte[] body = Json.MAPPER.writeValueAsBytes(request);
            DataOutputStream toRegistry = new DataOutputStream(Channels.newOutputStream(channel));
            toRegistry.writeInt(body.length);
            toRegistry.write(body);
            toRegistry.flush();
            DataInputStream answer = new DataInputStream(Channels.newInputStream(channel));
            try {
                while (true) {
                    byte kind = answer.readByte();
                    byte[] frame = answer.readNBytes(answer.readInt());
                    if (kind == EXIT) {
                        out.flush();
                        err.flush();
                        return OptionalInt.of(java.nio.ByteBuffer.wrap(frame).getInt());
                    }
                    (kind == ERR ? err : out).print(new String(frame, StandardCharsets.UTF_8));
                    (kind == ERR ? err : out).flush();
                }
            } catch (EOFException e) {
                throw new CliErrors.Failure("the registry stopped answering while it ran the command (did it stop?); "
                        + "see its log", CliErrors.FAILED, e);
            }
        }
    }

    @Override
    public void close() {
        if (server == null) {
            return;
        }
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("closing the control socket {}: {}", path, e.getMessage());
        }
    }

    /** What a command reads from its input, read on demand. */
    interface Input {
        byte[] read() throws IOException;
    }

    /** Characters written to it go to the client as frames of one kind, whole as written. */
    private static final class FrameWriter extends Writer {
        private final DataOutputStream out;
        private final byte kind;

        FrameWriter(DataOutputStream out, byte kind) {
            this.out = out;
            this.kind = kind;
        }

        @Override
        public void write(char[] chars, int offset, int length) throws IOException {
            byte[] bytes = new String(chars, offset, length).getBytes(StandardCharsets.UTF_8);
            synchronized (out) {
                out.writeByte(kind);
                out.writeInt(bytes.length);
                out.write(bytes);
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (out) {
                out.flush();
            }
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
