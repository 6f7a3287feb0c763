package io.picrypt.server;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server's resource bounds: connection timeouts, request-body deadlines, memory budgets and per-keyset and
 * per-server quotas. One immutable value; {@link #parse} reads overrides from {@code key=value,...} (the
 * {@code --limits} option and the {@code PICRYPT_LIMITS} variable), sizes with an optional k/m/g suffix (binary).
 *
 * @param idleTimeoutMs          a connection with no byte in either direction for this long is closed (keep-alive,
 *                               a stalled body, a stalled reader of an answer)
 * @param headerDeadlineMs       a new connection must complete its first request's header block within this
 *                               time, however slowly it trickles bytes
 * @param minUploadRate          bytes per second a request body must average: a body of L bytes must arrive
 *                               within {@code bodyGraceMs + 1000 L / minUploadRate} ms or the request gets 408
 * @param bodyGraceMs            the fixed part of a body's deadline (connection set-up, TCP slow start)
 * @param maxConnections         open connections to the server in all; beyond, Jetty stops accepting
 * @param maxConnectionsPerClient open connections from one remote address; beyond, new ones are closed at once
 * @param bodyBufferBytes        request bodies are read without a worker thread into memory before a route runs;
 *                               this is the most all pending bodies together may hold (503 beyond)
 * @param cacheBytes             memory budget of the evaluation caches (packed 1:1 galleries, bulk 1:N galleries
 *                               with their expansion keys); least recently used ones are dropped beyond it and
 *                               reloaded from the store on next use
 * @param keysetsPerWindow       keysets the whole server creates per {@code windowMs} (429 beyond)
 * @param keysetsPerClientWindow keysets one remote address creates per {@code windowMs} (429 beyond)
 * @param windowMs               the rate window of keyset creation
 * @param maxIdentities          1:1 identities (names with templates) per keyset (507 beyond)
 * @param maxGalleryBlocks       1:N gallery blocks per keyset, of GalleryParameters.BLOCK_CAPACITY = 4,096 identities each (507 beyond)
 * @param maxStoredBytes         stored bytes per keyset: templates, gallery blocks and evaluation keys (507 beyond)
 * @param maxEvaluationKeyBytes  size of one keyset's gallery evaluation keys (413 beyond)
 * @param imageDiffSlots         image differences computed at once on the whole server
 * @param imageDiffSlotsPerKeyset image differences one keyset computes at once (so one keyset cannot hold all)
 * @param imageDiffWaitMs        how long an image difference waits for a slot before 503
 * @param identifySlots          1:N identify requests (single probe or batch) computed at once on the whole server
 * @param identifySlotsPerKeyset identify requests one keyset computes at once (429 beyond, after the wait)
 * @param identifyWaitMs         how long an identify request waits for a slot before 429 (its keyset's share is in
 *                               use) or 503 (the server's slots are)
 * @param queueWaitMs            how long a request (body complete) waits, parked without a thread, for one of the
 *                               route workers (the pool's threads less four kept for health checks) before 503
 */
public record Limits(long idleTimeoutMs, long headerDeadlineMs, long minUploadRate, long bodyGraceMs,
                     int maxConnections, int maxConnectionsPerClient, long bodyBufferBytes, long cacheBytes,
                     int keysetsPerWindow, int keysetsPerClientWindow, long windowMs,
                     int maxIdentities, int maxGalleryBlocks, long maxStoredBytes, long maxEvaluationKeyBytes,
                     int imageDiffSlots, int imageDiffSlotsPerKeyset, long imageDiffWaitMs, long queueWaitMs,
                     int identifySlots, int identifySlotsPerKeyset, long identifyWaitMs) {

    public Limits {
        if (idleTimeoutMs < 100 || headerDeadlineMs < 100 || bodyGraceMs < 0) throw new IllegalArgumentException("timeouts must be >= 100 ms");
        if (minUploadRate < 1) throw new IllegalArgumentException("minUploadRate must be >= 1 byte/s");
        if (maxConnections < 4 || maxConnectionsPerClient < 1) throw new IllegalArgumentException("connection limits too small");
        if (bodyBufferBytes < 1 << 20 || cacheBytes < 0) throw new IllegalArgumentException("bodyBufferBytes must be >= 1 MiB");
        if (keysetsPerWindow < 0 || keysetsPerClientWindow < 0 || windowMs < 1) throw new IllegalArgumentException("bad keyset rate");
        if (maxIdentities < 1 || maxGalleryBlocks < 0 || maxStoredBytes < 1 || maxEvaluationKeyBytes < 1) throw new IllegalArgumentException("bad quota");
        if (imageDiffSlots < 1 || imageDiffSlotsPerKeyset < 1 || imageDiffWaitMs < 0) throw new IllegalArgumentException("bad image-difference slots");
        if (identifySlots < 1 || identifySlotsPerKeyset < 1 || identifyWaitMs < 0) throw new IllegalArgumentException("bad identify slots");
        if (queueWaitMs < 100) throw new IllegalArgumentException("queueWaitMs must be >= 100");
    }

    /**
     * Defaults for a server on a few-GB heap: bodies may hold a quarter of the JVM's maximum heap; the caches three
     * quarters of its direct-memory limit, where gallery blocks keep their columns (the launcher's 12 GiB: 1M
     * identities, 489 blocks of 16 MiB, fit with ~1 GiB left for enrollments' replaced blocks awaiting their GC). 32 KiB/s minimum upload rate: a 1 MiB template within 42 s, a 320 MiB image pair within
     * ~2.8 h (the stall bound is the idle timeout, not this).
     */
    public static Limits defaults() {
        long heap = Runtime.getRuntime().maxMemory();
        return new Limits(30_000, 20_000, 32 << 10, 10_000, 1024, 128,
                Math.max(64L << 20, heap / 4), maxDirectMemory() / 4 * 3,
                120, 20, 3_600_000,
                100_000, 64, 4L << 30, 64L << 20,
                2, 1, 60_000, 60_000,
                // identify: each request already uses every core (parallel products), so more at once only queues;
                // two per keyset lets one keyset pipeline without holding every slot
                Math.max(2, Runtime.getRuntime().availableProcessors()), 2, 30_000);
    }

    /** -XX:MaxDirectMemorySize, or the maximum heap when it is not set (the JVM's default for direct memory). */
    public static long maxDirectMemory() {
        String v = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                .getVMOption("MaxDirectMemorySize").getValue();
        long set = Long.parseLong(v);
        return set > 0 ? set : Runtime.getRuntime().maxMemory();
    }

    /** Defaults overridden by {@code spec} ("idleTimeoutMs=2000,cacheBytes=256m"); null or blank = defaults. */
    public static Limits parse(String spec) {
        Limits d = defaults();
        if (spec == null || spec.isBlank()) return d;
        RecordComponent[] fields = Limits.class.getRecordComponents();
        Map<String, Long> v = new LinkedHashMap<>(); // the keys are the components' names, in lower case
        for (RecordComponent f : fields) v.put(f.getName().toLowerCase(Locale.ROOT), ((Number) get(f, d)).longValue());
        for (String part : spec.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("limits: expected key=value, got '" + part.trim() + "'");
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (!v.containsKey(key)) throw new IllegalArgumentException("limits: unknown key '" + part.substring(0, eq).trim() + "'");
            v.put(key, size(part.substring(eq + 1).trim()));
        }
        Object[] args = new Object[fields.length];
        Class<?>[] types = new Class<?>[fields.length];
        for (int i = 0; i < fields.length; i++) {
            long x = v.get(fields[i].getName().toLowerCase(Locale.ROOT));
            types[i] = fields[i].getType();
            if (types[i] == int.class && (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("limits: " + fields[i].getName() + " = " + x + " is too large (at most " + Integer.MAX_VALUE + ")");
            }
            args[i] = types[i] == int.class ? (Object) (int) x : (Object) x;
        }
        try {
            return Limits.class.getDeclaredConstructor(types).newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r; // the constructor's checks
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object get(RecordComponent f, Limits l) {
        try {
            return f.getAccessor().invoke(l);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("k")) mult = 1L << 10;
        else if (t.endsWith("m")) mult = 1L << 20;
        else if (t.endsWith("g")) mult = 1L << 30;
        if (mult != 1) t = t.substring(0, t.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(t), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("limits: '" + s + "' is not a number (suffix k, m or g allowed)");
        }
    }

    /** The deadline in ms for a body of {@code bytes} bytes at the minimum upload rate. */
    public long bodyDeadlineMs(long bytes) {
        return bodyGraceMs + Math.min(Long.MAX_VALUE / 2000, bytes) * 1000 / minUploadRate;
    }
}
