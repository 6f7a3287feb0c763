package io.picrypt.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.picrypt.http.RouteTable;
import io.picrypt.match.GalleryParameters;
import io.picrypt.names.IdentityNames;
import io.picrypt.store.EnrollmentStore;
import io.picrypt.store.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import spark.Service;

import java.util.List;
import java.util.function.Function;

/**
 * The evaluation server's lifecycle: the store, the 1:N gallery service and the cache budget they share, the
 * hardened Jetty, and the routes, which each feature registers itself ({@link HealthRoutes}, {@link KeysetRoutes},
 * {@link TemplateRoutes}, {@link GalleryRoutes}, {@link ImageDiffRoutes}, {@link BatchRoutes}, the last two sharing
 * {@link IdentifySlots}; errors in
 * {@link ServerErrors}). It holds no secret key and never sees an image, an embedding or a distance: it stores
 * ciphertexts, evaluates the matching circuits on them and returns ciphertexts. Every route under /v1/keysets/{id}
 * needs that keyset's bearer token ({@link KeysetAccess}). Errors are JSON {@code {"error": code, "message": text}};
 * nothing changes on an error.
 */
public final class PiCryptServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PiCryptServer.class);

    /**
     * Memory of one gallery block, as the cache and the admission budgets count it: COLUMNS ciphertexts of 2 x N
     * coefficients at one prime (16 MiB), held outside the heap (direct memory, {@code OffHeapCiphertexts}), plus the
     * product kernel's terms on the heap (3 x N words, 192 KiB; counted always, though computed only once a block is
     * prepared: bulk import, a gallery of 8 or more blocks loaded from the store, or the first identify over 8 or more
     * blocks). Not counted: slot states and seeds (~10 KB).
     */
    static final long BLOCK_BYTES = (long) GalleryParameters.COLUMNS * 2 * GalleryParameters.N * Long.BYTES
            + 3L * GalleryParameters.N * Long.BYTES;
    /** Heap of a keyset's expansion keys and prepared expansion, measured (docs/BENCHMARKS.md, "Memory"). */
    static final long GALLERY_KEYS_HEAP_BYTES = 6_700_000L;

    private final ServerConfig config;
    private final EnrollmentStore store;
    private final boolean ownsStore;
    private final Limits limits;
    private final Quotas quotas;
    /**
     * Loaded 1:N galleries ("b:" + keyset) under one memory budget
     * (Limits.cacheBytes, weighed in KiB); the least recently used are dropped and rebuilt from the store.
     */
    private final Cache<String, Object> caches;
    private final GalleryService gallery;
    private HardenedJetty jetty;
    private Service http;
    private RouteTable routes;

    private static int weighKiB(Object v) {
        long bytes = v instanceof LocalGalleryService.Loaded b ? b.memoryBytes()
                : v instanceof LocalGalleryService.Tally ? GALLERY_KEYS_HEAP_BYTES : 1024;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 10));
    }

    /** The server on the store its config names (PostgreSQL URL or SQLite directory), which it closes. */
    public PiCryptServer(ServerConfig config) {
        this(config, Stores.open(config.storeUrl(), config.dataDir()), true);
    }

    public PiCryptServer(ServerConfig config, EnrollmentStore store, boolean ownsStore) {
        this(config, store, ownsStore, null);
    }

    /**
     * A server whose 1:N gallery is {@code galleries.apply(store)} (e.g. a {@link ClusterGalleryService}), or, when
     * {@code galleries} is null, a {@link LocalGalleryService} in this server's cache budget and quotas; the server
     * closes it. If the factory throws, an owned store is closed and the exception propagates.
     */
    public PiCryptServer(ServerConfig config, EnrollmentStore store, boolean ownsStore,
                         Function<EnrollmentStore, GalleryService> galleries) {
        this.config = config;
        this.store = store;
        this.ownsStore = ownsStore;
        this.limits = config.limits();
        this.quotas = new Quotas(limits);
        // an evicted gallery folds its pending enrollments (LocalGalleryService.evicted), set once the service exists
        var onEviction = new java.util.concurrent.atomic.AtomicReference<java.util.function.BiConsumer<String, Object>>();
        this.caches = Caffeine.newBuilder().maximumWeight(Math.max(1, limits.cacheBytes() >> 10))
                .weigher((String k, Object v) -> weighKiB(v))
                .evictionListener((String k, Object v, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
                    var l = onEviction.get();
                    if (l != null && k != null && v != null) l.accept(k, v);
                }).build();
        try {
            LocalGalleryService.BlockAdmission quota = (keyset, blocks, bytes) -> quotas.admitGalleryBlock(store, keyset, blocks, bytes);
            if (galleries == null) {
                LocalGalleryService local = new LocalGalleryService(store, PiCryptServer::validName, caches, quota);
                onEviction.set(local::evicted);
                this.gallery = local;
            } else {
                this.gallery = galleries.apply(store);
            }
            if (gallery instanceof ClusterGalleryService c) c.admitWith(quota); // the same keyset quota in a cluster
        } catch (RuntimeException e) {
            if (ownsStore) store.close();
            throw e;
        }
    }

    /** The server on the store its config names, with a clustered gallery when {@code cluster} is not null. */
    public static PiCryptServer open(ServerConfig config, ClusterGalleryService.Settings cluster) {
        if (cluster == null) return new PiCryptServer(config);
        return new PiCryptServer(config, Stores.openShared(config.storeUrl()), true, s -> new ClusterGalleryService(s, cluster));
    }

    /** The server's name rule for created names ({@link IdentityNames#normalize}), and the name already in NFC. */
    static boolean validName(String n) {
        try {
            return n != null && IdentityNames.normalize(n).equals(n);
        } catch (IdentityNames.InvalidNameException e) {
            return false;
        }
    }

    /**
     * The largest body a route accepts, for the {@link RequestGate} (which refuses larger ones before reading), from
     * the route table. Unknown routes and routes without a body get the template limit: they answer once the body is in.
     */
    long bodyLimit(String method, String path) {
        RouteTable r = routes;
        return r == null ? config.maxTemplateBytes() : r.bodyLimit(method, path, config.maxTemplateBytes());
    }

    /** The registered routes (method, template, body limit); empty before {@link #start()}. */
    List<RouteTable.Entry> routes() {
        RouteTable r = routes;
        return r == null ? List.of() : r.entries();
    }

    /** Estimated heap of the evaluation caches now, in bytes (never above Limits.cacheBytes once eviction ran). */
    /** The gallery service (tests). */
    GalleryService gallery() { return gallery; }

    long cachedBytes() {
        caches.cleanUp();
        return caches.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L) << 10;
    }

    /** Request bodies held in memory right now (0 when not started). */
    long bufferedBodyBytes() {
        RequestGate g = jetty == null ? null : jetty.gate();
        return g == null ? 0 : g.bufferedBytes();
    }

    public synchronized PiCryptServer start() {
        if (http != null) throw new IllegalStateException("already started");
        jetty = new HardenedJetty(limits, this::bodyLimit);
        Service s = Service.ignite();
        s.embeddedServerIdentifier(jetty.register());
        s.ipAddress(config.host()).port(config.port()).threadPool(config.threads(), 2, 60_000);
        if (config.tlsKeystore() != null) {
            s.secure(config.tlsKeystore().toString(), config.tlsPassword(), null, null);
        }
        routes = register(s);
        s.init();
        s.awaitInitialization();
        http = s;
        log.info("PiCrypt server listening on {}://{}:{} (store {})", config.tlsKeystore() != null ? "https" : "http",
                config.host(), s.port(), config.storeUrl() != null ? "given by --store" : config.dataDir());
        return this;
    }

    /** Every feature's routes, the key-check headers of authorized answers and the error mapping. */
    private RouteTable register(Service s) {
        RouteTable r = new RouteTable(s);
        KeysetAccess access = new KeysetAccess(store);
        NameReservations names = new NameReservations(store);
        IdentifySlots identifySlots = new IdentifySlots(limits);
        GalleryRoutes galleryRoutes = new GalleryRoutes(config, store, gallery, access, names, identifySlots);
        HealthRoutes.register(r);
        new KeysetRoutes(config, store, quotas, access, id -> {
            names.invalidate(id);
            gallery.forget(id);
        }).register(r);
        new TemplateRoutes(config, store, quotas, access, names).register(r);
        new BatchRoutes(config, access, identifySlots, galleryRoutes::identifyFrame).register(r);
        new ImageDiffRoutes(config, access).register(r);
        galleryRoutes.register(r);
        access.installKeyCheckHeaders(s);
        ServerErrors.install(s);
        return r;
    }

    public int port() {
        if (http == null) throw new IllegalStateException("not started");
        return http.port();
    }

    public EnrollmentStore store() { return store; }

    @Override
    public synchronized void close() {
        if (http != null) {
            http.stop();
            http.awaitStop();
            http = null;
        }
        gallery.close();
        if (ownsStore) store.close();
    }
}
