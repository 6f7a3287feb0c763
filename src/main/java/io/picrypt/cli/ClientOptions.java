package io.picrypt.cli;

import io.picrypt.client.ClientConfig;
import io.picrypt.client.ClientException;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Options of the client commands: key directory, server override, passphrase. */
final class ClientOptions {
    @Option(names = "--keys", paramLabel = "DIR", description = "key directory (default: $PICRYPT_KEYS, else $HOME/.picrypt)")
    Path keys;

    @Option(names = "--server", paramLabel = "URL[,URL...]", description = {"server URL (default: $PICRYPT_SERVER, else the one recorded by 'keys init');",
            "several comma-separated URLs (members of one cluster): requests fail over to the next when one is down"})
    String server;

    @Option(names = "--passphrase", interactive = true, arity = "0..1",
            description = "passphrase of the secret key (asked when given without a value; default: $PICRYPT_PASSPHRASE)")
    char[] passphrase;

    KeyDirectory directory() { return KeyDirectory.resolve(keys); }

    /** The key directory with the setting that chose it. */
    KeyDirectory.Location location() { return KeyDirectory.locate(keys, System.getenv()); }

    char[] passphrase() {
        if (passphrase != null && passphrase.length > 0) return passphrase;
        String env = System.getenv("PICRYPT_PASSPHRASE");
        return env == null ? null : env.toCharArray();
    }

    /** --server, else $PICRYPT_SERVER, else null; the first URL of a comma-separated list. */
    URI serverOverride() {
        List<URI> all = serverOverrides();
        return all.isEmpty() ? null : all.get(0);
    }

    /** Every URL of --server, else of $PICRYPT_SERVER (comma-separated, each checked), else none. */
    List<URI> serverOverrides() {
        String s = server != null ? server : System.getenv("PICRYPT_SERVER");
        if (s == null || s.isBlank()) return List.of();
        List<URI> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (part.isBlank()) continue;
            URI u = parseServer(part.trim());
            if (!out.contains(u)) out.add(u);
        }
        if (out.isEmpty()) throw new ClientException("not a server URL: '" + s + "'");
        return out;
    }

    static URI parseServer(String s) {
        try {
            URI u = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
            if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) throw new IllegalArgumentException();
            return u;
        } catch (IllegalArgumentException e) {
            throw new ClientException("not a server URL (expected http://host:port or https://...): " + s);
        }
    }

    ClientConfig config() {
        ClientConfig c = directory().readConfig();
        URI o = serverOverride();
        return o == null ? c : c.withServer(o);
    }

    /** The client of the configured keyset, over every --server URL (failover) or the recorded one. */
    PiCryptClient http() {
        ClientConfig c = config();
        List<URI> all = serverOverrides();
        return new PiCryptClient(all.isEmpty() ? List.of(c.server()) : all, c.keyset(), c.token(), PiCryptClient.Timeouts.DEFAULT);
    }

    MatchSession session(FacePipeline pipeline, Double threshold) {
        return session(http(), pipeline, threshold);
    }

    /** A session over an existing HTTP client (one connection pool per process). */
    MatchSession session(PiCryptClient http, FacePipeline pipeline, Double threshold) {
        KeyDirectory dir = directory();
        var gallerySk = dir.hasKey(KeyDirectory.GALLERY_SECRET_FILE)
                ? dir.readKey(KeyDirectory.GALLERY_SECRET_FILE, io.picrypt.match.GalleryParameters.get(), passphrase()) : null;
        var sk = dir.readSecretKey(passphrase());
        dir.checkKeys(sk, gallerySk); // before any request: a secret key that is not this config's keyset's is refused
        io.picrypt.match.GalleryProjection basis = null;
        if (gallerySk != null) {
            basis = dir.galleryBasis(pipeline);
            if (basis == null) { // first gallery use without a face pipeline (e.g. gallery rebuild): load the model to derive it
                try (var p = new FaceOptions().open()) {
                    basis = dir.galleryBasis(p);
                }
            }
        }
        return new MatchSession(http, sk, gallerySk, basis, pipeline,
                threshold != null ? threshold : pipeline != null ? pipeline.threshold() : io.picrypt.face.FaceModels.DEFAULT_THRESHOLD)
                .requireTemplateChecks(dir.templateChecksRequired());
    }
}
