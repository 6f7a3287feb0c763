package io.picrypt.client;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GalleryCoverageTest {
    static PiCryptClient.Identity id(String n) { return new PiCryptClient.Identity(n, 1, Instant.EPOCH); }

    @Test
    void namesMissingFromEitherSideInTheirOrder() {
        GalleryCoverage c = GalleryCoverage.of(List.of(id("zoe"), id("amy"), id("bob")), List.of("bob", "x2", "x1"));
        assertEquals(List.of("zoe", "amy"), c.notInGallery(), "1:1 order kept");
        assertEquals(List.of("x1", "x2"), c.galleryOnly(), "sorted");
        GalleryCoverage empty = GalleryCoverage.of(List.of(id("a")), List.of());
        assertEquals(List.of("a"), empty.notInGallery());
        assertEquals(List.of(), empty.galleryOnly());
    }
}
