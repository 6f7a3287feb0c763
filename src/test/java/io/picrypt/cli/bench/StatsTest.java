package io.picrypt.cli.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsTest {
    @Test
    void medianOfOddAndEvenCountsAndTheInputIsNotSorted() {
        double[] odd = {5, 1, 3};
        assertEquals(3, Stats.median(odd));
        assertArrayEquals(new double[]{5, 1, 3}, odd, "the caller's samples stay in their order");
        assertEquals(2.5, Stats.median(new double[]{4, 1, 3, 2}));
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(7, Stats.median(List.of(7)));
        assertTrue(Double.isNaN(Stats.median(new double[0])));
        assertTrue(Double.isNaN(Stats.median(List.<Double>of())));
    }

    @Test
    void minAndPercentile() {
        assertEquals(-2, Stats.min(new double[]{3, -2, 8}));
        assertEquals(0.5, Stats.min(List.of(0.5, 1.5)));
        assertTrue(Double.isNaN(Stats.min(new double[0])));
        List<Double> sorted = List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0);
        assertEquals(6, Stats.percentile(sorted, 0.5)); // nearest rank: index floor(0.5 * 10)
        assertEquals(10, Stats.percentile(sorted, 0.99));
        assertEquals(10, Stats.percentile(sorted, 1.0));
        assertEquals(1, Stats.percentile(sorted, 0.0));
        assertTrue(Double.isNaN(Stats.percentile(List.of(), 0.5)));
        assertThrows(IllegalArgumentException.class, () -> Stats.percentile(sorted, 1.5));
    }

    @Test
    void roundHalfUpToDecimalsAsTheBenchmarksPrintThem() {
        assertEquals(1.235, Stats.round(1.2345, 3));
        assertEquals(12.3, Stats.round(12.34, 1));
        assertEquals(0.1, Stats.round(0.05, 1));
        assertEquals(-1.2, Stats.round(-1.25, 1)); // Math.round: half up, towards +infinity
        assertEquals(3, Stats.round(2.5, 0));
        assertEquals("25.596", Double.toString(Stats.round(25.59612, 3)), "prints as the decimal, no 25.596000000000004");
        assertThrows(IllegalArgumentException.class, () -> Stats.round(1, -1));
    }
}
