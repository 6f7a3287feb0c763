package io.picrypt.models;

import java.nio.file.Path;
import java.util.List;

/** Build step (exec-maven-plugin, process-classes): verify or fetch every model and sample photo. */
public final class FetchModels {
    private FetchModels() {}

    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "models");
        try {
            List<String> fetched = new ModelFetcher(dir).ensureAll();
            System.out.println(fetched.isEmpty()
                    ? "[picrypt] models: all files present with pinned SHA-256 sums"
                    : "[picrypt] models: fetched and verified " + fetched);
        } catch (ModelFetcher.FetchException e) {
            // exec:java runs inside Maven: an exception fails the build with this message on top.
            throw new IllegalStateException("[picrypt] model fetch failed: " + e.getMessage(), e);
        }
    }
}
