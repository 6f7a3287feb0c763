package io.picrypt.store;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    EnrollmentStore open() { return SqliteStore.open(dir); }
}
