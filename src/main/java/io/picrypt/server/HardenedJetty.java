package io.picrypt.server;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnection;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.embeddedserver.EmbeddedServers;
import spark.embeddedserver.jetty.EmbeddedJettyFactory;
import spark.embeddedserver.jetty.JettyServerFactory;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongBiFunction;

/**
 * Spark's embedded Jetty with our connection policy. Spark builds the server through a {@link JettyServerFactory}
 * and then sets its connector and handler; the {@link Server} made here intercepts both: every connector gets the
 * idle timeout, a total connection limit ({@link ConnectionLimit}), a per-remote-address limit and a deadline for
 * the first header block; the routes' handler is wrapped in the {@link RequestGate}; and Jetty's own error pages
 * (bad URI, header too large, errors outside the routes) are JSON without a stack trace.
 */
final class HardenedJetty implements JettyServerFactory {
    private static final Logger log = LoggerFactory.getLogger(HardenedJetty.class);
    private final Limits limits;
    private final ToLongBiFunction<String, String> bodyLimit;
    private volatile Hardened server;

    HardenedJetty(Limits limits, ToLongBiFunction<String, String> bodyLimit) {
        this.limits = limits;
        this.bodyLimit = bodyLimit;
    }

    /** Registers this factory with spark under a fresh identifier and returns it (for Service.embeddedServerIdentifier). */
    Object register() {
        Object id = this;
        EmbeddedServers.add(id, new EmbeddedJettyFactory(this));
        return id;
    }

    RequestGate gate() {
        Hardened s = server;
        return s == null ? null : s.gate;
    }

    @Override
    public Server create(int maxThreads, int minThreads, int threadTimeoutMillis) {
        QueuedThreadPool pool = maxThreads > 0 ? new QueuedThreadPool(maxThreads, Math.max(minThreads, 2), threadTimeoutMillis) : new QueuedThreadPool();
        pool.setName("picrypt-http");
        return create(pool);
    }

    @Override
    public Server create(ThreadPool pool) {
        Hardened s = new Hardened(pool);
        server = s;
        return s;
    }

    private final class Hardened extends Server {
        final RequestGate gate;
        final ConcurrentHashMap<String, AtomicInteger> perClient = new ConcurrentHashMap<>();

        Hardened(ThreadPool pool) {
            super(pool);
            // one acceptor, one selector and two spare threads stay out of the routes: health checks always find one
            int threads = pool instanceof QueuedThreadPool q ? q.getMaxThreads() : 16;
            gate = new RequestGate(limits, bodyLimit, threads - 4);
            ErrorHandler errors = new JsonErrors();
            setErrorHandler(errors);
            addBean(errors);
            setStopTimeout(5_000);
        }

        @Override
        public void setConnectors(Connector[] connectors) {
            for (Connector c : connectors) {
                if (c instanceof ServerConnector sc) {
                    sc.setIdleTimeout(limits.idleTimeoutMs());
                    sc.setAcceptQueueSize(256);
                    HttpConnectionFactory h = sc.getConnectionFactory(HttpConnectionFactory.class);
                    if (h != null) {
                        h.getHttpConfiguration().setSendServerVersion(false);
                        h.getHttpConfiguration().setIdleTimeout(limits.idleTimeoutMs());
                    }
                    sc.addBean(new ClientConnections());
                }
            }
            super.setConnectors(connectors);
            addBean(new ConnectionLimit(limits.maxConnections(), connectors));
        }

        @Override
        public void setHandler(Handler handler) {
            gate.setHandler(handler);
            super.setHandler(gate);
        }

        /** Per-address connection count and the first request's header deadline. */
        private final class ClientConnections implements Connection.Listener {
            @Override
            public void onOpened(Connection c) {
                String who = address(c.getEndPoint());
                int n = perClient.computeIfAbsent(who, k -> new AtomicInteger()).incrementAndGet();
                if (n > limits.maxConnectionsPerClient()) {
                    log.info("closing a connection from {}: {} open (limit {})", who, n, limits.maxConnectionsPerClient());
                    c.getEndPoint().close();
                    return;
                }
                if (c instanceof HttpConnection hc) {
                    hc.getConnector().getScheduler().schedule(() -> {
                        if (hc.getEndPoint().isOpen() && hc.getHttpChannel().getRequests() == 0) {
                            log.info("closing a connection from {}: no complete request header within {} ms", who, limits.headerDeadlineMs());
                            hc.getEndPoint().close();
                        }
                    }, limits.headerDeadlineMs(), TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void onClosed(Connection c) {
                String who = address(c.getEndPoint());
                AtomicInteger n = perClient.get(who);
                if (n != null && n.decrementAndGet() <= 0) perClient.remove(who, n);
            }
        }
    }

    private static String address(EndPoint e) {
        InetSocketAddress a = e.getRemoteAddress();
        return a == null || a.getAddress() == null ? "?" : a.getAddress().getHostAddress();
    }

    /** Jetty's error pages as the API's JSON errors: no HTML, no stack trace, no server version. */
    private static final class JsonErrors extends ErrorHandler {
        JsonErrors() {
            setShowStacks(false);
            setShowServlet(false);
        }

        @Override
        public void handle(String target, Request base, HttpServletRequest req, HttpServletResponse res) throws IOException {
            int status = res.getStatus();
            String code = status == 404 ? "not_found" : status >= 500 ? "internal" : "bad_request";
            String message = status >= 500 ? "internal server error" : "the request could not be read (HTTP " + status + ")";
            res.setContentType("application/json");
            byte[] b = io.picrypt.http.Json.errorJson(code, message).getBytes(StandardCharsets.UTF_8);
            res.setContentLength(b.length);
            res.getOutputStream().write(b);
            base.setHandled(true);
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields fields) {
            fields.put("Content-Type", "application/json");
            return ByteBuffer.wrap(io.picrypt.http.Json.errorJson("bad_request", "malformed HTTP request (HTTP " + status + ")")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }
}
