package io.picrypt.cli;

import io.picrypt.models.ModelCheck;
import io.picrypt.models.ModelFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", description = "End-to-end demo on an embedded server (currently: self-check of the build and the models)")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--models", description = "models directory (default: ${DEFAULT-VALUE})", defaultValue = "models")
    Path models;

    @Override
    public Integer call() throws Exception {
        System.out.println("PiCrypt self-check");
        List<String> fetched = new ModelFetcher(models).ensureAll();
        System.out.println("  models and sample photos present with pinned SHA-256 sums" + (fetched.isEmpty() ? "" : " (fetched " + fetched + ")"));
        boolean ok = true;
        for (ModelCheck.Result r : ModelCheck.checkAll(models)) {
            System.out.println("  " + r);
            ok &= r.shapeMatches();
        }
        System.out.println(ok ? "self-check passed" : "self-check FAILED: a model does not match the manifest");
        return ok ? 0 : Main.EXIT_ERROR;
    }
}
