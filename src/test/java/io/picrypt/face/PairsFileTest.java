package io.picrypt.face;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PairsFileTest {
    @Test
    void csvWithSameColumnAndAnyLineEndings() {
        for (String nl : new String[]{"\n", "\r\n", "\r"}) {
            List<PairsFile.Pair> p = PairsFile.parse("image_a,image_b,same" + nl + "amy/1.png,amy/2.png,1" + nl + "amy/1.png,raj/1.png,0" + nl, "t");
            assertEquals(List.of(new PairsFile.Pair("amy/1.png", "amy/2.png", true), new PairsFile.Pair("amy/1.png", "raj/1.png", false)), p);
        }
    }

    @Test
    void csvWithDecisionColumnYesNoAndQuotes() {
        String text = "\uFEFFfile_x,file_y,Decision\r\n\"a, b.jpg\",c.jpg,Yes\r\nd.jpg,e.jpg,no\r\n\r\n";
        List<PairsFile.Pair> p = PairsFile.parse(text, "t");
        assertEquals(new PairsFile.Pair("a, b.jpg", "c.jpg", true), p.get(0));
        assertEquals(new PairsFile.Pair("d.jpg", "e.jpg", false), p.get(1));
    }

    @Test
    void labelColumnFoundByItsValuesAndFirstPosition() {
        List<PairsFile.Pair> p = PairsFile.parse("truth;left;right\ntrue;x.png;y.png\nFALSE;x.png;z.png\n", "t");
        assertEquals(List.of(new PairsFile.Pair("x.png", "y.png", true), new PairsFile.Pair("x.png", "z.png", false)), p);
    }

    @Test
    void lfwPairsTxt() {
        String text = "10\t300\nAbel_Pacheco\t1\t4\nAbdel_Madi_Shabneh\t1\tDean_Barker\t1\n";
        List<PairsFile.Pair> p = PairsFile.parse(text, "pairs.txt");
        assertEquals(new PairsFile.Pair("Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg", true), p.get(0));
        assertEquals(new PairsFile.Pair("Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg", "Dean_Barker/Dean_Barker_0001.jpg", false), p.get(1));
        assertEquals(2, PairsFile.parse("George_Bush 1 2\nA 1 B 2\n", "no header").size());
    }

    @Test
    void badFilesSayWhatAndWhere() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairsFile.parse("image_a,image_b,same\na.jpg,b.jpg,1\nc.jpg,d.jpg,maybe\n", "p.csv"));
        assertTrue(e.getMessage().contains("p.csv line 3") && e.getMessage().contains("maybe"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PairsFile.parse("", "empty"));
        assertThrows(IllegalArgumentException.class, () -> PairsFile.parse("image_a,image_b,same\n", "header only"));
        assertThrows(IllegalArgumentException.class, () -> PairsFile.parse("a,b,c\nx,y,z\n", "no label"));
        assertThrows(IllegalArgumentException.class, () -> PairsFile.parse("10 300\nName 1\n", "bad lfw"));
    }

    /** --all-pairs: every pair of the listed photos, labelled by folder, after checking the folders against the labels. */
    @Test
    void allPairsLabelsEveryPairByFolderAndChecksTheListedLabels() {
        var listed = PairsFile.parse("image_a,image_b,same\nann/1.png,ann/2.png,1\nann/1.png,bob/1.png,0\nbob/2.png,cy/1.png,0\n", "t");
        var all = PairsFile.allPairs(listed, "t");
        assertEquals(10, all.size()); // 5 photos: ann/1, ann/2, bob/1, bob/2, cy/1
        assertEquals(2, all.stream().filter(PairsFile.Pair::same).count()); // ann/1-ann/2, bob/1-bob/2
        assertTrue(all.contains(new PairsFile.Pair("bob/1.png", "bob/2.png", true)), all.toString());
        assertTrue(all.contains(new PairsFile.Pair("ann/2.png", "cy/1.png", false)), all.toString());
        var wrong = PairsFile.parse("image_a,image_b,same\nann/1.png,bob/1.png,1\n", "t");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PairsFile.allPairs(wrong, "t")).getMessage().contains("one folder per person"));
        var flat = PairsFile.parse("image_a,image_b,same\n1.png,2.png,1\n", "t");
        assertThrows(IllegalArgumentException.class, () -> PairsFile.allPairs(flat, "t"));
        // one photo under two spellings is one photo (not an impostor pair of itself); one photo alone is no pair
        var dotted = PairsFile.parse("image_a,image_b,same\namy/1.png,amy/2.png,1\n./amy/1.png,howard/1.png,0\n", "t");
        assertEquals(3, PairsFile.allPairs(dotted, "t").size());
        var self = PairsFile.parse("image_a,image_b,same\namy/1.png,./amy/1.png,1\n", "t");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PairsFile.allPairs(self, "t")).getMessage().contains("fewer than two"));
    }
}
