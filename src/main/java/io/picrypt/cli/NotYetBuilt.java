package io.picrypt.cli;

import java.util.concurrent.Callable;

/** Base of commands whose issue has not landed: they say so and fail, never pretend. */
abstract class NotYetBuilt implements Callable<Integer> {
    private final String what;

    NotYetBuilt(String what) { this.what = what; }

    @Override
    public Integer call() {
        System.err.println("picrypt: '" + what + "' is not built yet in this version.");
        return Main.EXIT_ERROR;
    }
}
