package io.picrypt.cli;

import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the PiCrypt server: stores encrypted templates and evaluates encrypted distances.",
                "It never holds a secret key. TLS: --tls-keystore FILE with the password in $PICRYPT_TLS_PASSWORD."})
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "4567", description = "TCP port (default ${DEFAULT-VALUE}; 0 = any free port)")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default ${DEFAULT-VALUE}; 0.0.0.0 for all)")
    String host;

    @Option(names = "--data", defaultValue = "${env:PICRYPT_DATA:-enrollment-data}", description = "store directory (default: $PICRYPT_DATA or ./enrollment-data)")
    Path data;

    @Option(names = "--store", paramLabel = "JDBC-URL", defaultValue = "${env:PICRYPT_STORE_URL}",
            description = "PostgreSQL instead of SQLite, e.g. jdbc:postgresql://db:5432/picrypt?user=picrypt&password=... (default: $PICRYPT_STORE_URL, else SQLite in --data)")
    String store;

    @Option(names = "--closed-registration",
            description = "only clients with the secret in $PICRYPT_REGISTRATION_TOKEN (>= 16 characters) may create keysets")
    boolean closedRegistration;

    @Option(names = "--threads", defaultValue = "16", description = "HTTP worker threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--limits", paramLabel = "KEY=VALUE,...", defaultValue = "${env:PICRYPT_LIMITS}",
            description = {"timeouts, memory budgets and quotas, e.g. idleTimeoutMs=10000,cacheBytes=2g,maxIdentities=5000",
                    "(default: $PICRYPT_LIMITS; keys and defaults in docs/ARCHITECTURE.md, 'Resource bounds')"})
    String limits;

    @Option(names = "--tls-keystore", paramLabel = "FILE", description = "PKCS#12/JKS keystore with the server certificate: serve HTTPS")
    Path tlsKeystore;

    @Option(names = "--cluster", paramLabel = "NAME",
            description = "join (or found) the Hazelcast cluster NAME: the 1:N gallery is partitioned over its members (needs --store PostgreSQL)")
    String cluster;

    @Option(names = "--cluster-members", paramLabel = "HOST:PORT", split = ",",
            description = "the members' cluster addresses, comma separated (TCP/IP join; no multicast)")
    java.util.List<String> clusterMembers;

    @Option(names = "--cluster-interface", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "IP address the cluster port binds to, only that one (default ${DEFAULT-VALUE}); must be a private network")
    String clusterInterface;

    @Option(names = "--cluster-port", paramLabel = "PORT", defaultValue = "5701", description = "cluster port (default ${DEFAULT-VALUE})")
    int clusterPort;

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = ServerConfig.defaults(data, port).withHost(host).withThreads(threads)
                .withStoreUrl(store == null || store.isBlank() ? null : store)
                .withLimits(io.picrypt.server.Limits.parse(limits));
        if (closedRegistration) {
            String secret = System.getenv("PICRYPT_REGISTRATION_TOKEN");
            if (secret == null || secret.isBlank()) throw new IllegalArgumentException("--closed-registration needs PICRYPT_REGISTRATION_TOKEN");
            cfg = cfg.withRegistrationToken(secret);
        }
        if (tlsKeystore != null) {
            String pw = System.getenv("PICRYPT_TLS_PASSWORD");
            if (pw == null) throw new IllegalArgumentException("set PICRYPT_TLS_PASSWORD to the keystore password");
            if (!java.nio.file.Files.isReadable(tlsKeystore)) throw new IllegalArgumentException("cannot read " + tlsKeystore);
            cfg = cfg.withTls(tlsKeystore, pw);
        }
        io.picrypt.server.ClusterGalleryService.Settings clustered = null;
        if (cluster != null) {
            clustered = new io.picrypt.server.ClusterGalleryService.Settings(cluster,
                    clusterMembers == null ? java.util.List.of(clusterInterface + ":" + clusterPort) : clusterMembers, clusterInterface, clusterPort);
        } else if (clusterMembers != null) {
            throw new IllegalArgumentException("--cluster-members needs --cluster NAME");
        }
        PiCryptServer server = PiCryptServer.open(cfg, clustered).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        System.out.println("PiCrypt server on " + (tlsKeystore != null ? "https" : "http") + "://" + host + ":" + server.port()
                + " (store: " + (store == null || store.isBlank() ? data.toAbsolutePath() : "PostgreSQL") + ")"
                + (cluster != null ? "; cluster '" + cluster + "' member on " + clusterInterface + ":" + clusterPort : ""));
        System.out.flush();
        stopped.await();
        return 0;
    }
}
