package io.picrypt.server;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.HandlerWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.servlet.AsyncContext;
import javax.servlet.AsyncEvent;
import javax.servlet.AsyncListener;
import javax.servlet.DispatcherType;
import javax.servlet.ReadListener;
import javax.servlet.ServletInputStream;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletRequestWrapper;
import javax.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongBiFunction;

/**
 * The Jetty handler in front of the routes. It makes a slow client cost a connection, never a worker thread:
 * a request body is read with servlet non-blocking I/O (no thread waits for its bytes) into memory, against
 * the route's size limit, a deadline derived from the minimum upload rate and a server-wide buffer budget;
 * only a complete body is dispatched to the routes, which then read it from memory. It also refuses, as JSON
 * and before any route runs, what the routes cannot read: a path that is not percent-encoded UTF-8 (400), a
 * form or multipart content type (415), and it serves HEAD as the GET it stands for (same authorization, no body).
 */
final class RequestGate extends HandlerWrapper {
    private static final Logger log = LoggerFactory.getLogger(RequestGate.class);
    private static final String BODY = RequestGate.class.getName() + ".body";

    private final Limits limits;
    /** (method, path) -> the route's body limit in bytes. */
    private final ToLongBiFunction<String, String> bodyLimit;
    private final AtomicLong buffered = new AtomicLong();
    /**
     * Requests running in the routes at once; the rest wait parked (async, no thread) in arrival order, so the
     * pool always keeps threads free for /v1/health and /v1/version, which skip the queue.
     */
    private final java.util.concurrent.Semaphore active;
    private final java.util.concurrent.ConcurrentLinkedQueue<AsyncContext> parked = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final String PERMIT = RequestGate.class.getName() + ".permit";

    RequestGate(Limits limits, ToLongBiFunction<String, String> bodyLimit, int maxActive) {
        this.limits = limits;
        this.bodyLimit = bodyLimit;
        this.active = new java.util.concurrent.Semaphore(Math.max(1, maxActive));
    }

    /** Runs the routes for a request holding a permit, then hands the permit on. */
    private void runWithPermit(String target, Request base, HttpServletRequest req, HttpServletResponse res) throws IOException, javax.servlet.ServletException {
        try {
            super.handle(target, base, req, res);
        } finally {
            active.release();
            wakeParked();
        }
    }

    /** Dispatches parked requests while permits are free. */
    private void wakeParked() {
        while (!parked.isEmpty() && active.tryAcquire()) {
            AsyncContext ac = parked.poll();
            if (ac == null) {
                active.release();
                return;
            }
            ac.getRequest().setAttribute(PERMIT, Boolean.TRUE);
            try {
                ac.dispatch();
            } catch (IllegalStateException gone) {
                // timed out meanwhile (answered 503 by its listener): give the permit to the next one
                ac.getRequest().removeAttribute(PERMIT);
                active.release();
            }
        }
    }

    /** Parks an async request until a permit is free (answered 503 if none comes before its timeout). */
    private void park(AsyncContext ac) {
        parked.add(ac);
        wakeParked();
    }

    private static boolean exempt(String method, String path) {
        return ("GET".equals(method) || "HEAD".equals(method)) && ("/v1/health".equals(path) || "/v1/version".equals(path));
    }

    /** Bytes of request bodies held in memory right now (for tests and monitoring). */
    long bufferedBytes() { return buffered.get(); }

