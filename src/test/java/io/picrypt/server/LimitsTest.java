package io.picrypt.server;

import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Limits#parse}: every component is a key (its name, any case), sizes take k/m/g, bad input is refused. */
class LimitsTest {
    @Test
    void everyComponentIsAKeyAndOnlyItChanges() throws Exception {
        Limits d = Limits.defaults();
        for (RecordComponent f : Limits.class.getRecordComponents()) {
            long base = ((Number) f.getAccessor().invoke(d)).longValue();
            long value = base + 1000; // above every lower bound of the constructor
            Limits l = Limits.parse(f.getName().toUpperCase(java.util.Locale.ROOT) + "=" + value);
            for (RecordComponent g : Limits.class.getRecordComponents()) {
                long got = ((Number) g.getAccessor().invoke(l)).longValue();
                long want = g.getName().equals(f.getName()) ? value : ((Number) g.getAccessor().invoke(d)).longValue();
                assertEquals(want, got, f.getName() + " set, " + g.getName() + " read");
            }
        }
    }

    @Test
    void sizesSuffixesAndDefaults() {
        Limits l = Limits.parse(" cacheBytes=2g , idleTimeoutMs=2000,,maxConnections=8");
        assertEquals(2L << 30, l.cacheBytes());
        assertEquals(2000, l.idleTimeoutMs());
        assertEquals(8, l.maxConnections());
        assertEquals(64L << 10, Limits.parse("bodyBufferBytes=1m,minUploadRate=64k").minUploadRate());
        assertEquals(Limits.defaults().windowMs(), Limits.parse(null).windowMs());
        assertEquals(Limits.defaults().windowMs(), Limits.parse(" ").windowMs());
    }

    @Test
    void badInputIsRefusedWithTheKeyNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Limits.parse("cacheBites=1"));
        assertTrue(e.getMessage().contains("unknown key 'cacheBites'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Limits.parse("cacheBytes"));
        assertTrue(e.getMessage().contains("expected key=value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Limits.parse("cacheBytes=lots"));
        assertTrue(e.getMessage().contains("'lots' is not a number"), e.getMessage());
        // an int limit given a size that does not fit an int: named, not "integer overflow"
        e = assertThrows(IllegalArgumentException.class, () -> Limits.parse("maxConnections=3g"));
        assertTrue(e.getMessage().contains("maxConnections = 3221225472 is too large"), e.getMessage());
        // the record's own checks still apply to parsed values, as the same exception
        e = assertThrows(IllegalArgumentException.class, () -> Limits.parse("queueWaitMs=5"));
        assertEquals("queueWaitMs must be >= 100", e.getMessage());
    }
}
