package io.picrypt.client.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.picrypt.client.ImageDiffSession;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.PiCryptClient;
import io.picrypt.imagediff.ImageFiles;
import io.picrypt.match.MatchParameters;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Random;

/**
 * Measurement, not a check (skipped unless -Dpicrypt.measure=true): the streamed /api/diff through the real encrypted
 * differ on two synthetic JPEGs of -Dw x -Dh pixels, twice (the first run includes JIT warm-up). Prints answer size,
 * progress lines, time to the first progress line, total time and the step timings.
 */
class UiDiffMeasureTest {
    @TempDir Path tmp;

    static byte[] jpeg(int w, int h, long seed, boolean mark) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        var g = img.createGraphics();
        for (int i = 0; i < 400; i++) { g.setColor(new java.awt.Color(r.nextInt(0xffffff))); g.fillOval(r.nextInt(w), r.nextInt(h), 20 + r.nextInt(300), 20 + r.nextInt(300)); }
        if (mark) { g.setColor(java.awt.Color.GRAY); g.fillRect(w / 3, h / 3, w / 5, h / 5); }
        g.dispose();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", o);
        return o.toByteArray();
    }

    @Test
    void measure() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("picrypt.measure"), "a measurement: -Dpicrypt.measure=true");
        int w = Integer.getInteger("w", 2000), h = Integer.getInteger("h", 1500);
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            KeyDirectory keys = new KeyDirectory(tmp.resolve("keys"));
            EncryptedImageDiffer differ = new EncryptedImageDiffer(() -> new ImageDiffSession(http, ImageDiffSession.key(keys, null)), ImageFiles.DEFAULT_MAX_PIXELS);
            try (var pipeline = io.picrypt.face.FacePipeline.open(UiFixture.modelsDir());
                 UiServer ui = new UiServer(http, new io.picrypt.client.MatchSession(http, io.picrypt.match.MatchKeyOwner.generateSecretKey(), pipeline, 1.3), pipeline, differ).start(0)) {
                byte[] a = jpeg(w, h, 1, false), b = jpeg(w, h, 1, true);
                String body = new ObjectMapper().createObjectNode().put("before", "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(a))
                        .put("after", "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(b)).toString();
                for (int run = 0; run < 2; run++) {
                    long t0 = System.nanoTime();
                    long[] firstLine = {-1};
                    int[] lines = {0};
                    long[] bytes = {0};
                    HttpResponse<java.util.stream.Stream<String>> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui.port() + "/api/diff"))
                            .header(UiServer.TOKEN_HEADER, ui.token()).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
                    String[] last = {""};
                    r.body().forEach(l -> { if (firstLine[0] < 0) firstLine[0] = System.nanoTime(); lines[0]++; bytes[0] += l.length() + 1; last[0] = l; });
                    double total = (System.nanoTime() - t0) / 1e6;
                    var res = new ObjectMapper().readTree(last[0]).path("result");
                    System.out.printf("MEASURE %dx%d run %d: status %d, request %,d B, answer %,d B in %d lines (result line %,d B), first progress after %.0f ms, total %.0f ms, timings %s%n",
                            w, h, run, r.statusCode(), body.length(), bytes[0], lines[0], last[0].length(), (firstLine[0] - t0) / 1e6, total, res.path("timingsMs"));
                }
            }
        }
    }
}