    @Override
    public void handle(String target, Request base, HttpServletRequest req, HttpServletResponse res) throws IOException, javax.servlet.ServletException {
        if (req.getDispatcherType() == DispatcherType.ASYNC) {
            if (req.getAttribute(PERMIT) == null) return; // an error was already written
            req.removeAttribute(PERMIT);
            Pending p = (Pending) req.getAttribute(BODY);
            req.removeAttribute(BODY);
            try {
                runWithPermit(target, base, p == null ? view(req) : new Buffered(view(req), p.body()), res);
            } finally {
                if (p != null) p.release();
            }
            return;
        }
        String rawPath = base.getHttpURI().getPath();
        if (rawPath == null || !decodesAsUtf8(rawPath)) {
            reject(res, 400, "bad_path", "the request path is not valid percent-encoded UTF-8");
            base.setHandled(true);
            return;
        }
        HttpServletRequest view = view(req);
        long declared = req.getContentLengthLong();
        String te = req.getHeader("Transfer-Encoding");
        boolean chunked = te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        if (declared <= 0 && !chunked) {
            if (exempt(view.getMethod(), rawPath)) {
                super.handle(target, base, view, res);
            } else if (active.tryAcquire()) {
                runWithPermit(target, base, view, res);
            } else {
                base.setHandled(true);
                AsyncContext ac = req.startAsync();
                ac.setTimeout(limits.queueWaitMs());
                ac.addListener(new Parked(ac, res));
                park(ac);
            }
            return;
        }
        String type = req.getContentType() == null ? "" : req.getContentType().toLowerCase(Locale.ROOT);
        if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
            res.setHeader("Connection", "close");
            reject(res, 415, "unsupported_media_type",
                    "send the body as application/octet-stream (ciphertexts) or application/json (keyset creation), not " + type.split(";")[0]);
            base.setHandled(true);
            return;
        }
        long limit = bodyLimit.applyAsLong(view.getMethod(), base.getPathInfo() == null ? rawPath : base.getPathInfo());
        if (declared > limit) {
            res.setHeader("Connection", "close");
            reject(res, 413, "too_large", "request body of " + declared + " bytes exceeds the limit of " + limit);
            base.setHandled(true);
            return;
        }
        read(base, req, res, declared, limit);
    }

    /** Starts the non-blocking read; the request is re-dispatched (ASYNC) with the body once it is complete. */
    private void read(Request base, HttpServletRequest req, HttpServletResponse res, long declared, long limit) throws IOException {
        base.setHandled(true);
        AsyncContext ac = req.startAsync();
        long deadline = limits.bodyDeadlineMs(declared > 0 ? declared : limit);
        ac.setTimeout(deadline + limits.queueWaitMs());
        Pending p = new Pending(ac, res, declared, limit, deadline);
        ac.addListener(p);
        // the body's own deadline (the async timeout also covers the wait for a worker afterwards)
        p.timer = DEADLINES.schedule(() -> p.onBodyDeadline(), deadline, java.util.concurrent.TimeUnit.MILLISECONDS);
        ServletInputStream in = req.getInputStream();
        p.in = in;
        in.setReadListener(p);
    }

    private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "picrypt-body-deadlines");
                t.setDaemon(true);
                return t;
            });

    private final class Pending implements ReadListener, AsyncListener {
        volatile java.util.concurrent.ScheduledFuture<?> timer;
        final AsyncContext ac;
        final HttpServletResponse res;
        final long limit, deadlineMs, declared;
        /** The body so far: {@code data[0..size)}; grows by doubling, never beyond the declared length (see append). */
        byte[] data;
        int size;
        final AtomicBoolean finished = new AtomicBoolean();
        final AtomicBoolean released = new AtomicBoolean();
        ServletInputStream in;
        long held;
        byte[] body;

        Pending(AsyncContext ac, HttpServletResponse res, long declared, long limit, long deadlineMs) {
            this.ac = ac;
            this.res = res;
            this.limit = limit;
            this.deadlineMs = deadlineMs;
            this.declared = declared;
            this.data = new byte[(int) Math.min(Math.max(declared, 1024), 1 << 20)];
        }

        /**
         * Appends {@code n} bytes. Capacity doubles as bytes arrive (memory follows what was received, not what was
         * declared) but stops at the declared length, so a body of its declared length ends in an array of exactly
         * its size, handed on without a final copy (a gallery block is ~7.6 MB).
         */
        private void append(byte[] b, int n) {
            if (size + n > data.length) {
                long ceiling = Math.min(declared >= size + n ? declared : limit, Integer.MAX_VALUE - 16);
                data = java.util.Arrays.copyOf(data, (int) Math.max(size + n, Math.min(2L * data.length, ceiling)));
            }
            System.arraycopy(b, 0, data, size, n);
            size += n;
        }

        byte[] body() { return body; }

        /** Synchronized with {@link #release}: a deadline may fire on another thread while bytes arrive. */
        @Override
        public synchronized void onDataAvailable() throws IOException {
            byte[] buf = new byte[64 << 10];
            while (!finished.get() && in.isReady()) {
                int n = in.read(buf);
                if (n < 0) return;
                if (size + (long) n > limit) {
                    fail(413, "too_large", "request body exceeds the limit of " + limit + " bytes");
                    return;
                }
                if (buffered.addAndGet(n) > limits.bodyBufferBytes()) {
                    buffered.addAndGet(-n);
                    fail(503, "busy", "the server holds too many request bodies right now; try again shortly");
                    return;
                }
                held += n;
                append(buf, n);
            }
        }

        @Override
        public void onAllDataRead() {
            if (!finished.compareAndSet(false, true)) return;
            var t = timer;
            if (t != null) t.cancel(false);
            body = size == data.length ? data : java.util.Arrays.copyOf(data, size);
            data = null;
            ac.getRequest().setAttribute(BODY, this);
            park(ac);
        }

        @Override
        public void onError(Throwable t) {
            if (t instanceof TimeoutException || t.getCause() instanceof TimeoutException) {
                fail(408, "body_timeout", "the request body stalled (no byte within " + limits.idleTimeoutMs() + " ms)");
            } else {
                fail(400, "bad_body", "could not read the request body");
            }
        }

        void onBodyDeadline() {
            if (body != null) return;
            fail(408, "body_timeout", "the request body did not arrive within " + deadlineMs + " ms (minimum rate "
                    + limits.minUploadRate() + " bytes/s)");
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            if (body != null) { // the body was complete: it waited in the queue
                parked.remove(ac);
                busy(ac, res);
                release();
                return;
            }
            fail(408, "body_timeout", "the request body did not arrive within " + deadlineMs + " ms (minimum rate "
                    + limits.minUploadRate() + " bytes/s)");
        }

        @Override
        public void onComplete(AsyncEvent event) { release(); }

        @Override
        public void onError(AsyncEvent event) { release(); }

        @Override
        public void onStartAsync(AsyncEvent event) { /* not restarted */ }

        void fail(int status, String code, String message) {
            if (!finished.compareAndSet(false, true)) return;
            log.info("request body refused ({} {}): {}", status, code, message);
            try {
                res.setHeader("Connection", "close");
                reject(res, status, code, message);
            } catch (IOException | IllegalStateException e) {
                log.debug("could not answer a refused body: {}", e.toString());
            } finally {
                release();
                try {
                    ac.complete();
                } catch (IllegalStateException ignored) {
                    // already completed by the container (timeout path)
                }
            }
        }

        synchronized void release() {
            var t = timer;
            if (t != null) t.cancel(false);
            if (released.compareAndSet(false, true)) buffered.addAndGet(-held);
        }
    }

    /** A parked request without a body: 503 when no permit came in time. */
    private final class Parked implements AsyncListener {
        final AsyncContext ac;
        final HttpServletResponse res;

        Parked(AsyncContext ac, HttpServletResponse res) {
            this.ac = ac;
            this.res = res;
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            parked.remove(ac);
            busy(ac, res);
        }

        @Override
        public void onComplete(AsyncEvent event) { /* nothing held */ }

        @Override
        public void onError(AsyncEvent event) { parked.remove(ac); }

        @Override
        public void onStartAsync(AsyncEvent event) { /* not restarted */ }
    }

    private void busy(AsyncContext ac, HttpServletResponse res) {
        log.info("request waited {} ms for a worker: 503", limits.queueWaitMs());
        try {
            res.setHeader("Retry-After", "2");
            reject(res, 503, "busy", "the server is busy; try again shortly");
        } catch (IOException | IllegalStateException e) {
            log.debug("could not answer a timed-out request: {}", e.toString());
        }
        try {
            ac.complete();
        } catch (IllegalStateException ignored) {
            // completed by the container
        }
    }

    static void reject(HttpServletResponse res, int status, String code, String message) throws IOException {
        if (res.isCommitted()) return;
        res.resetBuffer();
        res.setStatus(status);
        res.setContentType("application/json");
        byte[] b = io.picrypt.http.Json.errorJson(code, message).getBytes(StandardCharsets.UTF_8);
        res.setContentLength(b.length);
        res.getOutputStream().write(b);
        res.flushBuffer();
    }

    /** True when %XX sequences decode to well-formed UTF-8 (and every % starts a sequence). */
    static boolean decodesAsUtf8(String raw) {
        if (raw.indexOf('%') < 0) return true;
        ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 3);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) return false;
                int hi = Character.digit(raw.charAt(i + 1), 16), lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return false;
                bytes.put((byte) (hi * 16 + lo));
                i += 2;
            } else {
                bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        bytes.flip();
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** HEAD is routed as GET (authorization included); Jetty still sends no body for the HEAD request. */
    private static HttpServletRequest view(HttpServletRequest req) {
        if (!"HEAD".equalsIgnoreCase(req.getMethod())) return req;
        return new HttpServletRequestWrapper(req) {
            @Override
            public String getMethod() { return "GET"; }
        };
    }

    /** The request with its body already in memory. */
    private static final class Buffered extends HttpServletRequestWrapper {
        private final byte[] body;

        Buffered(HttpServletRequest req, byte[] body) {
            super(req);
            this.body = body;
            req.setAttribute(io.picrypt.http.Bodies.BUFFERED, body); // the routes take it from here, not byte by byte
        }

        @Override
        public long getContentLengthLong() { return body.length; }

        @Override
        public int getContentLength() { return body.length; }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() { return in.available() == 0; }

                @Override
                public boolean isReady() { return true; }

                @Override
                public void setReadListener(ReadListener l) { throw new IllegalStateException("the body is already in memory"); }

                @Override
                public int read() { return in.read(); }

                @Override
                public int read(byte[] b, int off, int len) { return in.read(b, off, len); }
            };
        }

        @Override
        public java.io.BufferedReader getReader() {
            return new java.io.BufferedReader(new java.io.InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }
    }
}
