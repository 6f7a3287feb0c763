package io.picrypt.client.ui;

import io.picrypt.ckks.SecretKey;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.match.MatchParameters;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/** A real PiCrypt server and a UI server on loopback, with a fresh keyset and secret key. */
final class UiFixture implements AutoCloseable {
    final PiCryptServer server;
    final FacePipeline pipeline;
    final PiCryptClient http;
    final MatchSession session;
    final UiServer ui;
    final List<SampleFaces.Sample> people;

    UiFixture(Path dataDir, ImageDiffer differ) {
        server = new PiCryptServer(ServerConfig.defaults(dataDir, 0)).start();
        try {
            URI base = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(base, MatchParameters.get().fingerprintHex());
            http = new PiCryptClient(base, ks.id(), ks.token());
            SecretKey sk = MatchKeyOwner.generateSecretKey();
            pipeline = FacePipeline.open(modelsDir());
            session = io.picrypt.client.GallerySessions.session(http, sk, pipeline, pipeline.threshold());
            people = SampleFaces.crops(pipeline, modelsDir().resolve("samples"));
            ui = new UiServer(http, session, pipeline, differ).start(0);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    static Path modelsDir() { return Path.of(System.getProperty("picrypt.models", "models")); }

    URI base() { return URI.create("http://127.0.0.1:" + ui.port()); }

    /** A genuine probe: a flipped, rotated, rescaled, brightened copy of person i's crop. */
    byte[] genuineProbe(int i) { return new SampleFaces.Variation(true, 8, 1.1, 20).apply(people.get(i).png()); }

    @Override
    public void close() {
        ui.close();
        pipeline.close();
        server.close();
    }
}
