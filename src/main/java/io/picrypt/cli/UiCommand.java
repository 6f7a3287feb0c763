package io.picrypt.cli;

import io.picrypt.client.ClientConfig;
import io.picrypt.client.MatchSession;
import io.picrypt.client.PiCryptClient;
import io.picrypt.client.ui.ImageDiffer;
import io.picrypt.client.ui.UiServer;
import io.picrypt.face.FacePipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.awt.Desktop;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "ui", mixinStandardHelpOptions = true,
        description = "Local web page served by this client process on 127.0.0.1 (the secret key stays here, the browser "
                + "never holds a key and the server never sees a photo). Open the printed address: it carries the "
                + "per-run access token. Stop with Ctrl+C.")
final class UiCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "7070", description = "port on 127.0.0.1 (0 = a free port; default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--open", description = "open the page in the default browser")
    boolean open;

    @Option(names = "--threshold", description = "squared-distance threshold (default: the model's, from models/manifest.json)")
    Double threshold;

    @Mixin
    ClientOptions client;

    @Mixin
    FaceOptions face;

    /**
     * The image difference of this build, or null (the page then says "not available in this build"). The seam for
     * issue 6: return an adapter of io.picrypt.imagediff's client here (it gets keys and passphrase from {@code client}).
     */
    static ImageDiffer imageDiffer(ClientOptions client, PiCryptClient http) {
        return new io.picrypt.client.ui.EncryptedImageDiffer(
                () -> new io.picrypt.client.ImageDiffSession(http, io.picrypt.client.ImageDiffSession.key(client.directory(), client.passphrase())),
                io.picrypt.imagediff.ImageFiles.DEFAULT_MAX_PIXELS);
    }

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be 0..65535 (0 = a free port)");
        ClientConfig c = client.config(); // fails fast without 'keys init', before the models load
        FacePipeline pipeline = face.open();
        UiServer ui;
        PiCryptClient http = new PiCryptClient(c);
        try {
            MatchSession session = client.session(http, pipeline, threshold);
            ui = new UiServer(http, session, pipeline, imageDiffer(client, http)).start(port);
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // the JVM waits for shutdown hooks, not for this thread: release the native models inside the hook
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ui.close();
            pipeline.close();
            stopped.countDown();
        }));
        System.out.println("PiCrypt UI: " + ui.url());
        System.out.println("  (open this exact address: the part after # is this run's access token; server " + c.server()
                + (http.healthy() ? "" : ", NOT reachable now") + ")");
        System.out.flush();
        if (open) browse(ui.url());
        stopped.await();
        return 0;
    }

    private static void browse(String url) {
        try {
            if (Desktop.isDesktopSupported() && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                Desktop.getDesktop().browse(URI.create(url));
                return;
            }
            new ProcessBuilder("xdg-open", url).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (Exception | LinkageError e) {
            System.err.println("picrypt: could not open a browser (" + e.getMessage() + "); open the address above yourself");
        }
    }
}
