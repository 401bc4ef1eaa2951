package dev.bollard.clients;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback in front of an upstream registry that "stops" it in the middle of a transfer: once it has
 * relayed {@code budget} bytes towards the client it closes every connection and refuses new ones, until
 * {@link #restore()} (what a client sees is a registry that went away mid-body); or, {@code stalling}, it holds the
 * bytes back (a transfer that hangs in the middle) until {@link #restore()}.
 */
final class CuttableRelay implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final AtomicLong budget;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile boolean cut;
    private final boolean stalling;
    private volatile boolean stalled;

    CuttableRelay(int upstreamPort, long budget) throws IOException {
        this(upstreamPort, budget, false);
    }

    CuttableRelay(int upstreamPort, long budget, boolean stalling) throws IOException {
        this.stalling = stalling;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.upstreamPort = upstreamPort;
        this.budget = new AtomicLong(budget);
        Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    boolean wasCut() {
        return cut;
    }

    /** True once a stalling relay holds bytes back. */
    boolean isStalled() {
        return stalled;
    }

    /** The upstream is back: relays everything from now on. */
    void restore() {
        budget.set(Long.MAX_VALUE / 2);
        cut = false;
        stalled = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                open.add(client);
                open.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream, false));
                Thread.ofVirtual().start(() -> pump(upstream, client, true));
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean counted) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (counted && budget.addAndGet(-n) < 0) {
                    if (!stalling) {
                        cutAll();
                        return;
                    }
                    stalled = true;
                    while (budget.get() < 0 && !server.isClosed()) {
                        Thread.sleep(50);
                    }
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void cutAll() {
        cut = true;
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cutAll();
    }
}
